"""Booking services: confirm a hold into tickets, cancel a booking."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.errors import NotFound
from ticketing.errors import AlreadyCancelled, CancellationClosed, HoldExpired
from ticketing.locking import lock_bookings, lock_for_booking
from ticketing.models import Booking, EventSeat, Hold, Ticket
from ticketing.services.checkin import (
    CHECKED_IN_VOID_ACTION,
    CHECKED_IN_VOID_REASON,
    bookings_ensure_cancellable,
)
from ticketing.services.events import event_ensure_on_sale
from ticketing.services.inventory import audit_rows, audit_write, prefetched_set
from ticketing.services.tickets import ticket_code_sign

Status = EventSeat.Status


def ticket_code_new(*, booking: Booking, event_seat: EventSeat) -> str:
    """The ticket's code: signed, so a gate can verify it offline (services/tickets.py)."""
    return ticket_code_sign(event_id=booking.event_id, event_seat_id=event_seat.pk, booking_id=booking.pk)


def booking_confirm(*, buyer: User, hold_id: int, now: datetime | None = None) -> Booking:
    """Turn the buyer's live hold into a confirmed booking with one ticket per seat.

    Locks (``lock_for_booking``), in this order: the event seats still held by the hold (pk
    order, waiting, bounded), then the hold. Checks under the locks: the hold exists and
    belongs to ``buyer`` (else NotFound: another buyer's hold does not exist for this one); it
    is active and unexpired at ``now`` and still holds every one of its seats (else
    HoldExpired: expired, released or already booked; a seat taken over after expiry is no
    longer held by it); the event is on sale and has not started (EventNotOnSale).
    Writes: one INSERT of the Booking, one of the Tickets (unguessable codes, the prices the
    hold captured), one UPDATE of the seats, one of the hold, one INSERT of audit rows.
    Lock waits past the timeout raise OperationalError, rendered by the API as 503 busy.
    Returns the booking with its event and tickets (their seat and section) already loaded.
    """
    now = now or timezone.now()
    with transaction.atomic():
        seats, hold = lock_for_booking(buyer=buyer, hold_id=hold_id)
        if hold is None:
            raise NotFound("No such hold.")
        if not hold.is_live(now) or len(seats) != hold.seat_count:
            raise HoldExpired()
        event_ensure_on_sale(event=hold.event, now=now)
        booking = Booking.objects.create(
            buyer=buyer, event=hold.event, hold=hold, total=hold.total, created_at=now
        )
        tickets = Ticket.objects.bulk_create(
            Ticket(
                booking=booking,
                event_seat=seat,
                code=ticket_code_new(booking=booking, event_seat=seat),
                price=Decimal(hold.prices.get(seat.seat.category, "0")),
            )
            for seat in seats
        )
        EventSeat.objects.filter(id__in=[seat.id for seat in seats]).update(
            status=Status.BOOKED, hold=None, booking=booking
        )
        Hold.objects.filter(pk=hold.pk).update(status=Hold.Status.BOOKED)
        audit_write(
            audit_rows(
                seats=seats,
                to_status=Status.BOOKED,
                action="book",
                now=now,
                actor=buyer,
                hold=hold,
                booking=booking,
            )
        )
    # The state just committed, attached: a caller renders the booking, its tickets and their
    # seats (section, row, number) without reading them back.
    for seat in seats:
        seat.status, seat.hold, seat.booking = Status.BOOKED, None, booking
    prefetched_set(booking, "tickets", tickets)
    return booking


def booking_cancel(
    *, booking: Booking, actor: User, void_checked_in: bool = False, now: datetime | None = None
) -> Booking:
    """Cancel a confirmed booking: void its tickets and free its seats at once.

    Locks (``lock_bookings``), in this order: the booking's booked event seats (pk order,
    waiting, bounded), the booking, then its tickets (the rows a gate scan locks).
    Checks under the locks: the booking is still confirmed (else AlreadyCancelled), its event
    has not started at ``now`` (else CancellationClosed), and no ticket was checked in at the
    gate unless staff void it on purpose with ``void_checked_in`` (else TicketCheckedIn).
    Permission (owner or staff) is the caller's job.
    Writes: one UPDATE of the booking, one of its tickets, one of the seats freed, one of the
    seats of checked-in tickets (blocked, not returned to sale: see the rule), one INSERT of
    audit rows (``cancel``; ``void_checked_in`` for a checked-in ticket's seat).
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_bookings(booking_ids=[booking.pk])
        seats, booking = locked.seats, locked.bookings[0]
        if booking.status == Booking.Status.CANCELLED:
            raise AlreadyCancelled()
        if booking.event.starts_at <= now:
            raise CancellationClosed()
        checked_in = bookings_ensure_cancellable(
            tickets=locked.tickets, actor=actor, void_checked_in=void_checked_in
        )
        freed = [seat for seat in seats if seat.id not in checked_in]
        occupied = [seat for seat in seats if seat.id in checked_in]
        Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED, cancelled_at=now)
        Ticket.objects.filter(booking=booking, status=Ticket.Status.ACTIVE).update(status=Ticket.Status.VOID)
        EventSeat.objects.filter(id__in=[seat.id for seat in freed]).update(
            status=Status.AVAILABLE, booking=None
        )
        if occupied:
            EventSeat.objects.filter(id__in=[seat.id for seat in occupied]).update(
                status=Status.BLOCKED, booking=None, block_reason=CHECKED_IN_VOID_REASON
            )
        audit_write(
            audit_rows(
                seats=freed,
                to_status=Status.AVAILABLE,
                action="cancel",
                now=now,
                actor=actor,
                booking=booking,
            )
            + audit_rows(
                seats=occupied,
                to_status=Status.BLOCKED,
                action=CHECKED_IN_VOID_ACTION,
                now=now,
                actor=actor,
                booking=booking,
                reason=CHECKED_IN_VOID_REASON,
            )
        )
        booking.status, booking.cancelled_at = Booking.Status.CANCELLED, now
    return booking
