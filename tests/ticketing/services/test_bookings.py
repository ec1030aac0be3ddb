"""booking_confirm and booking_cancel: every error code, prices, tickets, audit rows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from config.errors import AlreadyCancelled, CancellationClosed, EventNotOnSale, HoldExpired, NotFound
from tests.factories import on_sale_event
from tests.ticketing.helpers import after_expiry, assert_inventory_clean, booked, held, seat_ids, statuses
from ticketing.models import Booking, EventPrice, EventSeat, Hold, SeatAudit, Ticket
from ticketing.services.bookings import booking_confirm, bookings_cancel
from ticketing.services.events import event_set_status
from ticketing.services.holds import hold_create, holds_release, holds_release_expired

pytestmark = pytest.mark.django_db


def test_confirm_turns_the_hold_into_tickets_at_the_captured_prices(event, buyer):
    # given: a hold of a vip and a standard seat, then the vip price goes up
    ids = [seat_ids(event)[0], seat_ids(event)[5]]
    hold = held(buyer, event, ids)
    EventPrice.objects.filter(event=event, category="vip").update(amount=Decimal("999.00"))
    now = timezone.now()
    # when
    booking = booking_confirm(buyer=buyer, hold_id=hold.id, now=now)
    # then
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED and booking.buyer == buyer
    assert booking.event == event and booking.hold_id == hold.id and booking.created_at == now
    assert booking.total == Decimal("115.00") == hold.total
    tickets = list(booking.tickets.order_by("event_seat_id"))
    assert [(t.event_seat_id, t.price, t.status) for t in tickets] == [
        (ids[0], Decimal("80.00"), "active"),
        (ids[1], Decimal("35.00"), "active"),
    ]
    assert len({t.code for t in tickets}) == 2 and all(len(t.code) >= 20 for t in tickets)
    assert statuses(ids) == ["booked", "booked"]
    assert set(EventSeat.objects.filter(id__in=ids).values_list("booking_id", "hold_id")) == {
        (booking.id, None)
    }
    assert Hold.objects.get(pk=hold.pk).status == Hold.Status.BOOKED
    assert_inventory_clean(event.id)


def test_confirm_writes_audit_rows(event, buyer):
    ids = seat_ids(event, 2)
    hold = held(buyer, event, ids)
    now = timezone.now()
    booking = booking_confirm(buyer=buyer, hold_id=hold.id, now=now)
    rows = SeatAudit.objects.filter(action="book").order_by("event_seat_id")
    assert list(
        rows.values_list(
            "event_seat_id", "from_status", "to_status", "hold_id", "booking_id", "actor_id", "at"
        )
    ) == [(seat, "held", "booked", hold.id, booking.id, buyer.id, now) for seat in ids]


def test_unknown_hold_is_not_found(event, buyer):
    with pytest.raises(NotFound) as error:
        booking_confirm(buyer=buyer, hold_id=987654)
    assert error.value.code == "not_found" and error.value.http_status == 404


def test_another_buyers_hold_is_not_found_and_stays_held(event, buyer, other_buyer):
    ids = seat_ids(event, 1)
    hold = held(other_buyer, event, ids)
    with pytest.raises(NotFound):
        booking_confirm(buyer=buyer, hold_id=hold.id)
    assert statuses(ids) == ["held"] and not Booking.objects.exists()


def test_expired_hold_is_hold_expired(event, buyer):
    hold = held(buyer, event, seat_ids(event, 1))
    with pytest.raises(HoldExpired) as error:
        booking_confirm(buyer=buyer, hold_id=hold.id, now=hold.expires_at)
    assert error.value.code == "hold_expired" and error.value.http_status == 409
    assert not Booking.objects.exists()


def test_released_hold_is_hold_expired(event, buyer):
    hold = held(buyer, event, seat_ids(event, 1))
    holds_release(hold_ids=[hold.pk], actor=buyer)
    with pytest.raises(HoldExpired):
        booking_confirm(buyer=buyer, hold_id=hold.id)


def test_booked_hold_is_hold_expired(event, buyer):
    hold = held(buyer, event, seat_ids(event, 1))
    booking_confirm(buyer=buyer, hold_id=hold.id)
    with pytest.raises(HoldExpired):
        booking_confirm(buyer=buyer, hold_id=hold.id)
    assert Booking.objects.count() == 1


def test_swept_hold_is_hold_expired(event, buyer):
    hold = held(buyer, event, seat_ids(event, 1))
    holds_release_expired(now=after_expiry(hold))
    with pytest.raises(HoldExpired):
        booking_confirm(buyer=buyer, hold_id=hold.id)


def test_hold_whose_seat_was_taken_over_is_hold_expired_even_with_a_late_clock(event, buyer, other_buyer):
    # given: the hold expired and another buyer took one of its seats
    ids = seat_ids(event, 2)
    hold = held(buyer, event, ids)
    hold_create(buyer=other_buyer, event=event, seat_ids=ids[1:], now=after_expiry(hold))
    # when: the owner's clock still says the hold is live
    with pytest.raises(HoldExpired):
        booking_confirm(buyer=buyer, hold_id=hold.id, now=hold.expires_at - timedelta(seconds=1))
    # then: nothing changed
    assert statuses(ids) == ["held", "held"] and not Booking.objects.exists()


def test_event_closed_after_the_hold_is_not_on_sale(event, buyer):
    hold = held(buyer, event, seat_ids(event, 1))
    event_set_status(event=event, status="closed")
    with pytest.raises(EventNotOnSale):
        booking_confirm(buyer=buyer, hold_id=hold.id)


def test_event_started_while_holding_is_not_on_sale(buyer):
    event = on_sale_event(starts_in=timedelta(minutes=5))
    hold = held(buyer, event, seat_ids(event, 1))
    with pytest.raises(EventNotOnSale):
        booking_confirm(buyer=buyer, hold_id=hold.id, now=event.starts_at + timedelta(seconds=1))


def test_cancel_voids_tickets_and_frees_seats_at_once(event, buyer, other_buyer, staff):
    ids = seat_ids(event, 2)
    booking = booked(buyer, event, ids)
    now = timezone.now()
    # when: staff cancels
    [cancelled] = bookings_cancel(booking_ids=[booking.pk], actor=staff, now=now)
    # then
    assert cancelled.status == Booking.Status.CANCELLED and cancelled.cancelled_at == now
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancelled_at == now
    assert set(Ticket.objects.filter(booking=booking).values_list("status", flat=True)) == {"void"}
    assert statuses(ids) == ["available", "available"]
    assert (
        list(
            SeatAudit.objects.filter(action="cancel").values_list(
                "from_status", "to_status", "booking_id", "actor_id"
            )
        )
        == [("booked", "available", booking.id, staff.id)] * 2
    )
    assert hold_create(buyer=other_buyer, event=event, seat_ids=ids).seat_count == 2
    assert_inventory_clean(event.id)


def test_cancel_twice_is_already_cancelled(event, buyer):
    booking = booked(buyer, event, seat_ids(event, 1))
    bookings_cancel(booking_ids=[booking.pk], actor=buyer)
    with pytest.raises(AlreadyCancelled) as error:
        bookings_cancel(booking_ids=[booking.pk], actor=buyer)
    assert error.value.code == "already_cancelled" and error.value.http_status == 409


def test_cancel_after_the_start_is_cancellation_closed(event, buyer):
    ids = seat_ids(event, 1)
    booking = booked(buyer, event, ids)
    with pytest.raises(CancellationClosed) as error:
        bookings_cancel(booking_ids=[booking.pk], actor=buyer, now=event.starts_at)
    assert error.value.code == "cancellation_closed" and error.value.http_status == 409
    assert statuses(ids) == ["booked"]


def test_a_cancelled_booking_never_disappears(event, buyer):
    booking = booked(buyer, event, seat_ids(event, 1))
    bookings_cancel(booking_ids=[booking.pk], actor=buyer)
    assert Booking.objects.filter(pk=booking.pk, status="cancelled").exists()
    assert Ticket.objects.filter(booking=booking).count() == 1
