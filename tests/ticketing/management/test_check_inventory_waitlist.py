"""check_inventory's waiting-list rules: an offer is held only for an entry still offered to its
buyer (never for a buyer who left the list), a booked offer fulfils its entry, and an offered
entry has its offer. Each violation is planted with raw SQL and caught."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.factories import StaffFactory, UserFactory
from tests.ticketing.helpers import booked, event_with_rows, seat_ids
from tests.ticketing.management.test_check_inventory import run
from ticketing.models import Hold, WaitlistEntry
from ticketing.services.bookings import booking_confirm, bookings_cancel
from ticketing.services.waitlist import waitlist_join

pytestmark = pytest.mark.django_db
W, H = WaitlistEntry._meta.db_table, Hold._meta.db_table


def sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def offers():
    """Two offers made from one cancellation: one live, one booked."""
    event = event_with_rows(4)
    ids = seat_ids(event)
    bookings = [booked(UserFactory(), event, ids[:2]), booked(UserFactory(), event, ids[2:])]
    live, to_book = (waitlist_join(buyer=UserFactory(), event=event, count=1) for _ in range(2))
    bookings_cancel(booking_ids=[bookings[0].pk], actor=StaffFactory())
    booking_confirm(buyer=to_book.buyer, hold_id=Hold.objects.get(waitlist_entry=to_book).pk)
    return live, to_book


def violations() -> set[str]:
    code, output = run()
    found = {line.split("]")[0].split("[")[1] for line in output.splitlines() if line.startswith("VIOLATION")}
    assert (code == 1) == bool(found), output
    return found


def test_offers_made_and_booked_are_clean(offers):
    assert violations() == set()


def test_an_offer_held_for_a_buyer_who_left_the_list(offers):
    live, _ = offers
    sql(f"UPDATE {W} SET status = 'left' WHERE id = %s", [live.pk])
    assert violations() == {"waitlist_offer"}


def test_an_offer_held_for_another_buyer(offers):
    live, _ = offers
    sql(f"UPDATE {H} SET buyer_id = %s WHERE waitlist_entry_id = %s", [UserFactory().pk, live.pk])
    assert "waitlist_offer" in violations()


def test_a_booked_offer_whose_entry_is_still_offered(offers):
    _, booked_entry = offers
    sql(f"UPDATE {W} SET status = 'offered' WHERE id = %s", [booked_entry.pk])
    assert violations() == {"waitlist_offer"}


def test_an_offered_entry_without_its_offer(offers):
    live, _ = offers
    sql(f"UPDATE {H} SET waitlist_entry_id = NULL WHERE waitlist_entry_id = %s", [live.pk])
    assert violations() == {"waitlist_entry_offer"}
