"""Reads of the tickets a buyer holds (GET /tickets/)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User
from ticketing.models import Ticket


def tickets_of(*, user: User) -> QuerySet[Ticket]:
    """The tickets ``user`` holds or held: those of their own bookings that nobody else owns, and
    those transferred to them; every status (a ticket given away stays, ``transferred``). Soonest
    event first. Two index paths: the booking's buyer, the ticket's owner (``ticket_owner_idx``)."""
    return (
        Ticket.objects.filter(Q(owner=user) | Q(owner__isnull=True, booking__buyer=user))
        .select_related("booking", "event_seat__event__hall__venue", "event_seat__seat__section")
        .order_by("event_seat__event__starts_at", "id")  # its own event: a season booking has several
    )
