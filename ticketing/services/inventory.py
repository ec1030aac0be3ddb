"""Inventory services: event seats' state, blocking, and the audit trail."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from config.errors import Invalid, SeatsUnavailable
from ticketing.locking import lock_seats
from ticketing.models import Event, EventSeat, Hold, SeatAudit
from ticketing.services.waiting_room import waiting_room_seats_changed
from ticketing.services.waitlist import waitlist_seats_freed
from venues.models import Seat, Section

Status = EventSeat.Status
seat_log = logging.getLogger("ticketing.seats")


def seat_effective_status(seat: EventSeat, now: datetime) -> str:
    """A held seat whose hold is no longer live is available: expiry needs no sweeper.

    ``seat.hold`` must be loaded (select_related) for held seats.
    """
    if seat.status == Status.HELD and not seat.hold.is_live(now):
        return Status.AVAILABLE
    return seat.status


def seats_attach_current_holds(seats: Sequence[EventSeat]) -> None:
    """Load the holds of locked seats in a fresh statement.

    Not ``select_related("hold")`` on a lock that may wait: after the wait PostgreSQL re-checks
    the *seat* row's new version but keeps the joined hold row of the old snapshot, so a seat
    taken meanwhile by a new hold would come back ``held`` with no (or the wrong) hold.
    """
    holds = Hold.objects.in_bulk({seat.hold_id for seat in seats if seat.hold_id})
    for seat in seats:
        seat.hold = holds.get(seat.hold_id) if seat.hold_id else None


def prefetched_set(instance, relation: str, objects: list) -> None:
    """Attach ``objects`` as the already-fetched rows of ``instance.<relation>`` (a reverse
    foreign key): ``.all()`` then reads no row, and anything else (``get``, ``filter``) still
    queries. How a service hands back what it just wrote without a read-back."""
    rows = getattr(instance, relation).all()
    rows._result_cache, rows._prefetch_done = list(objects), True
    instance._prefetched_objects_cache = {
        **getattr(instance, "_prefetched_objects_cache", {}),
        relation: rows,
    }


def seat_ids_validate(seat_ids: object, *, max_count: int | None = None) -> list[int]:
    """A non-empty list of distinct positive integer ids, at most ``max_count``."""
    max_count = max_count or settings.TICKETING_MAX_SEATS_PER_HOLD
    if not isinstance(seat_ids, list) or not seat_ids:
        raise Invalid("Choose at least one seat.", fields={"seat_ids": ["A non-empty list."]})
    if not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**63 for i in seat_ids):
        raise Invalid("Seat ids are positive integers.", fields={"seat_ids": ["Integers only."]})
    if len(seat_ids) > max_count:
        message = f"At most {max_count} seats at a time."
        raise Invalid(message, fields={"seat_ids": [message]})
    if len(set(seat_ids)) != len(seat_ids):
        raise Invalid("A seat is listed twice.", fields={"seat_ids": ["Duplicate seat ids."]})
    return sorted(seat_ids)


def unknown_seat_ids(*, event: Event, seat_ids: Iterable[int]) -> list[int]:
    seat_ids = set(seat_ids)
    known = set(EventSeat.objects.filter(event=event, id__in=seat_ids).values_list("id", flat=True))
    return sorted(seat_ids - known)


def raise_unknown_seats(unknown: Sequence[int]) -> None:
    if len(unknown) == 1:
        message = f"Seat {unknown[0]} does not exist in this event."
    else:
        message = f"Seats {', '.join(map(str, unknown))} do not exist in this event."
    raise Invalid(message, fields={"seat_ids": [message]})


def audit_rows(
    *,
    seats: Iterable[EventSeat],
    to_status: str,
    action: str,
    now: datetime,
    actor: User | None = None,
    hold: Hold | None = None,
    booking=None,
    from_status: str | None = None,
    reason: str = "",
) -> list[SeatAudit]:
    """One audit row per seat; the caller writes them with ``audit_write`` in its transaction."""
    return [
        SeatAudit(
            event_id=seat.event_id,
            event_seat_id=seat.id,
            from_status=from_status or seat.status,
            to_status=to_status,
            action=action,
            hold=hold,
            booking=booking,
            actor=actor,
            at=now,
            reason=reason,
        )
        for seat in seats
    ]


def expiry_audit_rows(seats: Iterable[EventSeat], *, now: datetime) -> list[SeatAudit]:
    """For seats taken over from an expired hold: the held → available step it implied."""
    return [
        SeatAudit(
            event_id=seat.event_id,
            event_seat_id=seat.id,
            from_status=Status.HELD,
            to_status=Status.AVAILABLE,
            action="expire",
            hold_id=seat.hold_id,
            at=now,
        )
        for seat in seats
        if seat.status == Status.HELD
    ]


def seats_hold_write(*, seats: Sequence[EventSeat], hold: Hold, actor: User, now: datetime) -> None:
    """The locked ``seats`` become ``held`` by ``hold`` (just inserted): one UPDATE, their audit
    rows (an expired hold's seat taken over records its expiry first), and each seat's new state
    attached, so a caller renders the hold without reading it back. Single-event and season holds."""
    with connection.cursor() as cursor:  # hand-written, as the hold's INSERT (DESIGN.md §8)
        cursor.execute(
            f"UPDATE {EventSeat._meta.db_table} SET status = %s, hold_id = %s"  # noqa: S608
            f" WHERE id IN ({', '.join(['%s'] * len(seats))})",
            [Status.HELD, hold.id, *(seat.id for seat in seats)],
        )
    audit_write(
        expiry_audit_rows(seats, now=now)
        + audit_rows(
            seats=seats,
            from_status=Status.AVAILABLE,
            to_status=Status.HELD,
            action="hold",
            now=now,
            actor=actor,
            hold=hold,
        )
    )
    for seat in seats:
        seat.status, seat.hold = Status.HELD, hold


def seats_book_write(*, seats: Sequence[EventSeat], hold: Hold, booking, actor: User, now: datetime) -> None:
    """The locked ``seats`` of ``hold`` become ``booked`` by ``booking`` (just inserted, with its
    tickets) and the hold ``booked``: two UPDATEs and the audit rows. Single-event and season
    bookings."""
    with connection.cursor() as cursor:  # hand-written, as the hold's claim (DESIGN.md §8)
        cursor.execute(
            f"UPDATE {EventSeat._meta.db_table} SET status = %s, hold_id = NULL, booking_id = %s"  # noqa: S608
            f" WHERE id IN ({', '.join(['%s'] * len(seats))})",
            [Status.BOOKED, booking.pk, *(seat.id for seat in seats)],
        )
        cursor.execute(
            f"UPDATE {Hold._meta.db_table} SET status = %s WHERE id = %s",  # noqa: S608
            [Hold.Status.BOOKED, hold.pk],
        )
    audit_write(
        audit_rows(
            seats=seats,
            to_status=Status.BOOKED,
            action="book",
            now=now,
            actor=actor,
            hold=hold,
            booking=booking,
        )
    )


AUDIT_BATCH = 2000


def audit_write(rows: list[SeatAudit]) -> None:
    """Append audit rows in one INSERT per ``AUDIT_BATCH`` rows (append-only: nothing ever
    updates or deletes them). A hold or booking is one INSERT; blocking a whole stand is a few,
    so no single statement takes seconds of Python to build while the transaction sits idle
    (``idle_in_transaction_session_timeout`` would kill it).

    Every seat state change passes here, so here is also its log line: one per seat, written
    when the transaction commits (a rolled-back change is not logged as if it happened).

    Hand-written, one INSERT per batch: on a hold, ``bulk_create``'s query building cost more
    than the INSERT. Measured in process on PostgreSQL (a 4-seat hold's rows, in a rolled-back
    transaction, 200 calls, best of 5, back to back on the shared 2-core box): this 1.8 ms,
    ``SeatAudit.objects.bulk_create`` 3.9 ms.
    """
    if not rows:
        return
    columns = ("event_id", "event_seat_id", "from_status", "to_status", "action")
    columns += ("hold_id", "booking_id", "actor_id", "at", "reason")
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(rows), AUDIT_BATCH):
            batch = rows[start : start + AUDIT_BATCH]
            values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(batch))
            params = []
            for row in batch:
                params += [getattr(row, column) for column in columns[:-2]]
                params += [adapt(row.at), row.reason]
            cursor.execute(
                f"INSERT INTO {SeatAudit._meta.db_table} ({', '.join(columns)}) VALUES {values}",  # noqa: S608
                params,
            )
    transaction.on_commit(lambda: seat_changes_log(rows))


def seat_changes_log(rows: Iterable[SeatAudit]) -> None:
    for row in rows:
        seat_log.info(
            "seat %s: %s -> %s (%s)",
            row.event_seat_id,
            row.from_status,
            row.to_status,
            row.action,
            extra={
                "event_id": row.event_id,
                "event_seat_id": row.event_seat_id,
                "from_status": row.from_status,
                "to_status": row.to_status,
                "action": row.action,
                "hold_id": row.hold_id,
                "booking_id": row.booking_id,
                "actor_id": row.actor_id,
            },
        )


def inventory_create(*, event: Event) -> int:
    """Create one available EventSeat per seat of the event's hall in one INSERT ... SELECT.

    Ids follow the display order (section position, row, number), so pk order is map order.
    Hand-written: no seat passes through Python. 40,000 seats: 1.16 s in PostgreSQL (DESIGN.md
    §8); measured in process on PostgreSQL, a 2,000-seat hall, best of 3, back to back on the
    shared 2-core box: this 39-45 ms, reading the seats and ``bulk_create`` 165-228 ms.
    """
    seat_table, section_table = Seat._meta.db_table, Section._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {EventSeat._meta.db_table} (event_id, seat_id, status, block_reason)
            SELECT %s, s.id, %s, ''
              FROM {seat_table} s JOIN {section_table} sec ON sec.id = s.section_id
             WHERE sec.hall_id = %s
             ORDER BY sec.position, sec.id, s.row_index, s.number
            """,  # noqa: S608 - table names come from model metadata, values are parameters
            [event.pk, Status.AVAILABLE, event.hall_id],
        )
        created = cursor.rowcount
    transaction.on_commit(inventory_statistics_refresh)
    return created


def inventory_statistics_refresh() -> None:
    """ANALYZE the event seats and the seats (PostgreSQL), after a new event's inventory commits.

    The planner's statistics predate the event: it took the new event for a handful of seats
    (its share of the events it knew) and the best-available read of a band of rows joined them
    to the hall's seats by a nested loop over both, 50-100 ms a read instead of under 2: in the
    third flash crowd of one sitting that read took PostgreSQL 24 ms a call and 1.1 cores, and
    the admitted buyers' holds 30 s. Autovacuum analyzes the table too, but minutes later, when
    the sale has started. A staff action, once an event: some tens of milliseconds.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {EventSeat._meta.db_table}, {Seat._meta.db_table}")


def seats_block(
    *, event: Event, seat_ids: Sequence[int], actor: User, reason: str = "", now: datetime | None = None
) -> int:
    """Block available seats (staff). Returns how many seats were blocked.

    Locks the event seats in pk order (waiting, bounded). Under the lock every seat must be
    available (a seat of an expired hold is): otherwise ``SeatsUnavailable`` and nothing changes.
    Raises Invalid for unknown ids.
    """
    now = now or timezone.now()
    ids = seat_ids_validate(seat_ids, max_count=settings.TICKETING_MAX_LAYOUT_SEATS)
    with transaction.atomic():
        seats = lock_seats(event=event, seat_ids=ids)
        if len(seats) != len(ids):
            raise_unknown_seats(sorted(set(ids) - {seat.id for seat in seats}))
        seats_attach_current_holds(seats)
        taken = [
            {"id": seat.id, "status": status}
            for seat in seats
            if (status := seat_effective_status(seat, now)) not in (Status.AVAILABLE, Status.BLOCKED)
        ]
        if taken:
            raise SeatsUnavailable(taken)
        to_block = [seat for seat in seats if seat.status != Status.BLOCKED]
        EventSeat.objects.filter(id__in=[seat.id for seat in to_block]).update(
            status=Status.BLOCKED, hold=None, block_reason=reason[:200]
        )
        audit_write(
            expiry_audit_rows(to_block, now=now)
            + audit_rows(
                seats=to_block,
                from_status=Status.AVAILABLE,
                to_status=Status.BLOCKED,
                action="block",
                now=now,
                actor=actor,
                reason=reason[:200],
            )
        )
        waiting_room_seats_changed(event=event)  # the sold-out hint, after commit
    return len(to_block)


def seats_unblock(*, event: Event, seat_ids: Sequence[int], actor: User, now: datetime | None = None) -> int:
    """Make blocked seats available again (staff); seats not blocked are left as they are.

    Locks the event seats in pk order. Raises Invalid for unknown ids. The seats made available
    are offered to the event's waiting list under the same locks (``waitlist_seats_freed``).
    """
    now = now or timezone.now()
    ids = seat_ids_validate(seat_ids, max_count=settings.TICKETING_MAX_LAYOUT_SEATS)
    with transaction.atomic():
        seats = lock_seats(event=event, seat_ids=ids)
        if len(seats) != len(ids):
            raise_unknown_seats(sorted(set(ids) - {seat.id for seat in seats}))
        blocked = [seat for seat in seats if seat.status == Status.BLOCKED]
        EventSeat.objects.filter(id__in=[seat.id for seat in blocked]).update(
            status=Status.AVAILABLE, block_reason=""
        )
        audit_write(
            audit_rows(seats=blocked, to_status=Status.AVAILABLE, action="unblock", now=now, actor=actor)
        )
        waitlist_seats_freed(seats=blocked, now=now)  # still locked: offered to the waiting list
        waiting_room_seats_changed(event=event)  # the sold-out hint, after commit
    return len(blocked)
