"""hold_release and holds_release_expired: seats free at once; the sweeper is housekeeping."""

import pytest
from django.utils import timezone

from config.errors import HoldExpired
from tests.ticketing.helpers import after_expiry, assert_inventory_clean, held, seat_ids, statuses
from ticketing.models import EventSeat, Hold, SeatAudit
from ticketing.services.bookings import booking_confirm
from ticketing.services.holds import hold_create, holds_release, holds_release_expired

pytestmark = pytest.mark.django_db


def test_release_frees_the_seats_at_once(event, buyer, other_buyer):
    ids = seat_ids(event, 2)
    hold = held(buyer, event, ids)
    now = timezone.now()
    [released] = holds_release(hold_ids=[hold.pk], actor=buyer, now=now)
    assert released.status == Hold.Status.RELEASED == Hold.objects.get(pk=hold.pk).status
    assert statuses(ids) == ["available", "available"]
    assert (
        list(
            SeatAudit.objects.filter(action="release").values_list(
                "from_status", "to_status", "hold_id", "actor_id", "at"
            )
        )
        == [("held", "available", hold.id, buyer.id, now)] * 2
    )
    assert hold_create(buyer=other_buyer, event=event, seat_ids=ids).seat_count == 2
    assert_inventory_clean(event.id)


def test_release_twice_is_hold_expired(event, buyer):
    hold = held(buyer, event, seat_ids(event, 1))
    holds_release(hold_ids=[hold.pk], actor=buyer)
    with pytest.raises(HoldExpired) as error:
        holds_release(hold_ids=[hold.pk], actor=buyer)
    assert error.value.code == "hold_expired" and error.value.http_status == 409


def test_release_of_a_booked_hold_is_hold_expired_and_keeps_the_booking(event, buyer):
    ids = seat_ids(event, 1)
    hold = held(buyer, event, ids)
    booking_confirm(buyer=buyer, hold_id=hold.id)
    with pytest.raises(HoldExpired):
        holds_release(hold_ids=[hold.pk], actor=buyer)
    assert statuses(ids) == ["booked"]


def test_release_of_a_swept_hold_is_hold_expired(event, buyer):
    hold = held(buyer, event, seat_ids(event, 1))
    holds_release_expired(now=after_expiry(hold))
    with pytest.raises(HoldExpired):
        holds_release(hold_ids=[hold.pk], actor=buyer)


def test_release_of_an_expired_hold_leaves_seats_taken_over_alone(event, buyer, other_buyer):
    # given: an expired hold of two seats, one of which another buyer took over
    ids = seat_ids(event, 2)
    old = held(buyer, event, ids)
    now = after_expiry(old)
    new = hold_create(buyer=other_buyer, event=event, seat_ids=ids[:1], now=now)
    # when
    holds_release(hold_ids=[old.pk], actor=buyer, now=now)
    # then
    assert EventSeat.objects.get(pk=ids[0]).hold_id == new.id
    assert statuses(ids) == ["held", "available"]
    assert_inventory_clean(event.id, now=now)


def test_sweeper_records_expired_holds_and_frees_their_seats(event, buyer, other_buyer):
    # given: an expired hold, a live one, and a hold whose seat was already taken over
    ids = seat_ids(event)
    t0 = timezone.now()
    expired = held(buyer, event, ids[0:2], now=t0)
    overtaken = held(other_buyer, event, ids[2:3], now=t0)
    sweep_at = after_expiry(expired)
    live = held(buyer, event, ids[3:4], now=sweep_at)
    taker = hold_create(buyer=buyer, event=event, seat_ids=ids[2:3], now=sweep_at)
    # when
    count = holds_release_expired(now=sweep_at)
    # then
    assert count == 2
    assert Hold.objects.get(pk=expired.pk).status == Hold.Status.EXPIRED
    assert Hold.objects.get(pk=overtaken.pk).status == Hold.Status.EXPIRED
    assert Hold.objects.get(pk=live.pk).status == Hold.Status.ACTIVE
    assert statuses(ids[0:4]) == ["available", "available", "held", "held"]
    assert EventSeat.objects.get(pk=ids[2]).hold_id == taker.id
    expire_rows = SeatAudit.objects.filter(action="expire", at=sweep_at)
    assert sorted(expire_rows.values_list("event_seat_id", "hold_id")) == [
        (ids[0], expired.id),
        (ids[1], expired.id),
        (ids[2], overtaken.id),  # written by the take-over, not by the sweeper
    ]
    assert holds_release_expired(now=sweep_at) == 0
    assert_inventory_clean(event.id, now=sweep_at)


def test_sweeper_works_in_batches(event, buyer, other_buyer):
    ids = seat_ids(event)
    t0 = timezone.now()
    holds = [held(buyer if i % 2 else other_buyer, event, [seat], now=t0) for i, seat in enumerate(ids[:5])]
    assert holds_release_expired(now=after_expiry(holds[0]), batch_size=2) == 5
    assert statuses(ids[:5]) == ["available"] * 5


def test_sweeper_leaves_live_holds_alone(event, buyer):
    hold = held(buyer, event, seat_ids(event, 1))
    assert holds_release_expired(now=hold.expires_at - (hold.expires_at - hold.created_at) / 2) == 0
    assert Hold.objects.get(pk=hold.pk).status == Hold.Status.ACTIVE
