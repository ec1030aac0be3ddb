"""The waiting list: join, position, leave; seats that come back are offered in the freeing
transaction (cancel, release, expiry swept, unblock); an offer booked, expired or left."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import (
    AlreadyOnWaitlist,
    EventNotOnSale,
    EventNotSoldOut,
    HoldExpired,
    Invalid,
    NotFound,
    SeatLimitExceeded,
    SeatsUnavailable,
    WaitlistEntryClosed,
)
from tests.factories import StaffFactory, UserFactory
from tests.ticketing.helpers import assert_inventory_clean, booked, event_with_rows, held, seat_ids
from ticketing.api.waitlist import WaitlistEntrySerializer
from ticketing.models import Event, EventSeat, Hold, Notification, WaitlistEntry
from ticketing.selectors.waitlist import waitlist_entries_of
from ticketing.services.bookings import booking_confirm, bookings_cancel
from ticketing.services.holds import hold_create, holds_release, holds_release_expired
from ticketing.services.inventory import seats_block, seats_unblock
from ticketing.services.waitlist import offer_pick, waitlist_join, waitlist_leave, waitlists_offer_available

pytestmark = pytest.mark.django_db
Status = WaitlistEntry.Status


def sold_out(rows=(4,), categories=None, **fields):
    """An on-sale event, every seat booked by one buyer per two seats; returns (event, bookings)."""
    event = event_with_rows(*rows, categories=categories, max_seats_per_buyer=10, **fields)
    ids = seat_ids(event)
    bookings = [booked(UserFactory(), event, ids[i : i + 2]) for i in range(0, len(ids), 2)]
    return event, bookings


def offer_of(entry: WaitlistEntry) -> Hold:
    return Hold.objects.get(waitlist_entry=entry)


# --- joining --------------------------------------------------------------------------------------


def test_join_a_sold_out_event_with_positions_first_come_first_served():
    event, _ = sold_out()
    first = waitlist_join(buyer=UserFactory(), event=event, count=2)
    second = waitlist_join(buyer=UserFactory(), event=event, count=1)
    assert (first.status, first.ahead, second.ahead) == (Status.WAITING, 0, 1)
    [mine] = waitlist_entries_of(buyer=second.buyer)
    assert mine.ahead == 1


def test_join_refused_while_seats_are_free_even_of_an_expired_hold():
    event = event_with_rows(2)
    ids = seat_ids(event)
    hold = held(UserFactory(), event, ids)
    with pytest.raises(EventNotSoldOut):
        waitlist_join(buyer=UserFactory(), event=event, count=1, now=hold.expires_at + timedelta(seconds=1))
    # while the hold lives, the event is sold out
    assert waitlist_join(buyer=UserFactory(), event=event, count=1).status == Status.WAITING


def test_join_by_category_needs_only_that_category_sold_out():
    event, bookings = sold_out(rows=(2, 2), categories=["vip", "standard"])
    bookings_cancel(booking_ids=[bookings[1].pk], actor=StaffFactory())  # the standard row is free
    with pytest.raises(EventNotSoldOut):
        waitlist_join(buyer=UserFactory(), event=event, count=1)
    with pytest.raises(EventNotSoldOut):
        waitlist_join(buyer=UserFactory(), event=event, count=1, category="standard")
    assert waitlist_join(buyer=UserFactory(), event=event, count=1, category="vip").category == "vip"
    with pytest.raises(Invalid):
        waitlist_join(buyer=UserFactory(), event=event, count=1, category="balcony")


def test_join_refusals():
    event, _ = sold_out()
    buyer = UserFactory()
    for count in (0, 11, True, "2"):
        with pytest.raises(Invalid):
            waitlist_join(buyer=buyer, event=event, count=count)
    waitlist_join(buyer=buyer, event=event, count=1)
    with pytest.raises(AlreadyOnWaitlist):
        waitlist_join(buyer=buyer, event=event, count=2)
    limited, _ = sold_out()
    Event.objects.filter(pk=limited.pk).update(max_seats_per_buyer=2)
    limited.refresh_from_db()
    with pytest.raises(SeatLimitExceeded):
        waitlist_join(buyer=buyer, event=limited, count=3)
    Event.objects.filter(pk=limited.pk).update(status=Event.Status.CLOSED)
    limited.refresh_from_db()
    with pytest.raises(EventNotOnSale):
        waitlist_join(buyer=buyer, event=limited, count=1)


def test_one_open_entry_per_buyer_and_event_is_a_constraint():
    event, _ = sold_out()
    entry = waitlist_join(buyer=UserFactory(), event=event, count=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        WaitlistEntry.objects.create(event=event, buyer=entry.buyer, count=1, created_at=timezone.now())
    # once left, the buyer may join again
    waitlist_leave(buyer=entry.buyer, entry_id=entry.pk)
    assert waitlist_join(buyer=entry.buyer, event=event, count=1).status == Status.WAITING


# --- the offer, in the transaction that frees the seats --------------------------------------------


def test_a_cancellation_is_offered_to_the_first_matching_entry_with_an_email(
    django_capture_on_commit_callbacks,
):
    event, bookings = sold_out()
    too_many = waitlist_join(buyer=UserFactory(), event=event, count=3)  # 2 seats come back: no match
    first = waitlist_join(buyer=UserFactory(email="w@example.com"), event=event, count=2)
    later = waitlist_join(buyer=UserFactory(), event=event, count=1)
    freed = sorted(bookings[0].tickets.values_list("event_seat_id", flat=True))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        bookings_cancel(booking_ids=[bookings[0].pk], actor=bookings[0].buyer)
    first.refresh_from_db(), too_many.refresh_from_db(), later.refresh_from_db()
    assert (too_many.status, first.status, later.status) == (Status.WAITING, Status.OFFERED, Status.WAITING)
    offer = offer_of(first)
    assert (offer.buyer_id, offer.status, offer.seat_count) == (first.buyer_id, Hold.Status.ACTIVE, 2)
    held_ids = sorted(EventSeat.objects.filter(hold=offer).values_list("id", flat=True))
    assert held_ids == freed  # the seats that came back, held for the waiting buyer: none is free
    assert not EventSeat.objects.filter(event=event, status="available").exists()
    assert Notification.objects.filter(kind="waitlist_offer", waitlist_entry=first).count() == 1
    [email] = [m for m in mail.outbox if m.to == ["w@example.com"]]
    assert "held for you" in email.subject and "row A" in email.body
    assert_inventory_clean(event.id)


def test_the_public_cannot_take_an_offered_seat():
    event, bookings = sold_out(rows=(2,))
    entry = waitlist_join(buyer=UserFactory(), event=event, count=1)
    bookings_cancel(booking_ids=[bookings[0].pk], actor=StaffFactory())
    offered = EventSeat.objects.get(hold__waitlist_entry=entry)
    free = EventSeat.objects.get(event=event, status="available")
    with pytest.raises(SeatsUnavailable):
        hold_create(buyer=UserFactory(), event=event, seat_ids=[offered.id])
    assert hold_create(buyer=UserFactory(), event=event, seat_ids=[free.id]).seat_count == 1


def test_with_nobody_waiting_a_freed_seat_goes_to_the_public():
    event, bookings = sold_out(rows=(2,))
    bookings_cancel(booking_ids=[bookings[0].pk], actor=StaffFactory())
    assert EventSeat.objects.filter(event=event, status="available").count() == 2
    assert not Hold.objects.filter(event=event, status="active").exists()


def test_a_category_entry_gets_only_its_category():
    event, bookings = sold_out(rows=(2, 2), categories=["vip", "standard"])
    vip = waitlist_join(buyer=UserFactory(), event=event, count=1, category="vip")
    anyone = waitlist_join(buyer=UserFactory(), event=event, count=2)
    bookings_cancel(booking_ids=[bookings[1].pk], actor=StaffFactory())  # the standard row
    vip.refresh_from_db(), anyone.refresh_from_db()
    assert (vip.status, anyone.status) == (Status.WAITING, Status.OFFERED)
    bookings_cancel(booking_ids=[bookings[0].pk], actor=StaffFactory())  # the vip row
    vip.refresh_from_db()
    assert vip.status == Status.OFFERED
    assert {s.seat.category for s in EventSeat.objects.filter(hold=offer_of(vip)).select_related("seat")} == {
        "vip"
    }
    assert EventSeat.objects.filter(event=event, status="available").count() == 1


def test_several_entries_served_by_one_cancellation():
    event, bookings = sold_out(rows=(4,))
    entries = [waitlist_join(buyer=UserFactory(), event=event, count=1) for _ in range(3)]
    bookings_cancel(booking_ids=[bookings[0].pk, bookings[1].pk], actor=StaffFactory())
    for entry in entries:
        entry.refresh_from_db()
    assert [e.status for e in entries] == [Status.OFFERED] * 3
    assert EventSeat.objects.filter(event=event, status="available").count() == 1
    assert_inventory_clean(event.id)


def test_a_released_hold_and_an_unblock_are_offered_too():
    event = event_with_rows(3, max_seats_per_buyer=10)
    ids = seat_ids(event)
    seats_block(event=event, seat_ids=[ids[0]], actor=StaffFactory())
    hold = held(UserFactory(), event, ids[1:])
    entry = waitlist_join(buyer=UserFactory(), event=event, count=1)
    other = waitlist_join(buyer=UserFactory(), event=event, count=2)
    holds_release(hold_ids=[hold.pk], actor=hold.buyer)
    entry.refresh_from_db(), other.refresh_from_db()
    assert (entry.status, other.status) == (Status.OFFERED, Status.WAITING)  # 2 freed, 1 asked first
    assert EventSeat.objects.filter(event=event, status="available").count() == 1
    # only the seats freed by a transaction are offered in it: 1 seat cannot serve 2
    held(
        UserFactory(),
        event,
        list(EventSeat.objects.filter(event=event, status="available").values_list("id", flat=True)),
    )
    late = waitlist_join(buyer=UserFactory(), event=event, count=1)
    seats_unblock(event=event, seat_ids=[ids[0]], actor=StaffFactory())
    other.refresh_from_db(), late.refresh_from_db()
    assert (other.status, late.status) == (Status.WAITING, Status.OFFERED)
    assert EventSeat.objects.get(pk=ids[0]).hold == offer_of(late)
    assert_inventory_clean(event.id)


def test_a_busy_buyer_is_passed_over_but_keeps_their_place(monkeypatch):
    from ticketing.services import waitlist

    event, bookings = sold_out(rows=(4,))
    busy = waitlist_join(buyer=UserFactory(), event=event, count=1)
    next_one = waitlist_join(buyer=UserFactory(), event=event, count=1)
    monkeypatch.setattr(
        waitlist, "lock_buyer_if_free", lambda buyer_id: None if buyer_id == busy.buyer_id else True
    )
    bookings_cancel(booking_ids=[bookings[0].pk], actor=StaffFactory())
    busy.refresh_from_db(), next_one.refresh_from_db()
    assert (busy.status, next_one.status) == (Status.WAITING, Status.OFFERED)
    # one of the two seats went to the next entry, the other is public
    assert EventSeat.objects.filter(event=event, status="available").count() == 1


def test_an_offer_past_the_buyer_limit_is_passed_over():
    event, bookings = sold_out(rows=(4,))
    Event.objects.filter(pk=event.pk).update(max_seats_per_buyer=2)
    buyer = bookings[1].buyer  # already has 2 seats
    entry = WaitlistEntry.objects.create(event=event, buyer=buyer, count=1, created_at=timezone.now())
    bookings_cancel(booking_ids=[bookings[0].pk], actor=StaffFactory())
    entry.refresh_from_db()
    assert entry.status == Status.WAITING
    assert EventSeat.objects.filter(event=event, status="available").count() == 2


def test_no_offer_for_an_event_off_sale():
    event, bookings = sold_out(rows=(2,))
    entry = waitlist_join(buyer=UserFactory(), event=event, count=1)
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED)
    bookings_cancel(booking_ids=[bookings[0].pk], actor=StaffFactory())
    entry.refresh_from_db()
    assert entry.status == Status.WAITING


# --- what becomes of an offer ---------------------------------------------------------------------


def offered_entry(**fields):
    event, bookings = sold_out(rows=(4,), **fields)
    first = waitlist_join(buyer=UserFactory(), event=event, count=2)
    second = waitlist_join(buyer=UserFactory(), event=event, count=2)
    bookings_cancel(booking_ids=[bookings[0].pk], actor=StaffFactory())
    first.refresh_from_db()
    assert first.status == Status.OFFERED
    return event, first, second


def test_a_booked_offer_fulfils_the_entry():
    event, first, _ = offered_entry()
    booking = booking_confirm(buyer=first.buyer, hold_id=offer_of(first).pk)
    first.refresh_from_db()
    assert first.status == Status.FULFILLED and booking.tickets.count() == 2
    assert_inventory_clean(event.id)


def test_an_expired_offer_passes_to_the_next_entry_when_swept():
    event, first, second = offered_entry()
    offer = offer_of(first)
    later = offer.expires_at + timedelta(seconds=1)
    # before the sweeper: the entry already reads expired, and the seats are free for anyone
    [mine] = waitlist_entries_of(buyer=first.buyer)
    assert WaitlistEntrySerializer(mine, context={"now": later}).data["status"] == "expired"
    assert holds_release_expired(now=later) == 1
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status) == (Status.EXPIRED, Status.OFFERED)
    assert offer_of(second).seat_count == 2
    with pytest.raises(HoldExpired):
        booking_confirm(buyer=first.buyer, hold_id=offer.pk, now=later)
    assert_inventory_clean(event.id, now=later)


def test_an_expired_offer_taken_by_the_public_before_the_sweeper_is_not_offered_again():
    event, first, second = offered_entry()
    offer = offer_of(first)
    later = offer.expires_at + timedelta(seconds=1)
    ids = list(EventSeat.objects.filter(hold=offer).values_list("id", flat=True))
    public = hold_create(buyer=UserFactory(), event=event, seat_ids=ids, now=later)
    holds_release_expired(now=later)
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status) == (Status.EXPIRED, Status.WAITING)
    assert EventSeat.objects.filter(hold=public).count() == 2
    assert_inventory_clean(event.id, now=later)


def test_leaving_with_an_offer_releases_it_to_the_next_entry():
    event, first, second = offered_entry()
    offer = offer_of(first)
    left = waitlist_leave(buyer=first.buyer, entry_id=first.pk)
    second.refresh_from_db()
    offer.refresh_from_db()
    assert (left.status, offer.status, second.status) == (Status.LEFT, Hold.Status.RELEASED, Status.OFFERED)
    assert_inventory_clean(event.id)


def test_releasing_the_offers_hold_is_leaving_staff_releasing_it_expires_it():
    _, first, second = offered_entry()
    holds_release(hold_ids=[offer_of(first).pk], actor=first.buyer)
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status) == (Status.LEFT, Status.OFFERED)
    holds_release(hold_ids=[offer_of(second).pk], actor=StaffFactory())
    second.refresh_from_db()
    assert second.status == Status.EXPIRED


def test_leave_a_waiting_entry_and_the_refusals():
    event, _ = sold_out()
    entry = waitlist_join(buyer=UserFactory(), event=event, count=1)
    with pytest.raises(NotFound):
        waitlist_leave(buyer=UserFactory(), entry_id=entry.pk)
    assert waitlist_leave(buyer=entry.buyer, entry_id=entry.pk).status == Status.LEFT
    with pytest.raises(WaitlistEntryClosed):
        waitlist_leave(buyer=entry.buyer, entry_id=entry.pk)
    with pytest.raises(NotFound):
        waitlist_leave(buyer=entry.buyer, entry_id=987654)


def test_offer_pick_prefers_adjacent_seats():
    event = event_with_rows(3, 3)
    seats = list(EventSeat.objects.filter(event=event).select_related("seat").order_by("id"))
    a1, _a2, a3, b1, b2, b3 = seats
    assert offer_pick([a1, a3, b1, b2], count=2, category="") == [b1, b2]
    assert offer_pick([a1, a3, b3], count=2, category="") == [a1, a3]


# --- the sweeper's pass over seats still free -----------------------------------------------------


def test_the_sweepers_pass_offers_seats_left_free():
    event = event_with_rows(2, max_seats_per_buyer=10)
    ids = seat_ids(event)
    staff = StaffFactory()
    seats_block(event=event, seat_ids=ids, actor=staff)
    pair = waitlist_join(buyer=UserFactory(), event=event, count=2)
    # one seat unblocked: too few for the pair, left free
    seats_unblock(event=event, seat_ids=[ids[0]], actor=staff)
    # then the second, in another transaction: still one freed seat, the pair waits
    seats_unblock(event=event, seat_ids=[ids[1]], actor=staff)
    pair.refresh_from_db()
    assert pair.status == Status.WAITING
    assert waitlists_offer_available() == 1
    pair.refresh_from_db()
    assert pair.status == Status.OFFERED and offer_of(pair).seat_count == 2
    assert waitlists_offer_available() == 0
    assert_inventory_clean(event.id)


def test_the_sweepers_pass_leaves_events_off_sale_and_seats_being_claimed_alone():
    event = event_with_rows(2, max_seats_per_buyer=10)
    ids = seat_ids(event)
    staff = StaffFactory()
    seats_block(event=event, seat_ids=ids, actor=staff)
    entry = waitlist_join(buyer=UserFactory(), event=event, count=1)
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED)
    seats_unblock(event=event, seat_ids=ids, actor=staff)
    assert waitlists_offer_available() == 0
    entry.refresh_from_db()
    assert entry.status == Status.WAITING


def test_release_expired_holds_runs_the_pass_and_says_so():
    event = event_with_rows(2, max_seats_per_buyer=10)
    ids = seat_ids(event)
    staff = StaffFactory()
    seats_block(event=event, seat_ids=ids, actor=staff)
    waitlist_join(buyer=UserFactory(), event=event, count=2)
    for seat in ids:
        seats_unblock(event=event, seat_ids=[seat], actor=staff)
    out = StringIO()
    call_command("release_expired_holds", stdout=out)
    assert "Made 1 waiting-list offers of seats still free." in out.getvalue()
