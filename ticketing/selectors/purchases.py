"""Reads of a buyer's holds and bookings."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import User
from ticketing.models import Booking, EventSeat, Hold, Ticket


def holds_of(*, buyer: User) -> QuerySet[Hold]:
    """All of the buyer's holds, with their seats (another buyer's hold is simply absent)."""
    seats = EventSeat.objects.select_related("seat__section").order_by("id")
    return (
        Hold.objects.filter(buyer=buyer)
        .select_related("event", "season")
        .prefetch_related(Prefetch("seats", queryset=seats))
    )


def holds_live_of(*, buyer: User, now: datetime) -> QuerySet[Hold]:
    return holds_of(buyer=buyer).filter(Hold.live_q(now))


def bookings_visible_to(*, user: User) -> QuerySet[Booking]:
    """A buyer's own bookings; staff see all. A buyer sees the tickets of a booking that they
    hold (or held: one they transferred stays, ``transferred``), not the code of the ticket its
    new owner holds; staff see every ticket."""
    tickets = Ticket.objects.select_related("event_seat__seat__section", "event_seat__event").order_by("id")
    if not user.is_staff:
        tickets = tickets.filter(Q(owner__isnull=True) | Q(owner=user))
    bookings = Booking.objects.select_related("event__hall__venue", "season__hall__venue").prefetch_related(
        Prefetch("tickets", queryset=tickets)
    )
    return bookings if user.is_staff else bookings.filter(buyer=user)
