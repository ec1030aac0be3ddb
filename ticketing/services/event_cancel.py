"""Cancel a whole event: it leaves sale, holds are released, every booking is cancelled and
refunded, in batches, resumably.

The work is driven by the database state only, so running it again (the API, the admin action
or ``cancel_event``) continues where an interrupted run stopped:

1. ``event_cancel_start``: one transaction locks every seat of the event (pk order, the order
   every buyer path uses), then the event row, and sets the event ``cancelled``. A booking
   being confirmed right now holds its seats: it commits first (and is cancelled below) or it
   waits and then finds the event not on sale. No new hold or booking can start afterwards.
2. Live holds are released, a batch of holds per transaction (their seats, then the holds).
3. Confirmed bookings are cancelled, a batch per transaction: their seats, then the bookings
   (pk order), then their tickets (the check-in rule), tickets voided, seats freed, the
   payments marked ``refunding``, the buyers' emails queued after commit. Bookings with a
   ticket already checked in at the gate are cancelled and refunded too: the event did not
   happen, so everyone gets their money back. Those tickets' seats are blocked, not freed (the
   rule's choice; the event is off sale anyway), their audit action is ``void_checked_in`` and
   the progress counts them (``checked_in_voided``).
4. After each batch commits, its refunds go to the gateway (no transaction open). Refunds a
   crash left ``refunding`` are re-driven at the end of every run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from ticketing.locking import lock_bookings, lock_event_for_cancel, lock_holds
from ticketing.models import Booking, Event, EventSeat, Hold, Payment, Ticket
from ticketing.services.checkin import (
    CHECKED_IN_VOID_ACTION,
    CHECKED_IN_VOID_REASON,
    bookings_ensure_cancellable,
)
from ticketing.services.checkout import payments_mark_refund_due, payments_refund
from ticketing.services.inventory import audit_rows, audit_write
from ticketing.services.notifications import booking_cancelled_notify

Status = EventSeat.Status
REASON = "event cancelled"


@dataclass(frozen=True)
class EventCancelProgress:
    event_id: int
    event_status: str
    done: bool
    bookings_confirmed: int
    bookings_cancelled: int
    holds_active: int
    refunds_due: int
    refunds_done: int
    checked_in_voided: int = 0  # void tickets of the event that had been checked in at the gate

    def as_dict(self) -> dict:
        return {
            "event": self.event_id,
            "event_status": self.event_status,
            "state": "done" if self.done else "in_progress",
            "bookings_confirmed": self.bookings_confirmed,
            "bookings_cancelled": self.bookings_cancelled,
            "holds_active": self.holds_active,
            "refunds_due": self.refunds_due,
            "refunds_done": self.refunds_done,
            "checked_in_voided": self.checked_in_voided,
        }


def event_cancel_progress(*, event: Event) -> EventCancelProgress:
    """Where a cancellation stands (five queries)."""
    status = Event.objects.filter(pk=event.pk).values_list("status", flat=True).get()
    bookings = Booking.objects.filter(event_id=event.pk).aggregate(
        confirmed=Count("id", filter=Q(status=Booking.Status.CONFIRMED)),
        cancelled=Count("id", filter=Q(status=Booking.Status.CANCELLED)),
    )
    payments = Payment.objects.filter(booking__event_id=event.pk).aggregate(
        due=Count("id", filter=Q(status=Payment.Status.REFUNDING)),
        done=Count("id", filter=Q(status=Payment.Status.REFUNDED)),
    )
    holds = Hold.objects.filter(event_id=event.pk, status=Hold.Status.ACTIVE).count()
    checked_in_voided = Ticket.objects.filter(
        booking__event_id=event.pk, status=Ticket.Status.VOID, checked_in_at__isnull=False
    ).count()
    return EventCancelProgress(
        event_id=event.pk,
        event_status=status,
        done=status == Event.Status.CANCELLED
        and not bookings["confirmed"]
        and not payments["due"]
        and not holds,
        bookings_confirmed=bookings["confirmed"],
        bookings_cancelled=bookings["cancelled"],
        holds_active=holds,
        refunds_due=payments["due"],
        refunds_done=payments["done"],
        checked_in_voided=checked_in_voided,
    )


def event_cancel_start(*, event: Event, now: datetime | None = None) -> Event:
    """Take the event off sale for good (see the module docstring, step 1). Idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        current = lock_event_for_cancel(event=event)
        if current.status != Event.Status.CANCELLED:
            Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED, updated_at=now)
    event.status = Event.Status.CANCELLED
    return event


def event_holds_release_batch(*, event: Event, actor: User, batch_size: int, now: datetime) -> int:
    """Release up to ``batch_size`` active holds of the event; return how many.

    Locks the holds' held seats (pk order), then the holds (pk order); re-checks under the lock
    that each hold is still active. Writes one UPDATE of the holds, one of the seats, the audit.
    """
    with transaction.atomic():
        candidates = list(
            Hold.objects.filter(event_id=event.pk, status=Hold.Status.ACTIVE)
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not candidates:
            return 0
        seats, holds = lock_holds(hold_ids=candidates)
        hold_ids = {hold.id for hold in holds}
        freed = [seat for seat in seats if seat.hold_id in hold_ids]
        Hold.objects.filter(id__in=hold_ids).update(status=Hold.Status.RELEASED)
        EventSeat.objects.filter(id__in=[seat.id for seat in freed]).update(
            status=Status.AVAILABLE, hold=None
        )
        audit_write(
            audit_rows(
                seats=freed, to_status=Status.AVAILABLE, action="release", now=now, actor=actor, reason=REASON
            )
        )
    return len(hold_ids)


def event_bookings_cancel_batch(
    *, event: Event, actor: User, batch_size: int, now: datetime
) -> tuple[list[int], list[int]]:
    """Cancel up to ``batch_size`` confirmed bookings of the event in one transaction.

    Locks their booked seats (pk order), then the bookings (pk order), then their tickets (the
    check-in rule, ``bookings_ensure_cancellable`` with ``void_checked_in``: an event cancel
    voids checked-in tickets too, ``actor`` is staff); re-checks under the lock that each is
    still confirmed (a buyer may have cancelled meanwhile). Voids the tickets, frees the seats
    (blocks those of checked-in tickets), marks the payments ``refunding``, queues the emails
    after commit. There is no "event has started" check: staff may cancel a match that was
    abandoned.
    Returns (cancelled booking ids, payment ids to refund after commit).
    """
    with transaction.atomic():
        candidates = list(
            Booking.objects.filter(event_id=event.pk, status=Booking.Status.CONFIRMED)
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not candidates:
            return [], []
        locked = lock_bookings(booking_ids=candidates, confirmed_only=True)
        seats, by_id = locked.seats, {booking.id: booking for booking in locked.bookings}
        ids = list(by_id)
        checked_in = bookings_ensure_cancellable(tickets=locked.tickets, actor=actor, void_checked_in=True)
        mine = [seat for seat in seats if seat.booking_id in by_id]
        freed = [seat for seat in mine if seat.id not in checked_in]
        occupied = [seat for seat in mine if seat.id in checked_in]
        Booking.objects.filter(id__in=ids).update(status=Booking.Status.CANCELLED, cancelled_at=now)
        Ticket.objects.filter(booking_id__in=ids, status=Ticket.Status.ACTIVE).update(
            status=Ticket.Status.VOID
        )
        EventSeat.objects.filter(id__in=[seat.id for seat in freed]).update(
            status=Status.AVAILABLE, booking=None
        )
        if occupied:
            EventSeat.objects.filter(id__in=[seat.id for seat in occupied]).update(
                status=Status.BLOCKED, booking=None, block_reason=CHECKED_IN_VOID_REASON
            )
        audit_write(
            [
                row
                for seat in mine
                for row in audit_rows(
                    seats=[seat],
                    to_status=Status.BLOCKED if seat.id in checked_in else Status.AVAILABLE,
                    action=CHECKED_IN_VOID_ACTION if seat.id in checked_in else "cancel",
                    now=now,
                    actor=actor,
                    booking=by_id[seat.booking_id],
                    reason=REASON,
                )
            ]
        )
        due = payments_mark_refund_due(booking_ids=ids, now=now)
        booking_cancelled_notify(booking_ids=ids)
    return ids, due


def event_cancel(
    *,
    event: Event,
    actor: User,
    batch_size: int = 200,
    time_budget: float | None = None,
    on_progress: Callable[[EventCancelProgress], None] | None = None,
) -> EventCancelProgress:
    """Cancel the event and all its bookings, refunding them (the module docstring's steps).

    ``time_budget`` (seconds) bounds one call: it stops between batches once exceeded and the
    answer says ``done=False``; calling again continues. ``on_progress`` is told after each
    batch. Each batch is its own short transaction; the gateway is called between them.
    """
    started = time.monotonic()
    now = timezone.now()
    event_cancel_start(event=event, now=now)

    def over_budget() -> bool:
        return time_budget is not None and time.monotonic() - started > time_budget

    while not over_budget():
        if not event_holds_release_batch(event=event, actor=actor, batch_size=batch_size, now=now):
            break
    while not over_budget():
        cancelled, due = event_bookings_cancel_batch(
            event=event, actor=actor, batch_size=batch_size, now=timezone.now()
        )
        if not cancelled:
            break
        payments_refund(payment_ids=due)
        if on_progress:
            on_progress(event_cancel_progress(event=event))
    if not over_budget():
        leftover = Payment.objects.filter(booking__event_id=event.pk, status=Payment.Status.REFUNDING)
        payments_refund(payment_ids=list(leftover.values_list("id", flat=True)))
    progress = event_cancel_progress(event=event)
    if on_progress:
        on_progress(progress)
    return progress
