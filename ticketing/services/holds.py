"""Hold services: claim seats for a few minutes, release them, sweep expired holds."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from ticketing.errors import HoldExpired, SeatLimitExceeded, SeatsUnavailable
from ticketing.locking import (
    HOLD_EXPIRED_SQL,
    hold_live_sql,
    lock_for_hold,
    lock_hold,
    lock_holds_expired,
    seat_is_taken,
)
from ticketing.models import Booking, Event, EventSeat, Hold, Ticket
from ticketing.services.events import event_ensure_on_sale
from ticketing.services.inventory import (
    audit_rows,
    audit_write,
    expiry_audit_rows,
    prefetched_set,
    raise_unknown_seats,
    seat_effective_status,
    seat_ids_validate,
)

Status = EventSeat.Status
PRICE_QUANTUM = Decimal("0.01")  # EventPrice.amount has two decimal places


def event_seat_limit(event: Event) -> int:
    return event.max_seats_per_buyer or settings.TICKETING_MAX_SEATS_PER_BUYER


def event_hold_seconds(event: Event) -> int:
    return event.hold_seconds or settings.TICKETING_HOLD_SECONDS


def buyer_seat_count(*, buyer: User, event: Event, now: datetime) -> int:
    """Seats the buyer holds (live holds) plus has booked (active tickets) for the event.

    One statement, two indexed sub-selects; the live rule is ``hold_live_sql`` (ticketing/locking.py).
    Written by hand: building it with annotate() and Subquery() cost more CPU than running it
    (DESIGN.md §11, round 2, finding 4: -8% CPU per hold). Measured again in process on
    PostgreSQL, 200 calls, best of 5, back to back on the shared 2-core box (load 5-9), two runs:
    this statement 0.71-1.00 ms, its ORM form (an aggregate and a count) 4.46-7.74 ms.
    """
    hold, ticket, booking = Hold._meta.db_table, Ticket._meta.db_table, Booking._meta.db_table
    sql = f"""
        SELECT (SELECT coalesce(sum(h.seat_count), 0) FROM {hold} h
                 WHERE h.buyer_id = %(buyer)s AND h.event_id = %(event)s
                   AND {hold_live_sql("h", active="%(active)s", now="%(now)s")})
             + (SELECT count(*) FROM {ticket} t JOIN {booking} b ON b.id = t.booking_id
                 WHERE b.buyer_id = %(buyer)s AND b.event_id = %(event)s AND t.status = %(ticket_active)s)
               AS seat_count
    """  # noqa: S608 - table names come from model metadata, values are parameters
    params = {
        "buyer": buyer.pk,
        "event": event.pk,
        "active": Hold.Status.ACTIVE,
        "now": connection.ops.adapt_datetimefield_value(now),
        "ticket_active": Ticket.Status.ACTIVE,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (row,) = dict_rows(cursor)
    return int(row["seat_count"])


def seats_taken_elsewhere(*, event: Event, seat_ids: set[int], now: datetime) -> list[dict]:
    """The requested seats a SKIP LOCKED read left out: unknown ones raise Invalid, the others
    are locked by another transaction right now and reported with their committed status
    (``held`` when that is still ``available``: someone is claiming them at this moment)."""
    rows = EventSeat.objects.filter(event=event, id__in=seat_ids).select_related("hold")
    statuses = {seat.id: seat_effective_status(seat, now) for seat in rows}
    unknown = sorted(seat_ids - set(statuses))
    if unknown:
        raise_unknown_seats(unknown)
    return [
        {"id": seat_id, "status": Status.HELD if status == Status.AVAILABLE else status}
        for seat_id, status in statuses.items()
    ]


def hold_precheck(*, event: Event, seat_ids: Sequence[int], now: datetime, read: bool = True) -> list[int]:
    """The refusals a hold can be given with no lock and no write; returns the sorted ids.

    The ids are valid (Invalid), the event is on sale and has not started (EventNotOnSale), the
    list alone fits the buyer's limit (SeatLimitExceeded), and (``read``) one read of the
    committed state finds every seat in the event (Invalid) and none already taken
    (SeatsUnavailable: the answer most requests get in an on-sale). Read-only, so a caller may
    run it outside any transaction; the seats that look free are checked again under locks by
    ``hold_create``.
    """
    ids = seat_ids_validate(seat_ids)
    event_ensure_on_sale(event=event, now=now)
    limit = event_seat_limit(event)
    if len(ids) > limit:
        raise SeatLimitExceeded(limit)
    if not read:
        return ids
    states = seat_states(event=event, seat_ids=ids, now=now)
    if len(states) != len(ids):
        raise_unknown_seats(sorted(set(ids) - {seat_id for seat_id, _, _ in states}))
    if unavailable := [{"id": seat_id, "status": status} for seat_id, status, taken in states if taken]:
        raise SeatsUnavailable(unavailable)
    return ids


def hold_create(
    *,
    buyer: User,
    event: Event,
    seat_ids: Sequence[int],
    now: datetime | None = None,
    prechecked: bool = False,
) -> Hold:
    """Hold the given seats of an on-sale event for ``buyer``, all or nothing.

    Before any lock: ``hold_precheck`` (its read skipped when the caller has just run it,
    ``prechecked``: the API does, to answer most refusals without opening a transaction).
    Locks (``lock_for_hold``), in this order:
    1. the buyer's user row, FOR NO KEY UPDATE (waits, bounded): serialises one buyer's own
       holds so that the per-buyer limit cannot be passed by two requests at once;
    2. the requested event seats in pk order, FOR UPDATE SKIP LOCKED: a seat another
       transaction is claiming right now counts as unavailable, so a loser gets an immediate
       409 instead of queueing behind the winner. Never waits after the buyer row.
    Checks under the locks: the buyer's live held plus booked seats plus these stay within the
    limit (SeatLimitExceeded, with ``limit``); every id is a seat of this event (Invalid); every
    seat is available at ``now``, a seat of an expired hold included (else SeatsUnavailable
    naming every taken seat with its status).
    Writes: one INSERT of the Hold, one UPDATE of the seats, one INSERT of audit rows (with an
    ``expire`` row for each seat taken over from an expired hold). Lock waits past the timeout
    raise OperationalError, which the API renders as 503 busy.
    The hot path of an on-sale: every statement is hand-written SQL (the ORM's query building
    cost more CPU than PostgreSQL spent running them; DESIGN.md, "Hold path").
    Returns the hold with ``event`` and ``seats`` (their ``seat`` and section) already loaded.
    """
    now = now or timezone.now()
    ids = hold_precheck(event=event, seat_ids=seat_ids, now=now, read=not prechecked)
    with transaction.atomic():
        locked = lock_for_hold(buyer=buyer, event=event, seat_ids=ids, now=now)
        buyer_ensure_within_limit(buyer=buyer, event=event, count=len(ids), now=now)
        seats, prices = locked.seats, locked.prices
        unavailable = [{"id": seat.id, "status": seat.status} for seat in seats if seat.taken]
        if len(seats) != len(ids):
            missing = set(ids) - {seat.id for seat in seats}
            unavailable += seats_taken_elsewhere(event=event, seat_ids=missing, now=now)
        if unavailable:
            raise SeatsUnavailable(unavailable)
        return hold_claim(buyer=buyer, event=event, seats=seats, prices=prices, now=now)


def seat_states(*, event: Event, seat_ids: Sequence[int], now: datetime) -> list[tuple[int, str, bool]]:
    """(id, status, taken) of the requested seats of ``event`` that exist, in id order: one
    unlocked read of the committed state, the event seat rows alone (the pre-check's read: most
    hold requests of an on-sale end on its answer). The expiry rule is ``HOLD_EXPIRED_SQL``, the
    lock's own. Hand-written: a refusal in process 3.04 -> 2.67 ms (DESIGN.md §11, round 3,
    finding 2); measured again in process on PostgreSQL, 200 calls, best of 5, back to back on
    the shared 2-core box (load 5-9), two runs: this statement 1.03-1.04 ms, its ORM form
    (``annotate(Exists(...))``) 5.36-6.04 ms.
    """
    placeholders = ", ".join(["%s"] * len(seat_ids))
    sql = f"""
        SELECT es.id AS id, es.status AS status, {HOLD_EXPIRED_SQL} AS expired
          FROM {EventSeat._meta.db_table} es
         WHERE es.event_id = %s AND es.id IN ({placeholders})
         ORDER BY es.id
    """  # noqa: S608 - table names come from model metadata, values are parameters
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [Hold.Status.ACTIVE, at, event.pk, *seat_ids])
        rows = dict_rows(cursor)
    return [(row["id"], row["status"], seat_is_taken(row["status"], row["expired"])) for row in rows]


def dict_rows(cursor) -> list[dict[str, Any]]:
    """The rows of a hand-written statement as dicts, by column name."""
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def buyer_ensure_within_limit(*, buyer: User, event: Event, count: int, now: datetime) -> None:
    """Under the buyer's row lock (``lock_buyer``): ``count`` more seats keep the buyer within the
    event's limit (else SeatLimitExceeded). The count is its own statement, so it reads a
    snapshot taken after the lock was granted."""
    limit = event_seat_limit(event)
    if buyer_seat_count(buyer=buyer, event=event, now=now) + count > limit:
        raise SeatLimitExceeded(limit)


def hold_claim(
    *, buyer: User, event: Event, seats: Sequence[EventSeat], prices: dict[str, Decimal], now: datetime
) -> Hold:
    """Inside the caller's transaction, with ``seats`` locked and checked available: write the
    Hold (prices captured from ``prices``), one UPDATE of the seats, one INSERT of audit rows.
    ``seats`` need ``seat`` loaded. Shared by every hold path. Hand-written SQL, like the lock.
    Returns the hold with ``event`` and ``seats`` attached (the seats now ``held`` by it).
    """
    hold = Hold(
        buyer=buyer,
        event=event,
        status=Hold.Status.ACTIVE,
        created_at=now,
        expires_at=now + timedelta(seconds=event_hold_seconds(event)),
        seat_count=len(seats),
        total=sum((prices.get(seat.seat.category, Decimal(0)) for seat in seats), Decimal(0)),
        prices={seat.seat.category: str(prices.get(seat.seat.category, 0)) for seat in seats},
    )
    adapt = connection.ops.adapt_datetimefield_value
    placeholders = ", ".join(["%s"] * len(seats))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Hold._meta.db_table}
                   (buyer_id, event_id, status, created_at, expires_at, seat_count, total, prices)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id
            """,  # noqa: S608 - table names come from model metadata, values are parameters
            [
                buyer.pk,
                event.pk,
                hold.status,
                adapt(hold.created_at),
                adapt(hold.expires_at),
                hold.seat_count,
                connection.ops.adapt_decimalfield_value(hold.total, 12, 2),
                json.dumps(hold.prices),
            ],
        )
        hold.id = cursor.fetchone()[0]
        cursor.execute(
            f"UPDATE {EventSeat._meta.db_table} SET status = %s, hold_id = %s WHERE id IN ({placeholders})",  # noqa: S608
            [Status.HELD, hold.id, *(seat.id for seat in seats)],
        )
    hold._state.adding, hold._state.db = False, connection.alias
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
    # What was written, attached: a caller renders the hold and its seats (section, row and
    # number) without reading them back.
    for seat in seats:
        seat.status, seat.hold = Status.HELD, hold
    hold.event = event
    prefetched_set(hold, "seats", seats)
    return hold


def hold_release(*, hold: Hold, actor: User | None = None, now: datetime | None = None) -> Hold:
    """Release a hold now; its seats are available at once.

    Locks (``lock_hold``), in this order: the event seats the hold still holds (pk order,
    waiting, bounded), then the hold. Checks under the locks: the hold is still ``active``
    (else HoldExpired: it was released, booked or swept). An active hold past its expiry may
    be released: its seats that nobody took over are freed. Ownership is the caller's job.
    Writes: one UPDATE of the hold, one of the seats, one INSERT of audit rows.
    """
    now = now or timezone.now()
    with transaction.atomic():
        seats, hold = lock_hold(hold=hold)
        if hold.status != Hold.Status.ACTIVE:
            raise HoldExpired(f"This hold was already {hold.status}.")
        Hold.objects.filter(pk=hold.pk).update(status=Hold.Status.RELEASED)
        EventSeat.objects.filter(id__in=[seat.id for seat in seats]).update(
            status=Status.AVAILABLE, hold=None
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
    machines at once. Per batch, one transaction locks, with SKIP LOCKED (so it never waits,
    hence can never be part of a deadlock, whatever the table order):
    1. up to ``batch_size`` active holds expired at ``now``, in pk order: the batch is claimed,
       so concurrent sweepers take disjoint batches (a queue, not a race);
    2. the seats those holds still hold, in pk order.
    A hold is recorded expired only if every seat it still holds was locked: a seat skipped
    because another transaction is on it right now (a buyer taking it over, the owner's late
    booking attempt) leaves its hold for the next run, so no seat is ever left ``held`` by a
    hold that is no longer active.
    Writes per batch: one UPDATE of the holds, one of the seats, one INSERT of audit rows.
    Returns the number of holds recorded as expired.
    """
    now = now or timezone.now()
    expired_total = 0
    skipped: set[int] = set()
    while True:
        with transaction.atomic():
            holds, seats = lock_holds_expired(now=now, exclude=skipped, limit=batch_size)
            if not holds:
                return expired_total
            claimed = {hold.id for hold in holds}
            locked_seat_ids = {seat.id for seat in seats}
            still_held = EventSeat.objects.filter(hold_id__in=claimed, status=Status.HELD).values_list(
                "id", "hold_id"
            )
            busy = {hold_id for seat_id, hold_id in still_held if seat_id not in locked_seat_ids}
            hold_ids = claimed - busy
            freed = [seat for seat in seats if seat.hold_id in hold_ids]
            Hold.objects.filter(id__in=hold_ids).update(status=Hold.Status.EXPIRED)
            EventSeat.objects.filter(id__in=[seat.id for seat in freed]).update(
                status=Status.AVAILABLE, hold=None
            )
            audit_write(expiry_audit_rows(freed, now=now))
        expired_total += len(hold_ids)
        skipped |= busy
        if len(holds) < batch_size:
            return expired_total
