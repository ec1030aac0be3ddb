"""check_inventory and season tickets: a season's holds and bookings have no event (``event_id``
NULL, ``season_id`` set), yet ``--event N`` sees a violation of a season hold or booking of
event N, names it under event N, and the summary of event N counts the season's holds, bookings
and tickets. Each violation is planted with raw SQL on a season row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import StaffFactory, UserFactory, hall_with_layout, on_sale_event
from tests.ticketing.helpers import booked
from tests.ticketing.management.test_check_inventory import run
from ticketing.models import Booking, Event, EventSeat, Hold, Payment, Ticket
from ticketing.services.bookings import booking_create, bookings_cancel
from ticketing.services.seasons import season_create, season_hold_create
from venues.models import Seat

pytestmark = pytest.mark.django_db
T = {
    "h": Hold._meta.db_table,
    "b": Booking._meta.db_table,
    "t": Ticket._meta.db_table,
    "p": Payment._meta.db_table,
}


@dataclass
class Scene:
    """A 2-event season (first, second) with a confirmed season booking (hall seat 0), a live
    season hold (hall seat 1) and a cancelled season booking (hall seat 3); a single-event
    booking in the second event (hall seat 2); an event outside the season (outside)."""

    first: Event
    second: Event
    outside: Event
    booking: Booking
    hold: Hold
    cancelled: Booking


@pytest.fixture
def scene(fake_gateway) -> Scene:
    hall = hall_with_layout()
    first, second = (on_sale_event(hall=hall, starts_in=timedelta(days=days)) for days in (7, 14))
    season = season_create(
        name="Season 2027",
        hall=hall,
        event_ids=[first.pk, second.pk],
        prices={"vip": "300", "standard": "100"},
    )
    seats = list(Seat.objects.filter(section__hall=hall).order_by("id").values_list("id", flat=True))
    buyer = UserFactory()
    booking = booking_create(
        buyer=buyer, hold_id=season_hold_create(buyer=buyer, season=season, seat_ids=[seats[0]]).pk
    )
    hold = season_hold_create(buyer=UserFactory(), season=season, seat_ids=[seats[1]])
    cancelled = booking_create(
        buyer=buyer, hold_id=season_hold_create(buyer=buyer, season=season, seat_ids=[seats[3]]).pk
    )
    bookings_cancel(booking_ids=[cancelled.pk], actor=StaffFactory())
    booked(UserFactory(), second, [EventSeat.objects.get(event=second, seat_id=seats[2]).pk])
    return Scene(first, second, on_sale_event(), booking, hold, cancelled)


def sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def violations(*args: str) -> dict[str, set[int | None]]:
    """The rules broken, each with the event ids its violations are listed under."""
    code, output = run(*args)
    found: dict[str, set[int | None]] = {}
    for line in output.splitlines():
        if line.startswith("VIOLATION ["):
            rule, rest = line.removeprefix("VIOLATION [").split("] event ", 1)
            event = rest.split(":", 1)[0]
            found.setdefault(rule, set()).add(None if event == "None" else int(event))
    assert (code == 1) == bool(found), output
    return found


def test_the_summary_of_a_season_event_counts_the_seasons_holds_bookings_and_tickets(scene):
    code, output = run("--event", str(scene.second.pk))
    assert code == 0, output
    # the live season hold, the season booking and the single-event one, a ticket of each
    assert f"event {scene.second.pk}: 10 seats: 7 available, 1 held, 2 booked, 0 blocked;" in output
    assert "1 live holds, 2 confirmed bookings, 2 active tickets" in output
    code, output = run("--event", str(scene.first.pk))
    assert "1 live holds, 1 confirmed bookings, 1 active tickets" in output
    code, output = run("--event", str(scene.outside.pk))
    assert "0 live holds, 0 confirmed bookings, 0 active tickets" in output


def plant_booking_total(s: Scene) -> None:
    sql(f"UPDATE {T['b']} SET total = total + 1 WHERE id = %s", [s.booking.pk])


def plant_payment_amount(s: Scene) -> None:
    sql(f"UPDATE {T['p']} SET amount = amount + 1 WHERE booking_id = %s", [s.booking.pk])


def plant_booked_hold(s: Scene) -> None:
    sql(f"UPDATE {T['h']} SET seat_count = seat_count + 1 WHERE id = %s", [s.booking.hold_id])


def plant_hold_seat_count(s: Scene) -> None:
    sql(f"UPDATE {T['h']} SET seat_count = 4 WHERE id = %s", [s.hold.pk])  # holds 2 (1 seat x 2 events)


def plant_booking_without_tickets(s: Scene) -> None:
    sql(f"UPDATE {T['t']} SET status = 'void' WHERE booking_id = %s", [s.booking.pk])


def plant_cancelled_checked_in(s: Scene) -> None:
    ticket = Ticket.objects.get(booking=s.cancelled, event_seat__event=s.second)
    sql(f"UPDATE {T['t']} SET checked_in_at = %s WHERE id = %s", [timezone.now(), ticket.pk])


@pytest.mark.parametrize(
    ("plant", "rules"),
    [
        (plant_booking_total, {"booking_total", "payment_amount"}),
        (plant_payment_amount, {"payment_amount"}),
        (plant_booked_hold, {"booked_hold"}),
        (plant_hold_seat_count, {"hold_seat_count", "held_count"}),
        (plant_booking_without_tickets, {"booking_without_tickets"}),
        (plant_cancelled_checked_in, {"cancelled_checked_in"}),
    ],
)
def test_a_season_violation_is_caught_by_each_of_its_events(scene, plant, rules):
    # given: a clean inventory
    assert violations() == {}
    # when
    plant(scene)
    # then: checked alone, the season's second event (not its first) lists it under its own id
    found = violations("--event", str(scene.second.pk))
    assert rules <= found.keys(), found
    assert all(found[rule] == {scene.second.pk} for rule in rules), found
    # the whole check lists it under an event of the season, never "event None"
    everything = violations()
    assert rules <= everything.keys(), everything
    assert all(everything[rule] <= {scene.first.pk, scene.second.pk} for rule in rules), everything
    # an event outside the season stays clean
    assert violations("--event", str(scene.outside.pk)) == {}
