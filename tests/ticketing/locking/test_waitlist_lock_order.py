"""The waiting list's locks, from the statements (as test_lock_order.py): an offer takes the
entries after the freeing transaction's own locks, and the waiting buyer's row without waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import StaffFactory, UserFactory
from tests.races.harness import requires_postgres
from tests.ticketing.helpers import booked, event_with_rows, seat_ids
from tests.ticketing.locking.capture import locks_taken
from tests.ticketing.locking.test_lock_order import BOOKING, HOLD, SEAT, TICKET, USER, assert_protocol
from ticketing.locking import LOCK_ORDER
from ticketing.models import Hold, WaitlistEntry
from ticketing.services.bookings import booking_confirm, bookings_cancel
from ticketing.services.holds import holds_release, holds_release_expired
from ticketing.services.inventory import seats_block, seats_unblock
from ticketing.services.waitlist import waitlist_join, waitlist_leave, waitlists_offer_available

pytestmark = [requires_postgres, pytest.mark.django_db]

ENTRY = "ticketing_waitlistentry"


@pytest.fixture
def sold_out():
    """4 seats in 2 bookings, and two buyers waiting for 2 seats each."""
    event = event_with_rows(4)
    ids = seat_ids(event)
    bookings = [booked(UserFactory(), event, ids[:2]), booked(UserFactory(), event, ids[2:])]
    entries = [waitlist_join(buyer=UserFactory(), event=event, count=2) for _ in range(2)]
    return event, bookings, entries


def offer_of(entry) -> Hold:
    return Hold.objects.get(waitlist_entry=entry)


def test_the_entry_sits_between_the_ticket_and_the_payment():
    assert LOCK_ORDER.index(TICKET) < LOCK_ORDER.index(ENTRY) < LOCK_ORDER.index("ticketing_payment")


def test_a_cancellation_offers_under_its_own_locks(sold_out):
    _, bookings, _ = sold_out
    staff = StaffFactory()
    locks = locks_taken(lambda: bookings_cancel(booking_ids=[bookings[0].pk], actor=staff))
    assert_protocol(locks, [SEAT, BOOKING, TICKET, ENTRY, USER])
    assert [lock.how for lock in locks][-2:] == ["update", "skip locked"]  # the buyer: never waits


def test_an_offer_released_passes_on_under_the_release_locks(sold_out):
    _, bookings, (first, _) = sold_out
    bookings_cancel(booking_ids=[bookings[0].pk], actor=StaffFactory())
    locks = locks_taken(lambda: holds_release(hold_ids=[offer_of(first).pk], actor=first.buyer))
    # the released offer's entry, then the next entry, then its buyer (skip locked)
    assert_protocol(locks, [SEAT, HOLD, ENTRY, ENTRY, USER])


def test_the_sweeper_passes_an_expired_offer_on(sold_out):
    _, bookings, (first, _) = sold_out
    bookings_cancel(booking_ids=[bookings[0].pk], actor=StaffFactory())
    later = offer_of(first).expires_at + timedelta(seconds=1)
    locks = locks_taken(lambda: holds_release_expired(now=later))
    assert_protocol(locks, [SEAT, HOLD, ENTRY, ENTRY, USER])


def test_booking_an_offer_writes_the_entry_after_the_hold(sold_out):
    _, bookings, (first, _) = sold_out
    bookings_cancel(booking_ids=[bookings[0].pk], actor=StaffFactory())
    hold = offer_of(first)
    locks = locks_taken(lambda: booking_confirm(buyer=first.buyer, hold_id=hold.pk))
    assert_protocol(locks, [SEAT, HOLD, ENTRY])
    assert locks[-1].how == "write"


def test_an_unblock_offers_under_the_seat_locks():
    event = event_with_rows(2)
    ids = seat_ids(event)
    staff = StaffFactory()
    seats_block(event=event, seat_ids=ids, actor=staff)
    waitlist_join(buyer=UserFactory(), event=event, count=2)
    locks = locks_taken(lambda: seats_unblock(event=event, seat_ids=ids, actor=staff))
    assert_protocol(locks, [SEAT, ENTRY, USER])


def test_join_locks_the_buyer_and_leave_the_entry_or_the_offer(sold_out):
    event, bookings, (first, _) = sold_out
    buyer = UserFactory()
    assert_protocol(locks_taken(lambda: waitlist_join(buyer=buyer, event=event, count=1)), [USER])
    entry = WaitlistEntry.objects.get(buyer=buyer)
    assert_protocol(locks_taken(lambda: waitlist_leave(buyer=buyer, entry_id=entry.pk)), [ENTRY])
    bookings_cancel(booking_ids=[bookings[0].pk], actor=StaffFactory())
    locks = locks_taken(lambda: waitlist_leave(buyer=first.buyer, entry_id=first.pk))
    assert_protocol(locks, [SEAT, HOLD, ENTRY, ENTRY, USER])


def test_the_sweepers_pass_takes_free_seats_without_waiting():
    event = event_with_rows(2)
    ids = seat_ids(event)
    staff = StaffFactory()
    seats_block(event=event, seat_ids=ids, actor=staff)
    waitlist_join(buyer=UserFactory(), event=event, count=2)
    for seat in ids:
        seats_unblock(event=event, seat_ids=[seat], actor=staff)
    locks = locks_taken(lambda: waitlists_offer_available())
    assert_protocol(locks, [SEAT, ENTRY, USER])
    assert [lock.how for lock in locks] == ["skip locked", "update", "skip locked"]
