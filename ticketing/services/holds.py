"""Hold services: claim seats for a few minutes (``hold_create``), end holds (``holds_release``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.models import User
from config.errors import (
    AccountDisabled,
    HoldExpired,
    SeatLimitExceeded,
    SeatsUnavailable,
    is_retryable_database_error,
)
from ticketing.locking import (
    HOLD_EXPIRED_SQL,
    dict_rows,
    hold_live_sql,
    lock_buyer,
    lock_holds,
    lock_seats_for_hold,
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
    seats_hold_write,
)
from ticketing.services.waitlist import waitlist_seats_freed

Status = EventSeat.Status
logger = logging.getLogger("ticketing.holds")
PRICE_QUANTUM = Decimal("0.01")  # EventPrice.amount has two decimal places


def event_seat_limit(event: Event) -> int:
    return event.max_seats_per_buyer or settings.TICKETING_MAX_SEATS_PER_BUYER


def event_hold_seconds(event: Event) -> int:
    return event.hold_seconds or settings.TICKETING_HOLD_SECONDS


def buyer_seat_count(*, buyer: User, event: Event, now: datetime) -> int:
    """Seats the buyer holds (live holds) plus has booked (active tickets) for the event.

    One statement, two indexed sub-selects; the live rule is ``hold_live_sql`` (ticketing/locking.py).
    Written by hand: building it with annotate() and Subquery() cost more CPU than running it
    (DESIGN.md §8: -8% CPU per hold). Measured again in process on
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
    Locks (``lock_buyer``, then ``lock_seats_for_hold``, as best available), in this order:
    1. the buyer's user row, FOR NO KEY UPDATE (waits, bounded): serialises one buyer's own
       holds so that the per-buyer limit cannot be passed by two requests at once, and refuses
       a deleted or deactivated account (AccountDisabled, 401);
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
    cost more CPU than PostgreSQL spent running them; DESIGN.md §8).
    Returns the hold with ``event`` and ``seats`` (their ``seat`` and section) already loaded.
    """
    now = now or timezone.now()
    ids = hold_precheck(event=event, seat_ids=seat_ids, now=now, read=not prechecked)
    with transaction.atomic():
        # the limit is checked under the buyer's lock before the seats are locked: a seat lock
        # lasts only as long as the claim needs it (rivals skip locked seats as taken)
        if not lock_buyer(buyer=buyer):
            raise AccountDisabled()
        buyer_ensure_within_limit(buyer=buyer, event=event, count=len(ids), now=now)
        locked = lock_seats_for_hold(event=event, seat_ids=ids, now=now)
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
    lock's own. Hand-written: a refusal in process 3.04 -> 2.67 ms (DESIGN.md §8,
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


def buyer_ensure_within_limit(*, buyer: User, event: Event, count: int, now: datetime) -> None:
    """Under the buyer's row lock (``lock_buyer``): ``count`` more seats keep the buyer within the
    event's limit (else SeatLimitExceeded). The count is its own statement, so it reads a
    snapshot taken after the lock was granted."""
    limit = event_seat_limit(event)
    if buyer_seat_count(buyer=buyer, event=event, now=now) + count > limit:
        raise SeatLimitExceeded(limit)


def hold_claim(
    *,
    buyer: User,
    event: Event,
    seats: Sequence[EventSeat],
    prices: dict[str, Decimal],
    now: datetime,
    waitlist_entry_id: int | None = None,
) -> Hold:
    """Inside the caller's transaction, with ``seats`` locked and checked available: write the
    Hold (prices captured from ``prices``), one UPDATE of the seats, one INSERT of audit rows.
    ``seats`` need ``seat`` loaded. Shared by every hold path. Hand-written SQL, like the lock.
    ``waitlist_entry_id``: the hold is that waiting-list entry's offer (services/waitlist.py).
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
        waitlist_entry_id=waitlist_entry_id,
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Hold._meta.db_table}
                   (buyer_id, event_id, status, created_at, expires_at, seat_count, total, prices,
                    waitlist_entry_id)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id
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
                waitlist_entry_id,
            ],
        )
        hold.id = cursor.fetchone()[0]
    hold._state.adding, hold._state.db = False, connection.alias
    # What was written, attached: a caller renders the hold and its seats (section, row and
    # number) without reading them back.
    seats_hold_write(seats=seats, hold=hold, actor=buyer, now=now)
    hold.event = event
    prefetched_set(hold, "seats", seats)
    return hold


def holds_release(
    *,
    hold_ids: Iterable[int],
    actor: User | None = None,
    now: datetime | None = None,
    expired: bool = False,
    skip_inactive: bool = False,
    reason: str = "",
) -> list[Hold]:
    """End holds now, unbooked; their seats are available at once. The one way a hold ends
    without a booking: the buyer's or staff's release (the API, the admin), the event cancel's
    batches (``skip_inactive``: holds booked or released meanwhile are left out) and the sweeper
    (``expired``: only the holds expired at ``now`` end, recorded ``expired``, audit ``expire``).

    Locks (``lock_holds``), in this order: the seats the holds still hold (pk order, waiting,
    bounded), then those of the holds still active. Checks under the locks: every hold is still
    ``active`` (else HoldExpired naming its status, and nothing changes), unless
    ``skip_inactive`` or ``expired``. An active hold past its expiry may be released: its seats
    that nobody took over are freed. Ownership is the caller's job.
    Writes: one UPDATE of the holds, one of the seats, one INSERT of audit rows; then, the seats
    still locked, ``waitlist_seats_freed``: an ended offer's entry ends, the freed seats are
    offered to the event's waiting list (services/waitlist.py, its locks after these).
    Returns the holds it ended, their new status set.
    """
    now = now or timezone.now()
    wanted = sorted(set(hold_ids))
    with transaction.atomic():
        seats, holds = lock_holds(hold_ids=wanted)
        if expired:
            holds = [hold for hold in holds if not hold.is_live(now)]
        elif not skip_inactive and len(holds) != len(wanted):
            ended = Hold.objects.filter(id__in=set(wanted) - {hold.id for hold in holds})
            raise HoldExpired(f"This hold was already {ended.values_list('status', flat=True).first()}.")
        if not holds:
            return []
        by_id = {hold.id: hold for hold in holds}
        freed = [seat for seat in seats if seat.hold_id in by_id]
        status = Hold.Status.EXPIRED if expired else Hold.Status.RELEASED
        Hold.objects.filter(id__in=list(by_id)).update(status=status)
        EventSeat.objects.filter(id__in=[seat.id for seat in freed]).update(
            status=Status.AVAILABLE, hold=None
        )
        if expired:
            audit_write(expiry_audit_rows(freed, now=now))
        else:
            audit_write(
                [
                    row
                    for seat in freed
                    for row in audit_rows(
                        seats=[seat],
                        to_status=Status.AVAILABLE,
                        action="release",
                        now=now,
                        actor=actor,
                        hold=by_id[seat.hold_id],
                        reason=reason,
                    )
                ]
            )
        # the seats still locked: the offers among these holds end, the waiting list gets the seats
        waitlist_seats_freed(seats=freed, ended_holds=holds, expired=expired, actor=actor, now=now)
    for hold in holds:
        hold.status = status
    return holds


def holds_release_expired(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Housekeeping (``release_expired_holds``): record the holds expired at ``now`` as
    ``expired`` and free their seats, a batch per transaction through ``holds_release``.

    Correctness never depends on it: an expired hold is already no hold for every reader. Safe
    on several machines at once: a batch another sweeper ended meanwhile is found inactive
    under the locks and left out. It waits for its locks like every use case (bounded by the
    lock timeout): a batch one of whose seats another transaction holds for longer is left, whole
    and unchanged, for the next run, and the sweep goes on with the next batch.
    Returns the number of holds recorded as expired.
    """
    now = now or timezone.now()
    total = 0
    last_id = 0
    while True:
        candidates = list(
            Hold.objects.filter(status=Hold.Status.ACTIVE, id__gt=last_id)
            .exclude(Hold.live_q(now))
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not candidates:
            return total
        try:
            total += len(holds_release(hold_ids=candidates, now=now, expired=True))
        except DatabaseError as error:
            if not is_retryable_database_error(error):
                raise
            logger.warning("sweeper: holds %s..%s busy, left for the next run", candidates[0], candidates[-1])
        last_id = candidates[-1]
        if len(candidates) < batch_size:
            return total
