"""Every row lock in the project goes through here: one function per use case.

A service says what it needs locked (``lock_buyer``, ``lock_holds``, ``lock_seats`` ...); this
module decides how, and takes that use case's locks in the one table order, in one call. The
protocol (DESIGN.md, "Locking"): one short transaction per use case; every locking read is
``SELECT ... FOR [NO KEY] UPDATE OF <table>`` **ordered by primary key**; the tables are
always locked in ``LOCK_ORDER``

    idempotency key → buyer (user row) → venue → hall → event seats → event → hold → booking
    → ticket → waitlist entry → payment → notification

and every wait is bounded by ``lock_timeout`` (TICKETING_LOCK_TIMEOUT_MS, set on each connection;
``SET LOCAL`` when the setting differs, as tests do). A timeout or deadlock surfaces as a
database error that ``config.errors`` turns into ``503 busy`` with ``Retry-After``.
``tests/ticketing/locking/test_lock_order.py`` captures each use case's statements on PostgreSQL
and pins its tables, their order and the pk ordering: swapping two locks fails it.

Implicit locks, by writes, follow the same order: the idempotency key's upsert (first, in
``ticketing.services.idempotency``), the payment's conditional UPDATEs after the booking's rows.
A foreign key is checked at commit (Django's constraints are deferred) with FOR KEY SHARE on the
row it points at: a transaction that inserts a row referencing an event seat it did not lock
(a transfer's new ticket) locks that seat first, in its place in the order.
Tickets come after the booking: a gate scan locks only its ticket, and every cancel locks the
booking's tickets after the booking (``bookings_ensure_cancellable``), so a scan and a cancel of
the same booking serialise on the ticket row.

The idempotency key comes first and that is safe: a key row belongs to one (user, key), and
every transaction that touches it takes it before any other lock, so a transaction waiting for
a key row holds nothing another one could be waiting for.

A transaction that only ever locks with SKIP LOCKED never waits, so it cannot be part of a
deadlock whatever its order: the work queues (outbox, key purge) claim their batches so. The
hold paths lock their seats with SKIP LOCKED after the (waiting) buyer row. Everything else,
the sweeper included, waits in the order above.

On SQLite ``select_for_update()`` is a no-op: IMMEDIATE transactions already serialise writers.

``TICKETING_LOCKING_ENABLED = False`` switches the row locks off. It exists only so that the
race tests' negative controls can show that the tests see a race; never set it in production.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Q

from accounts.models import User
from ticketing.models import (
    Booking,
    Event,
    EventPrice,
    EventSeat,
    Hold,
    SeatStreamCursor,
    Ticket,
    WaitlistEntry,
)
from venues.models import Hall, Seat, Section, Venue

#: Every table whose rows are ever locked, in the one order every waiting lock follows.
LOCK_ORDER = (
    "ticketing_idempotencykey",
    "accounts_user",
    "venues_venue",
    "venues_hall",
    "ticketing_eventseat",
    "ticketing_event",
    "ticketing_hold",
    "ticketing_booking",
    "ticketing_ticket",
    "ticketing_waitlistentry",
    "ticketing_payment",
    "ticketing_notification",
    "ticketing_seatstreamcursor",
)


def locking_enabled() -> bool:
    return getattr(settings, "TICKETING_LOCKING_ENABLED", True)


def _lock_wait_bound() -> None:
    """Marker registered with on_commit: this transaction has run SET LOCAL lock_timeout.

    Django drops on_commit callbacks on rollback and on rollback to the savepoint they were
    registered in, exactly when PostgreSQL forgets a SET LOCAL, so the marker is present if
    and only if the setting is in force. It never does anything when called.
    """


def bound_lock_wait(using: str = "default") -> None:
    """Assert we are inside a transaction and bound this transaction's lock waits (once)."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        raise RuntimeError("Row locks must be taken inside transaction.atomic().")
    if connection.vendor != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE waits at most the connection's busy timeout.
    timeout_ms = int(settings.TICKETING_LOCK_TIMEOUT_MS)
    if timeout_ms == connection.settings_dict.get("LOCK_TIMEOUT_MS"):
        return  # the connection was opened with this lock_timeout (config/settings.py)
    if any(func is _lock_wait_bound for _, func, _ in connection.run_on_commit):
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = {timeout_ms}")
    connection.on_commit(_lock_wait_bound)


def lock_rows[M: models.Model](
    queryset: models.QuerySet[M], *, skip_locked: bool = False, no_key: bool = False, limit: int | None = None
) -> list[M]:
    """Lock the rows of ``queryset`` (its own table only) in primary-key order; return them.

    ``skip_locked``: rows another transaction holds right now are left out instead of waited
    for (the caller treats them as taken). ``no_key``: FOR NO KEY UPDATE, which does not block
    inserts that reference the row. ``limit``: at most this many rows, the first in pk order
    (with ``skip_locked``, the first free ones: a work queue).
    """
    bound_lock_wait(queryset.db)
    queryset = queryset.order_by("pk")
    if locking_enabled():
        queryset = queryset.select_for_update(of=("self",), skip_locked=skip_locked, no_key=no_key)
    return list(queryset if limit is None else queryset[:limit])


def lock_clause(*, of: str, skip_locked: bool = False, no_key: bool = False, using: str = "default") -> str:
    """The locking tail for a hand-written SELECT of the hot paths, ``lock_rows`` in raw SQL.

    Bounds this transaction's lock waits like ``lock_rows``, then returns
    ``FOR [NO KEY] UPDATE OF <of> [SKIP LOCKED]`` on PostgreSQL and nothing on SQLite (IMMEDIATE
    transactions serialise writers) or with locking switched off. The caller's SELECT must be
    ordered by primary key, as every lock here is.
    """
    bound_lock_wait(using)
    connection = transaction.get_connection(using)
    if connection.vendor != "postgresql" or not locking_enabled():
        return ""
    strength = "NO KEY UPDATE" if no_key else "UPDATE"
    return f" FOR {strength} OF {of}" + (" SKIP LOCKED" if skip_locked else "")


# --- the expiry rule in SQL, next to the locks that need it ------------------------------------


def hold_live_sql(alias: str, *, active: str = "%s", now: str = "%s", live: bool = True) -> str:
    """The expiry rule in SQL, the one source text of it: ``Hold.live_q`` for hand-written SQL.

    The hold row ``alias`` is live at now: its status is the active one and it expires after
    now. ``live=False``, its other side: the hold is still active but has expired (its seats are
    free, no sweeper needed). ``active`` and ``now`` are the placeholders in the caller's
    parameter style (``%s``, or ``%(now)s`` for a dict); their values are
    ``Hold.Status.ACTIVE`` and ``connection.ops.adapt_datetimefield_value(now)``, in that order.
    """
    return f"{alias}.status = {active} AND {alias}.expires_at {'>' if live else '<='} {now}"


# A held seat is free again when its hold has expired: the sub-select form of the rule for the
# hand-written hot reads of event seats ``es``. Read by a sub-select, not a join: a seat that a
# transaction committed after a locking statement began comes back in its new version (held) and
# the sub-select, reading the statement's snapshot, cannot see that brand-new hold, so a held
# seat is free only when its hold is visible and expired. Parameters: the active status, now.
HOLD_EXPIRED_SQL = f"""(SELECT 1 FROM {Hold._meta.db_table} h
    WHERE h.id = es.hold_id AND {hold_live_sql("h", live=False)})"""  # noqa: S608


def seat_is_taken(status: str, expired: object) -> bool:
    """Not available at ``now``: a seat of an expired hold is available."""
    return status != EventSeat.Status.AVAILABLE and not (status == EventSeat.Status.HELD and expired)


# An event seat with its seat and section, for the hand-written locking reads of the hot paths.
SEAT_PLACE_COLUMNS = """es.id AS id, es.event_id AS event_id, es.seat_id AS seat_id, es.status AS status,
    es.hold_id AS hold_id, s.section_id AS section_id, sec.name AS section_name,
    s.row_label AS row_label, s.number AS number, s.category AS category"""
SEAT_PLACE_JOINS = f"""JOIN {Seat._meta.db_table} s ON s.id = es.seat_id
          JOIN {Section._meta.db_table} sec ON sec.id = s.section_id"""


def dict_rows(cursor) -> list[dict[str, Any]]:
    """A hand-written statement's rows, each a dict by column name."""
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def model_columns(model: type[models.Model], alias: str) -> str:
    """The select list of every concrete column of ``model``'s table ``alias``, each named
    ``<alias>__<column>``: for ``model_from_row``."""
    return ", ".join(f"{alias}.{f.column} AS {alias}__{f.column}" for f in model._meta.concrete_fields)


def model_from_row[M: models.Model](model: type[M], row: dict[str, Any], alias: str) -> M:
    """The instance of a hand-written read's ``model_columns`` row, each value converted as the
    ORM converts what it reads (SQLite's datetimes and decimals)."""
    fields = model._meta.concrete_fields
    values = []
    for field in fields:
        column, value = field.get_col(model._meta.db_table), row[f"{alias}__{field.column}"]
        for convert in connection.ops.get_db_converters(column) + field.get_db_converters(connection):
            value = convert(value, column, connection)
        values.append(value)
    return model.from_db(connection.alias, [f.attname for f in fields], values)


def seat_with_place(row: dict[str, Any]) -> EventSeat:
    """The EventSeat of a SEAT_PLACE_COLUMNS row, its seat (section, row, number, category) attached."""
    seat = EventSeat(
        id=row["id"],
        event_id=row["event_id"],
        seat_id=row["seat_id"],
        status=row["status"],
        hold_id=row["hold_id"],
    )
    seat.seat = Seat(
        id=row["seat_id"],
        section=Section(id=row["section_id"], name=row["section_name"]),
        row_label=row["row_label"],
        number=row["number"],
        category=row["category"],
    )
    return seat


# --- one function per use case -----------------------------------------------------------------

PRICE_QUANTUM = Decimal("0.01")  # EventPrice.amount has two decimal places


@dataclass(frozen=True)
class SeatsForHold:
    """The requested seats of an event, locked, each with ``taken`` (not available at ``now``,
    a seat of an expired hold counting as free) and its seat and section; plus the event's
    prices of their categories."""

    seats: list[EventSeat]
    prices: dict[str, Decimal]


def lock_buyer(*, buyer: User) -> bool:
    """The buyer's user row, FOR NO KEY UPDATE (waits, bounded): serialises one buyer's own holds
    so that the per-buyer seat limit cannot be passed by two requests at once. One row by pk.
    Returns whether the account exists and is active: the check the hot paths' authentication
    leaves to the transaction (config/authentication.py). On SQLite, or with locks off, the
    same read without a lock."""
    lock = lock_clause(of=User._meta.db_table, no_key=True)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT is_active FROM {User._meta.db_table} WHERE id = %s{lock}", [buyer.pk])  # noqa: S608
        row = cursor.fetchone()
    return bool(row and row[0])


def lock_seats_for_hold(
    *, event: Event, seat_ids: Iterable[int], now: datetime, skip_locked: bool = True
) -> SeatsForHold:
    """The requested seats of ``event`` in pk order, SKIP LOCKED unless told to wait (the wait
    bounded): a seat another transaction is claiming right now is left out, so a loser gets an
    immediate 409 instead of queueing. One statement, with the places and prices joined (seat,
    section and price rows never change during a sale). Hand-written: the on-sale's hot lock
    (the ORM's query building cost more CPU than PostgreSQL spent running it, DESIGN.md §8)."""
    seat_ids = list(seat_ids)
    placeholders = ", ".join(["%s"] * len(seat_ids))
    sql = f"""
        SELECT {SEAT_PLACE_COLUMNS}, {HOLD_EXPIRED_SQL} AS expired, CAST(p.amount AS TEXT) AS price
          FROM {EventSeat._meta.db_table} es
          {SEAT_PLACE_JOINS}
          LEFT JOIN {EventPrice._meta.db_table} p ON p.event_id = es.event_id AND p.category = s.category
         WHERE es.event_id = %s AND es.id IN ({placeholders})
         ORDER BY es.id
    """  # noqa: S608 - table names come from model metadata, values are parameters
    sql += lock_clause(of="es", skip_locked=skip_locked)
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [Hold.Status.ACTIVE, at, event.pk, *seat_ids])
        rows = dict_rows(cursor)
    seats, prices = [], {}
    for row in rows:
        seat = seat_with_place(row)
        seat.taken = seat_is_taken(seat.status, row["expired"])
        seats.append(seat)
        if row["price"] is not None:
            prices[seat.seat.category] = Decimal(row["price"]).quantize(PRICE_QUANTUM)
    return SeatsForHold(seats=seats, prices=prices)


def lock_holds(*, hold_ids: Iterable[int]) -> tuple[list[EventSeat], list[Hold]]:
    """Releasing several holds: the seats they still hold, then those of them still active."""
    hold_ids = list(hold_ids)
    seats = lock_rows(EventSeat.objects.filter(hold_id__in=hold_ids, status=EventSeat.Status.HELD))
    return seats, lock_rows(Hold.objects.filter(id__in=hold_ids, status=Hold.Status.ACTIVE))


def lock_for_booking(*, buyer: User, hold_id: int) -> tuple[list[EventSeat], Hold | None]:
    """Booking a hold: the seats the buyer's hold still holds (pk order, waiting, with their seat
    and section: the booking renders them), then the hold with its event and whether its buyer's
    account is active (``hold.buyer_active``: the caller checks it, config/authentication.py);
    None for a hold that is not the buyer's. Two hand-written statements (``hold_read``)."""
    sql = f"""
        SELECT {SEAT_PLACE_COLUMNS}
          FROM {EventSeat._meta.db_table} es
          {SEAT_PLACE_JOINS}
          JOIN {Hold._meta.db_table} h ON h.id = es.hold_id
         WHERE es.hold_id = %s AND h.buyer_id = %s AND es.status = %s
         ORDER BY es.id
    """  # noqa: S608 - table names come from model metadata, values are parameters
    sql += lock_clause(of="es")
    with connection.cursor() as cursor:
        cursor.execute(sql, [hold_id, buyer.pk, EventSeat.Status.HELD])
        seats = [seat_with_place(row) for row in dict_rows(cursor)]
    return seats, hold_read(buyer=buyer, hold_id=hold_id, lock=True)


def hold_read(*, buyer: User, hold_id: int, lock: bool = False) -> Hold | None:
    """The buyer's hold with its event, the event's hall and venue (the booking's answer names the
    venue's time zone; None for a season hold), and whether the buyer's account is active
    (``hold.buyer_active``), in one hand-written statement; None for a hold that is not the
    buyer's. ``lock``: FOR UPDATE of the hold row (waits, bounded), for ``lock_for_booking``;
    without it, the unlocked read of the payment step."""
    sql = f"""
        SELECT {model_columns(Hold, "h")}, {model_columns(Event, "e")}, {model_columns(Hall, "hl")},
               {model_columns(Venue, "v")}, u.is_active AS buyer_active
          FROM {Hold._meta.db_table} h
          LEFT JOIN {Event._meta.db_table} e ON e.id = h.event_id
          LEFT JOIN {Hall._meta.db_table} hl ON hl.id = e.hall_id
          LEFT JOIN {Venue._meta.db_table} v ON v.id = hl.venue_id
          JOIN {User._meta.db_table} u ON u.id = h.buyer_id
         WHERE h.id = %s AND h.buyer_id = %s
         ORDER BY h.id
    """  # noqa: S608 - table names come from model metadata, values are parameters
    if lock:
        sql += lock_clause(of="h")
    with connection.cursor() as cursor:
        cursor.execute(sql, [hold_id, buyer.pk])
        rows = dict_rows(cursor)
    if not rows:
        return None
    row = rows[0]
    hold = model_from_row(Hold, row, "h")
    hold.event = None  # a season's
    if row["e__id"] is not None:
        hold.event = model_from_row(Event, row, "e")
        hold.event.hall = model_from_row(Hall, row, "hl")
        hold.event.hall.venue = model_from_row(Venue, row, "v")
    hold.buyer_active = bool(row["buyer_active"])
    return hold


@dataclass(frozen=True)
class BookingsLocked:
    seats: list[EventSeat]  # their booked seats
    bookings: list[Booking]  # with their event
    tickets: list[Ticket]  # every ticket of them: the rows a gate scan locks


def lock_tickets_of_bookings(*, booking_ids: Iterable[int]) -> list[Ticket]:
    """Every ticket of the bookings (pk order, waiting, bounded): the rows ``lock_ticket`` locks."""
    return lock_rows(Ticket.objects.filter(booking_id__in=list(booking_ids)))


def lock_bookings(*, booking_ids: Iterable[int], confirmed_only: bool = False) -> BookingsLocked:
    """Cancelling bookings: their booked seats (pk order, waiting), then the bookings (with their
    event; only the still confirmed ones if ``confirmed_only``), then their tickets, so that a
    gate scan and a cancel of one booking serialise on the ticket row."""
    booking_ids = list(booking_ids)
    seats = lock_rows(EventSeat.objects.filter(booking_id__in=booking_ids, status=EventSeat.Status.BOOKED))
    bookings = Booking.objects.filter(id__in=booking_ids).select_related("event")
    if confirmed_only:
        bookings = bookings.filter(status=Booking.Status.CONFIRMED)
    locked = lock_rows(bookings)
    tickets = lock_tickets_of_bookings(booking_ids=[booking.id for booking in locked])
    return BookingsLocked(seats=seats, bookings=locked, tickets=tickets)


def lock_batch_claim[M: models.Model](rows: models.QuerySet[M], *, limit: int | None = None) -> list[M]:
    """A work queue's next batch, never waiting: up to ``limit`` of ``rows`` (pk order) that no
    other transaction holds (SKIP LOCKED). The outbox sender and the idempotency-key purge;
    such a transaction cannot be part of a deadlock."""
    return lock_rows(rows, skip_locked=True, limit=limit)


def lock_seats(*, event: Event, seat_ids: Iterable[int]) -> list[EventSeat]:
    """Staff blocking or unblocking seats: those of ``seat_ids`` in the event (pk order, waiting)."""
    return lock_rows(EventSeat.objects.filter(event=event, id__in=list(seat_ids)))


def lock_event(*, event: Event) -> Event:
    """An event's status change: the event row, FOR NO KEY UPDATE (holds and bookings that
    reference it are not blocked)."""
    return lock_rows(Event.objects.filter(pk=event.pk), no_key=True)[0]


def lock_event_for_cancel(*, event: Event) -> Event:
    """Taking an event off sale for good: all its seats (pk order, waiting: the order every buyer
    path uses, so a booking in flight commits first or then finds the event cancelled), then the
    event row (FOR NO KEY UPDATE)."""
    lock_rows(EventSeat.objects.filter(event_id=event.pk).only("id"))
    return lock_event(event=event)


def lock_hall_for_event(*, hall: Hall) -> Hall:
    """Creating an event from a hall: the hall row, FOR NO KEY UPDATE, so that its layout cannot
    change while the inventory is copied (``layout_replace`` locks it too)."""
    return lock_rows(Hall.objects.filter(pk=hall.pk), no_key=True)[0]


def lock_hall_for_layout(*, hall: Hall) -> bool:
    """Replacing or deleting a hall's layout (venues' ``hall_guard``, registered by the ticketing
    app): the hall row FOR UPDATE, which waits for an ``event_create`` copying the layout
    (``lock_hall_for_layout`` conflicts with its FOR NO KEY UPDATE); then whether any event uses
    the hall, read under the lock."""
    lock_rows(Hall.objects.filter(pk=hall.pk))
    return Event.objects.filter(hall_id=hall.pk).exists()


def lock_ticket(*, code: str, booking_id: int) -> Ticket | None:
    """A gate scan: the ticket of ``code`` in its booking (waits, bounded), with its booking's
    event and its seat; the only lock a scan takes."""
    tickets = Ticket.objects.filter(code=code, booking_id=booking_id).select_related(
        "booking__event", "event_seat__event", "event_seat__seat__section"
    )
    locked = lock_rows(tickets)
    return locked[0] if locked else None


def lock_stream_cursor() -> SeatStreamCursor | None:
    """A stream publisher's run: the cursor row, never waiting (SKIP LOCKED). None while another
    publisher's run holds it, or before the row exists (the service creates it)."""
    rows = lock_rows(SeatStreamCursor.objects.filter(pk=1), skip_locked=True)
    return rows[0] if rows else None


def lock_ticket_for_transfer(*, ticket_id: int) -> Ticket | None:
    """A ticket transfer: the ticket's event seat (FOR NO KEY UPDATE, waits), its booking (FOR NO
    KEY UPDATE, waits), then the ticket (FOR UPDATE, waits) with its booking, its event and seat;
    None for no such ticket.

    The event seat first, as every cancel locks the booking's seats before the booking: the new
    ticket's INSERT checks its foreign key to the seat (FOR KEY SHARE at commit), which would
    otherwise wait for a cancel holding the seat while the cancel waits for this booking (a
    deadlock). The booking before the tickets, as every cancel takes it: a cancel that waited for
    this transfer then reads the tickets after it committed, the new one included, so it cannot
    void a new ticket it did not lock (and a gate could have scanned meanwhile). The ticket row is
    the one a gate scan locks: a transfer and a scan of one ticket serialise.
    One statement per table, by pk (the ticket's ``event_seat_id`` and ``booking_id``, which never
    change, read first without a lock).
    """
    row = Ticket.objects.filter(pk=ticket_id).values_list("event_seat_id", "booking_id").first()
    if row is None:
        return None
    event_seat_id, booking_id = row
    if not lock_rows(EventSeat.objects.filter(pk=event_seat_id), no_key=True):
        return None
    if not lock_rows(Booking.objects.filter(pk=booking_id), no_key=True):
        return None
    tickets = Ticket.objects.filter(pk=ticket_id).select_related(
        "booking", "event_seat__event__hall__venue", "event_seat__seat__section"
    )
    locked = lock_rows(tickets)
    return locked[0] if locked else None


def lock_seats_for_season_hold(
    *, event_ids: Iterable[int], hall_seat_ids: Iterable[int], now: datetime
) -> SeatsForHold:
    """A season hold: the event seats of ``hall_seat_ids`` in every event of ``event_ids``, in
    the one order of the protocol across events, events by id, then event seats by id, FOR
    UPDATE SKIP LOCKED (never waits, like ``lock_seats_for_hold``: a seat another transaction
    is claiming right now is left out and counts as taken). One statement for any number of
    events and seats, with places joined; no prices (the caller has the season's).

    Ordered by primary key, as every lock: for one hall's events that *is* events by id, then
    seats by id. ``event_create`` allocates an event's id and its whole inventory under its
    hall's row lock (``lock_hall_for_event``), so a later event of the hall has a larger id and
    all its seats larger ids than every seat of an earlier one
    (``tests/ticketing/services/test_seasons.py`` checks it). So season holds, single holds and
    the waiting paths that lock a season's seats by pk (``lock_holds``, ``lock_for_booking``,
    ``lock_bookings``) all take seats in the one order.
    """
    event_ids, hall_seat_ids = sorted(event_ids), list(hall_seat_ids)
    sql = f"""
        SELECT {SEAT_PLACE_COLUMNS}, {HOLD_EXPIRED_SQL} AS expired
          FROM {EventSeat._meta.db_table} es
          {SEAT_PLACE_JOINS}
         WHERE es.event_id IN ({", ".join(["%s"] * len(event_ids))})
           AND es.seat_id IN ({", ".join(["%s"] * len(hall_seat_ids))})
         ORDER BY es.id
    """  # noqa: S608 - table names come from model metadata, values are parameters
    sql += lock_clause(of="es", skip_locked=True)
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [Hold.Status.ACTIVE, at, *event_ids, *hall_seat_ids])
        rows = dict_rows(cursor)
    seats = []
    for row in rows:
        seat = seat_with_place(row)
        seat.taken = seat_is_taken(seat.status, row["expired"])
        seats.append(seat)
    return SeatsForHold(seats=seats, prices={})


# --- the waiting list (services/waitlist.py) ---------------------------------------------------


def lock_waitlist_entries(*, entry_ids: Iterable[int]) -> list[WaitlistEntry]:
    """Waiting-list entries by id (pk order, waiting, bounded): the offers of holds that just
    ended (their seats are already locked by the caller), or the waiting entry a buyer leaves."""
    return lock_rows(WaitlistEntry.objects.filter(id__in=list(entry_ids)))


def lock_waitlist_next(*, event_id: int, free: dict[str, int], after_id: int = 0) -> WaitlistEntry | None:
    """The first waiting entry of the event after ``after_id`` (id order: first come, first
    served) that the freed seats can serve: its ``count`` at most the free seats of its category
    (``free``: category → seats; any category when the entry names none). One row, FOR UPDATE
    (waits, bounded), with its buyer joined. An entry another transaction changed meanwhile is
    re-checked by PostgreSQL after the wait and passed over when it no longer matches (it was
    offered or left): the next one is taken instead, in the same statement."""
    matches = Q(category="", count__lte=sum(free.values()))
    for category, seats in free.items():
        matches |= Q(category=category, count__lte=seats)
    entries = WaitlistEntry.objects.filter(
        matches, event_id=event_id, status=WaitlistEntry.Status.WAITING, id__gt=after_id
    ).select_related("buyer")
    locked = lock_rows(entries, limit=1)
    return locked[0] if locked else None


def lock_buyer_if_free(*, buyer_id: int) -> bool | None:
    """A waiting buyer's user row for an offer made under seat locks, never waiting (FOR NO KEY
    UPDATE SKIP LOCKED): the user row comes before event seats in LOCK_ORDER, so a transaction
    holding seats must not wait for it. None when another transaction holds it right now (that
    buyer's own hold is in flight: the offer passes them over this time); else whether the
    account is active. With the row, the per-buyer limit is checked as ``hold_create`` checks it."""
    lock = lock_clause(of=User._meta.db_table, no_key=True, skip_locked=True)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT is_active FROM {User._meta.db_table} WHERE id = %s{lock}", [buyer_id])  # noqa: S608
        row = cursor.fetchone()
    return None if row is None else bool(row[0])


def lock_free_seats_of_event(*, event_id: int, limit: int) -> list[EventSeat]:
    """The sweeper's waiting-list pass: up to ``limit`` available seats of the event (pk order),
    never waiting (SKIP LOCKED): a seat a buyer is claiming right now is left to them."""
    return lock_rows(
        EventSeat.objects.filter(event_id=event_id, status=EventSeat.Status.AVAILABLE),
        skip_locked=True,
        limit=limit,
    )
