"""check_inventory: clean inventories pass; each kind of violation, planted with raw SQL, is
caught, listed, and makes the command exit 1."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.factories import StaffFactory, UserFactory, on_sale_event
from tests.ticketing.helpers import booked, held, seat_ids
from ticketing.models import Booking, EventSeat, Hold, Ticket
from ticketing.services.inventory import seats_block

pytestmark = pytest.mark.django_db


@dataclass
class Scene:
    """An event with a live hold (seats 0-1), a booking (seats 2-3), a blocked seat (4), the
    rest available; and another event in another hall."""

    event: object
    hold: Hold
    booking: Booking
    ids: list[int]
    other_event: object


@pytest.fixture
def scene() -> Scene:
    event = on_sale_event()
    ids = seat_ids(event)
    buyer = UserFactory()
    hold = held(buyer, event, ids[0:2])
    booking = booked(UserFactory(), event, ids[2:4])
    seats_block(event=event, seat_ids=[ids[4]], actor=StaffFactory())
    return Scene(event=event, hold=hold, booking=booking, ids=ids, other_event=on_sale_event())


def run(*args) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("check_inventory", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


T = {
    "es": EventSeat._meta.db_table,
    "h": Hold._meta.db_table,
    "b": Booking._meta.db_table,
    "t": Ticket._meta.db_table,
}


def alter_table_allowed() -> None:
    """PostgreSQL refuses ALTER TABLE while deferred foreign-key checks are pending: run them."""
    if connection.vendor == "postgresql":
        sql("SET CONSTRAINTS ALL IMMEDIATE")


@contextlib.contextmanager
def check_constraints_off():
    """Let a write break the CHECK constraints (inside the test's transaction, rolled back)."""
    alter_table_allowed()
    if connection.vendor == "sqlite":
        sql("PRAGMA ignore_check_constraints = ON")
        try:
            yield
        finally:
            sql("PRAGMA ignore_check_constraints = OFF")
    else:
        for name in ("event_seat_status_references", "event_seat_status_valid"):
            sql(f'ALTER TABLE {T["es"]} DROP CONSTRAINT "{name}"')
        yield


def test_a_clean_inventory_passes_with_a_summary(scene):
    code, output = run()
    assert code == 0, output
    assert f"event {scene.event.id}: 10 seats: 5 available, 2 held, 2 booked, 1 blocked;" in output
    assert "1 live holds, 1 confirmed bookings, 2 active tickets" in output
    assert "check_inventory: OK (2 events, 20 seats, no violation)" in output


def test_event_option_checks_one_event(scene):
    code, output = run("--event", str(scene.other_event.id))
    assert (
        code == 0 and f"event {scene.other_event.id}:" in output and f"event {scene.event.id}:" not in output
    )
    assert "1 events, 10 seats" in output


def test_unknown_event_is_an_error(scene):
    code, output = run("--event", "987654")
    assert code == 1 and "No event 987654" in output


def plant_seat_state(s: Scene) -> None:
    with check_constraints_off():
        sql(f"UPDATE {T['es']} SET status = 'available' WHERE id = %s", [s.ids[2]])  # keeps booking_id


def plant_unknown_status(s: Scene) -> None:
    with check_constraints_off():
        sql(f"UPDATE {T['es']} SET status = 'lost' WHERE id = %s", [s.ids[6]])


def plant_held_by_released_hold(s: Scene) -> None:
    sql(f"UPDATE {T['h']} SET status = 'released' WHERE id = %s", [s.hold.id])


def plant_held_by_other_events_hold(s: Scene) -> None:
    sql(f"UPDATE {T['h']} SET event_id = %s WHERE id = %s", [s.other_event.id, s.hold.id])


def plant_booked_by_cancelled_booking(s: Scene) -> None:
    sql(f"UPDATE {T['b']} SET status = 'cancelled', cancelled_at = created_at WHERE id = %s", [s.booking.id])


def plant_booked_seat_without_ticket(s: Scene) -> None:
    sql(f"UPDATE {T['t']} SET status = 'void' WHERE event_seat_id = %s", [s.ids[2]])


def plant_booking_without_tickets(s: Scene) -> None:
    sql(f"UPDATE {T['t']} SET status = 'void' WHERE booking_id = %s", [s.booking.id])


def plant_double_ticket(s: Scene) -> None:
    sql('DROP INDEX "ticket_one_active_per_event_seat"')
    sql(
        f"INSERT INTO {T['t']} (booking_id, event_seat_id, code, price, status)"
        f" SELECT booking_id, event_seat_id, 'copy-' || code, price, status FROM {T['t']}"
        " WHERE event_seat_id = %s",
        [s.ids[2]],
    )


def plant_ticket_for_available_seat(s: Scene) -> None:
    sql(f"UPDATE {T['es']} SET status = 'available', booking_id = NULL WHERE id = %s", [s.ids[3]])


def plant_hold_seat_count(s: Scene) -> None:
    sql(f"UPDATE {T['h']} SET seat_count = 3 WHERE id = %s", [s.hold.id])


def plant_booked_hold_seat_count(s: Scene) -> None:
    sql(f"UPDATE {T['h']} SET seat_count = 5 WHERE id = %s", [s.booking.hold_id])


def plant_booking_total(s: Scene) -> None:
    sql(f"UPDATE {T['b']} SET total = total + 1 WHERE id = %s", [s.booking.id])


def plant_ticket_price(s: Scene) -> None:
    sql(f"UPDATE {T['t']} SET price = price + 0.01 WHERE event_seat_id = %s", [s.ids[2]])


def plant_seat_of_another_hall(s: Scene) -> None:
    other_seat = EventSeat.objects.filter(event=s.other_event).values_list("seat_id", flat=True)[0]
    sql(f"UPDATE {T['es']} SET seat_id = %s WHERE id = %s", [other_seat, s.ids[7]])


def plant_lost_seat(s: Scene) -> None:
    sql(f"DELETE FROM {T['es']} WHERE id = %s", [s.ids[9]])


def plant_duplicated_seat(s: Scene) -> None:
    alter_table_allowed()
    sql(f'ALTER TABLE {T["es"]} DROP CONSTRAINT "event_seat_unique"')
    sql(
        f"INSERT INTO {T['es']} (event_id, seat_id, status, block_reason)"
        f" SELECT event_id, seat_id, 'available', '' FROM {T['es']} WHERE id = %s",
        [s.ids[8]],
    )


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite cannot drop a table's inline UNIQUE constraint to plant this one",
)


@pytest.mark.parametrize(
    ("plant", "rules"),
    [
        (plant_seat_state, {"seat_state"}),
        (plant_unknown_status, {"seat_state", "availability_counts"}),
        (plant_held_by_released_hold, {"held_seat_hold"}),
        (plant_held_by_other_events_hold, {"held_seat_hold"}),
        (plant_booked_by_cancelled_booking, {"booked_seat_booking", "ticket_seat"}),
        (plant_booked_seat_without_ticket, {"booked_seat_ticket", "booked_count"}),
        (plant_booking_without_tickets, {"booking_without_tickets"}),
        (plant_double_ticket, {"double_ticket", "booked_seat_ticket"}),
        (plant_ticket_for_available_seat, {"ticket_seat", "booked_count"}),
        (plant_hold_seat_count, {"hold_seat_count", "held_count"}),
        (plant_booked_hold_seat_count, {"booked_hold"}),
        (plant_booking_total, {"booking_total"}),
        (plant_ticket_price, {"booking_total"}),
        (plant_seat_of_another_hall, {"seat_not_in_hall", "seat_lost"}),
        (plant_lost_seat, {"seat_lost"}),
        pytest.param(plant_duplicated_seat, {"seat_duplicated"}, marks=postgres_only),
    ],
)
def test_each_planted_violation_is_caught(scene, plant, rules):
    # given
    assert run()[0] == 0
    plant(scene)
    # when
    code, output = run()
    # then
    found = {line.split("]")[0].split("[")[1] for line in output.splitlines() if line.startswith("VIOLATION")}
    assert code == 1, output
    assert rules <= found, output
    assert "violations (2 events" in output
    # the other event is still clean, unless the plant touched it
    if plant is not plant_held_by_other_events_hold:
        assert run("--event", str(scene.other_event.id))[0] == 0
