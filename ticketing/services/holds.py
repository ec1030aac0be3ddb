"""Hold services: claim seats for a few minutes, release them, sweep expired holds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, IntegerField, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from ticketing.errors import HoldExpired, SeatLimitExceeded, SeatsUnavailable
from ticketing.locking import lock_rows
from ticketing.models import Event, EventSeat, Hold, Ticket
from ticketing.services.events import event_ensure_on_sale
from ticketing.services.inventory import (
    audit_rows,
    audit_write,
    expiry_audit_rows,
    raise_unknown_seats,
    seat_effective_status,
    seat_ids_validate,
    unknown_seat_ids,
)

Status = EventSeat.Status


def event_seat_limit(event: Event) -> int:
    return event.max_seats_per_buyer or settings.TICKETING_MAX_SEATS_PER_BUYER


def event_hold_seconds(event: Event) -> int:
    return event.hold_seconds or settings.TICKETING_HOLD_SECONDS


def buyer_seat_count(*, buyer: User, event: Event, now: datetime) -> int:
    """Seats the buyer holds (live holds) plus has booked (active tickets) for the event."""
    held = (
        Hold.objects.filter(buyer=buyer, event=event, status=Hold.Status.ACTIVE, expires_at__gt=now)
        .values("event")
        .annotate(n=Sum("seat_count"))
        .values("n")
    )
    booked = (
        Ticket.objects.filter(booking__buyer=buyer, booking__event=event, status=Ticket.Status.ACTIVE)
        .values("booking__event")
        .annotate(n=Count("id"))
        .values("n")
    )
    counts = (
        Event.objects.filter(pk=event.pk)
        .annotate(
            held=Coalesce(Subquery(held, output_field=IntegerField()), Value(0)),
            booked=Coalesce(Subquery(booked, output_field=IntegerField()), Value(0)),
        )
        .values_list("held", "booked")
        .get()
    )
    return counts[0] + counts[1]


def hold_create(*, buyer: User, event: Event, seat_ids: Sequence[int], now: datetime | None = None) -> Hold:
    """Hold the given seats of an on-sale event for ``buyer``, all or nothing.

    Locks, in this order: the buyer's user row (FOR NO KEY UPDATE: serialises one buyer's own
    requests so the per-buyer limit holds), then the requested event seats in pk order with
    SKIP LOCKED: a seat that another transaction is claiming right now counts as unavailable,
    so a loser gets an immediate 409 instead of queueing behind the winner.
    Checks under the locks: every seat is available (a seat whose hold expired is), and the
    buyer's live held plus booked seats plus these stay within the event's limit.
    Writes: one Hold, one UPDATE of the seats, one INSERT of audit rows.
    Raises Invalid (bad/unknown ids), EventNotOnSale, SeatLimitExceeded, SeatsUnavailable,
    and, through the lock timeout, Busy.
    """
    now = now or timezone.now()
    ids = seat_ids_validate(seat_ids)
    event_ensure_on_sale(event=event, now=now)
    limit = event_seat_limit(event)
    if len(ids) > limit:
        raise SeatLimitExceeded(limit)
    prices = dict(event.prices.values_list("category", "amount"))
    with transaction.atomic():
        lock_rows(User.objects.filter(pk=buyer.pk), no_key=True)
        if buyer_seat_count(buyer=buyer, event=event, now=now) + len(ids) > limit:
            raise SeatLimitExceeded(limit)
        seats = lock_rows(
            EventSeat.objects.filter(event=event, id__in=ids).select_related("hold", "seat"),
            skip_locked=True,
        )
        unavailable = [
            {"id": seat.id, "status": status}
            for seat in seats
            if (status := seat_effective_status(seat, now)) != Status.AVAILABLE
        ]
        if len(seats) != len(ids):
            unknown = unknown_seat_ids(event=event, seat_ids=ids)
            if unknown:
                raise_unknown_seats(unknown)
            locked = set(ids) - {seat.id for seat in seats}
            unavailable += [{"id": seat_id, "status": Status.HELD} for seat_id in locked]
        if unavailable:
            raise SeatsUnavailable(unavailable)
        hold = Hold.objects.create(
            buyer=buyer,
            event=event,
            created_at=now,
            expires_at=now + timedelta(seconds=event_hold_seconds(event)),
            seat_count=len(seats),
            total=sum((prices.get(seat.seat.category, Decimal(0)) for seat in seats), Decimal(0)),
            prices={seat.seat.category: str(prices.get(seat.seat.category, 0)) for seat in seats},
        )
        EventSeat.objects.filter(id__in=ids).update(status=Status.HELD, hold=hold, version=F("version") + 1)
        audit_write(
            expiry_audit_rows(seats, now=now)
            + audit_rows(
                seats=seats,
                from_status=Status.AVAILABLE,
                to_status=Status.HELD,
                action="hold",
                now=now,
                actor=buyer,
                hold=hold,
            )
        )
    return hold


def hold_release(*, hold: Hold, actor: User | None = None, now: datetime | None = None) -> Hold:
    """Release a hold now; its seats are available at once.

    Locks the hold's event seats in pk order, then the hold. Under the lock the hold must still
    be active (an expired but unswept hold may be released): otherwise HoldExpired.
    """
    now = now or timezone.now()
    with transaction.atomic():
        seats = lock_rows(EventSeat.objects.filter(hold=hold, status=Status.HELD))
        hold = lock_rows(Hold.objects.filter(pk=hold.pk))[0]
        if hold.status != Hold.Status.ACTIVE:
            raise HoldExpired(f"This hold was already {hold.status}.")
        Hold.objects.filter(pk=hold.pk).update(status=Hold.Status.RELEASED)
        EventSeat.objects.filter(id__in=[seat.id for seat in seats]).update(
            status=Status.AVAILABLE, hold=None, version=F("version") + 1
        )
        audit_write(
            audit_rows(
                seats=seats,
                to_status=Status.AVAILABLE,
                action="release",
                now=now,
                actor=actor,
                hold=hold,
            )
        )
        hold.status = Hold.Status.RELEASED
    return hold


def holds_release_expired(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Housekeeping: record expired holds as ``expired`` and free their seats, in batches.

    Correctness never depends on it (an expired hold is already no hold). Safe on several
    machines at once: seats and holds are locked with SKIP LOCKED, so sweepers take disjoint
    batches and never wait for a buyer. Lock order as everywhere: seats, then holds.
    Returns the number of holds recorded as expired.
    """
    now = now or timezone.now()
    expired_total = 0
    while True:
        candidates = list(
            Hold.objects.filter(status=Hold.Status.ACTIVE, expires_at__lte=now)
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not candidates:
            return expired_total
        with transaction.atomic():
            seats = lock_rows(
                EventSeat.objects.filter(hold_id__in=candidates, status=Status.HELD),
                skip_locked=True,
            )
            holds = lock_rows(
                Hold.objects.filter(id__in=candidates, status=Hold.Status.ACTIVE, expires_at__lte=now),
                skip_locked=True,
            )
            hold_ids = {hold.id for hold in holds}
            freed = [seat for seat in seats if seat.hold_id in hold_ids]
            Hold.objects.filter(id__in=hold_ids).update(status=Hold.Status.EXPIRED)
            EventSeat.objects.filter(id__in=[seat.id for seat in freed]).update(
                status=Status.AVAILABLE, hold=None, version=F("version") + 1
            )
            audit_write(expiry_audit_rows(freed, now=now))
        expired_total += len(hold_ids)
        if len(candidates) < batch_size or not hold_ids:
            return expired_total


def holds_live_q(now: datetime) -> Q:
    return Q(status=Hold.Status.ACTIVE, expires_at__gt=now)
