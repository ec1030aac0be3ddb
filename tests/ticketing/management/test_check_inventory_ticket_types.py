"""check_inventory with ticket types: a typed booking is clean (its total is not its hold's);
an unknown type, a charge of another amount and a full-price booking off its hold are caught."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory, on_sale_event
from tests.ticketing.helpers import held, seat_ids
from tests.ticketing.management.test_check_inventory import T, run, sql
from ticketing.models import Payment
from ticketing.services.bookings import booking_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def typed_booking():
    event = on_sale_event(ticket_types=[{"code": "reduced", "name": "Reduced", "prices": {"vip": "50.00"}}])
    buyer = UserFactory()
    ids = seat_ids(event, 2)
    hold = held(buyer, event, ids)
    return booking_create(buyer=buyer, hold_id=hold.id, ticket_types={ids[0]: "reduced"})


def violations() -> set[str]:
    code, output = run()
    found = {line.split("]")[0].split("[")[1] for line in output.splitlines() if line.startswith("VIOLATION")}
    assert (code == 1) == bool(found), output
    return found


def test_a_typed_booking_is_clean(typed_booking):
    assert typed_booking.total == 130 and typed_booking.hold.total == 160
    assert violations() == set()


def test_a_ticket_of_a_type_its_event_does_not_have_is_caught(typed_booking):
    sql(
        f"UPDATE {T['t']} SET ticket_type = 'ghost' WHERE booking_id = %s AND ticket_type = 'reduced'",
        [typed_booking.pk],
    )
    assert violations() == {"ticket_type_known"}


def test_a_charge_of_another_amount_than_the_booking_is_caught(typed_booking):
    payment = Payment.objects.get(booking=typed_booking)
    sql(f"UPDATE {Payment._meta.db_table} SET amount = amount + 1 WHERE id = %s", [payment.pk])
    assert violations() == {"payment_amount"}


def test_a_booking_turned_all_full_must_match_its_hold_again(typed_booking):
    # every ticket relabelled full at the same prices: the tickets still sum to the total, but a
    # full-price booking must cost what its hold captured
    sql(f"UPDATE {T['t']} SET ticket_type = 'full' WHERE booking_id = %s", [typed_booking.pk])
    assert violations() == {"booking_total"}
