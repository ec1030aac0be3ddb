"""The database is the backstop: raw writes that break an invariant raise IntegrityError."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from ticketing.models import Booking, Event, EventPrice, EventSeat, Hold, Ticket

pytestmark = pytest.mark.django_db


def refused(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


@pytest.fixture
def seat(event):
    return EventSeat.objects.filter(event=event).order_by("id").first()


@pytest.fixture
def hold(event, buyer):
    now = timezone.now()
    return Hold.objects.create(
        buyer=buyer,
        event=event,
        created_at=now,
        expires_at=now + timedelta(minutes=10),
        seat_count=1,
        total=1,
    )


@pytest.fixture
def booking(event, buyer):
    return Booking.objects.create(buyer=buyer, event=event, total=Decimal("80.00"), created_at=timezone.now())


# --- Event seats -----------------------------------------------------------------------------


def test_an_event_seat_exists_once_per_event_and_seat(event, seat):
    assert refused(lambda: EventSeat.objects.create(event=event, seat=seat.seat))


def test_an_event_seat_status_must_be_known(seat):
    assert refused(lambda: EventSeat.objects.filter(pk=seat.pk).update(status="sold"))


@pytest.mark.parametrize(
    ("status", "with_hold", "with_booking"),
    [
        ("available", True, False),
        ("available", False, True),
        ("held", False, False),
        ("held", True, True),
        ("booked", False, False),
        ("booked", True, True),
        ("blocked", True, False),
        ("blocked", False, True),
    ],
)
def test_each_status_carries_exactly_its_reference(seat, hold, booking, status, with_hold, with_booking):
    update = {
        "status": status,
        "hold": hold if with_hold else None,
        "booking": booking if with_booking else None,
    }
    assert refused(lambda: EventSeat.objects.filter(pk=seat.pk).update(**update))


@pytest.mark.parametrize(
    ("status", "with_hold", "with_booking"),
    [("available", False, False), ("held", True, False), ("booked", False, True), ("blocked", False, False)],
)
def test_the_consistent_states_are_accepted(seat, hold, booking, status, with_hold, with_booking):
    update = {
        "status": status,
        "hold": hold if with_hold else None,
        "booking": booking if with_booking else None,
    }
    assert not refused(lambda: EventSeat.objects.filter(pk=seat.pk).update(**update))


# --- Tickets: the double-sale backstop -------------------------------------------------------


def test_a_seat_cannot_have_two_active_tickets(seat, booking, buyer, event):
    Ticket.objects.create(booking=booking, event_seat=seat, code="one", price=1)
    other = Booking.objects.create(buyer=buyer, event=event, total=1, created_at=timezone.now())
    assert refused(lambda: Ticket.objects.create(booking=other, event_seat=seat, code="two", price=1))


def test_a_void_ticket_does_not_block_a_new_sale(seat, booking):
    Ticket.objects.create(booking=booking, event_seat=seat, code="one", price=1, status=Ticket.Status.VOID)
    assert not refused(lambda: Ticket.objects.create(booking=booking, event_seat=seat, code="two", price=1))


def test_ticket_codes_are_unique(event, booking):
    first, second = EventSeat.objects.filter(event=event).order_by("id")[:2]
    Ticket.objects.create(booking=booking, event_seat=first, code="same", price=1)
    assert refused(lambda: Ticket.objects.create(booking=booking, event_seat=second, code="same", price=1))


@pytest.mark.parametrize("fields", [{"status": "lost"}, {"price": -1}])
def test_ticket_checks(seat, booking, fields):
    assert refused(
        lambda: Ticket.objects.create(booking=booking, event_seat=seat, code="c", **{"price": 1, **fields})
    )


# --- Holds and bookings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [{"status": "forgotten"}, {"seat_count": 0}, {"expires_in": timedelta(0)}],
    ids=["status", "no-seats", "expires-at-creation"],
)
def test_hold_checks(event, buyer, fields):
    now = timezone.now()
    expires_in = fields.pop("expires_in", timedelta(minutes=10))
    values = {"seat_count": 1, "total": 1, **fields}
    assert refused(
        lambda: Hold.objects.create(
            buyer=buyer, event=event, created_at=now, expires_at=now + expires_in, **values
        )
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "refunded"},
        {"status": "cancelled"},  # without cancelled_at
        {"cancelled_at": timezone.now()},  # confirmed with cancelled_at
        {"total": -1},
    ],
    ids=["status", "cancelled-without-time", "confirmed-with-time", "negative-total"],
)
def test_booking_checks(event, buyer, fields):
    values = {"total": 1, "created_at": timezone.now(), **fields}
    assert refused(lambda: Booking.objects.create(buyer=buyer, event=event, **values))


# --- Events and prices -----------------------------------------------------------------------


def event_values(event, **fields):
    base = {
        "kind": "match",
        "home_team": "A",
        "away_team": "B",
        "title": "",
        "hall": event.hall,
        "starts_at": event.starts_at,
    }
    return {**base, **fields}


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "concert"},
        {"status": "postponed"},
        {"away_team": ""},
        {"kind": "show", "title": ""},
        {"hold_seconds": 5},
        {"hold_seconds": 3601},
        {"max_seats_per_buyer": 0},
        {"max_seats_per_buyer": 101},
    ],
    ids=[
        "kind",
        "status",
        "match-without-teams",
        "show-without-title",
        "hold-short",
        "hold-long",
        "limit-0",
        "limit-101",
    ],
)
def test_event_checks(event, fields):
    assert refused(lambda: Event.objects.create(**event_values(event, **fields)))


def test_a_show_with_a_title_is_fine(event):
    assert not refused(lambda: Event.objects.create(**event_values(event, kind="show", title="Hamlet")))


def test_one_price_per_category_and_never_negative(event):
    assert refused(lambda: EventPrice.objects.create(event=event, category="vip", amount=1))
    assert refused(lambda: EventPrice.objects.create(event=event, category="balcony", amount=-1))
