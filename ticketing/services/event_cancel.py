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
from ticketing.locking import lock_event_for_cancel
from ticketing.models import Booking, Event, Hold, Payment, Ticket
from ticketing.services.bookings import EVENT_CANCELLED_REASON as REASON
from ticketing.services.bookings import bookings_cancel
from ticketing.services.holds import holds_release
from ticketing.services.payments import payments_refund


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

    @property
    def state(self) -> str:
        """``not_cancelled`` (nobody cancelled the event), ``in_progress`` or ``done``."""
        if self.event_status != Event.Status.CANCELLED:
            return "not_cancelled"
        return "done" if self.done else "in_progress"

    def as_dict(self) -> dict:
        return {
            "event": self.event_id,
            "event_status": self.event_status,
            "state": self.state,
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


def _first_ids(rows, batch_size: int) -> list[int]:
    """The ids of the first ``batch_size`` of ``rows`` (pk order), read without a lock: the
    use case called with them locks and re-checks each."""
    return list(rows.order_by("id").values_list("id", flat=True)[:batch_size])


def event_holds_release_batch(*, event: Event, actor: User, batch_size: int, now: datetime) -> int:
    """Release up to ``batch_size`` active holds of the event (``holds_release``); how many."""
    ids = _first_ids(Hold.objects.filter(event_id=event.pk, status=Hold.Status.ACTIVE), batch_size)
    if not ids:
        return 0
    return len(holds_release(hold_ids=ids, actor=actor, now=now, skip_inactive=True, reason=REASON))


def event_bookings_cancel_batch(*, event: Event, actor: User, batch_size: int, now: datetime) -> int:
    """Cancel and refund up to ``batch_size`` confirmed bookings of the event
    (``bookings_cancel`` with ``event_cancelled``: checked-in tickets too); how many."""
    ids = _first_ids(Booking.objects.filter(event_id=event.pk, status=Booking.Status.CONFIRMED), batch_size)
    if not ids:
        return 0
    return len(bookings_cancel(booking_ids=ids, actor=actor, event_cancelled=True, now=now))


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
        # each batch's refunds go to the gateway as soon as it commits (bookings_cancel)
        if not event_bookings_cancel_batch(
            event=event, actor=actor, batch_size=batch_size, now=timezone.now()
        ):
            break
        if on_progress:
            on_progress(event_cancel_progress(event=event))
    if not over_budget():
        leftover = Payment.objects.filter(booking__event_id=event.pk, status=Payment.Status.REFUNDING)
        payments_refund(payment_ids=list(leftover.values_list("id", flat=True)))
    progress = event_cancel_progress(event=event)
    if on_progress:
        on_progress(progress)
    return progress
