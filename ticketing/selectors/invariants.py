"""The invariant of SPEC section 2, checked from the raw tables.

``inventory_violations`` runs one SQL query per rule and returns every row that breaks it; the
``check_inventory`` command and the benchmark call it after a run. Nothing here trusts the
application code or the model layer: a state the constraints should make impossible is checked
as well (the constraint may have been dropped, or a migration may have missed it).

So this module is the exception to "one rule, one place": it keeps its own SQL, and its own
statement of the expiry rule (``LIVE``: a hold is live when it is active and expires after
now), on purpose not ``Hold.live_q`` nor ``ticketing.locking.hold_live_sql``. It is the
independent checker behind ``check_inventory``: if the one rule of the product were wrong, the
product's readers would all agree with it, and ``inventory_check`` compares the availability
the API shows (``events_availability``, the ORM form) with these raw counts. What it does take
from the models is the vocabulary only: table names and the status values (``PARAMS``, passed
as parameters), which the schema's CHECK constraints define. Raw SQL stays here for that
reason, not for speed: one statement per rule, columns named, rows read by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from ticketing.locking import dict_rows
from ticketing.models import (
    Booking,
    Event,
    EventSeat,
    Hold,
    Payment,
    SeasonEvent,
    SeatAudit,
    Ticket,
    TicketType,
    WaitlistEntry,
)
from ticketing.selectors.events import events_availability
from venues.models import Seat, Section


@dataclass(frozen=True)
class Violation:
    rule: str
    event_id: int | None
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] event {self.event_id}: {self.detail}"


@dataclass(frozen=True)
class EventCounts:
    event_id: int
    seats: int
    available: int
    held: int
    booked: int
    blocked: int
    live_holds: int
    confirmed_bookings: int
    active_tickets: int


TABLES = {
    "es": EventSeat._meta.db_table,
    "h": Hold._meta.db_table,
    "b": Booking._meta.db_table,
    "t": Ticket._meta.db_table,
    "e": Event._meta.db_table,
    "s": Seat._meta.db_table,
    "sec": Section._meta.db_table,
    "a": SeatAudit._meta.db_table,
    "tt": TicketType._meta.db_table,
    "p": Payment._meta.db_table,
    "se": SeasonEvent._meta.db_table,
    "w": WaitlistEntry._meta.db_table,
}


@dataclass(frozen=True)
class Rule:
    name: str
    sql: str  # {es}, {h}... are table names, {live} is LIVE; {event} filters on the event id column given
    event_column: str  # may be {b_event} / {h_event} (SEASON_EVENT): a season's row under its events
    describe: Callable[[dict[str, Any]], str]  # the row (its columns by name) of one violation


#: The values every statement may use, by name: the statuses (the schema's vocabulary) and the
#: audit action of a staff void (services/checkin.py CHECKED_IN_VOID_ACTION, written here again:
#: the checker imports no service).
PARAMS = {
    "available": EventSeat.Status.AVAILABLE,
    "held": EventSeat.Status.HELD,
    "booked": EventSeat.Status.BOOKED,
    "blocked": EventSeat.Status.BLOCKED,
    "hold_active": Hold.Status.ACTIVE,
    "hold_booked": Hold.Status.BOOKED,
    "confirmed": Booking.Status.CONFIRMED,
    "cancelled": Booking.Status.CANCELLED,
    "ticket_active": Ticket.Status.ACTIVE,
    "ticket_transferred": Ticket.Status.TRANSFERRED,
    "transfer": "transfer",
    "void_checked_in": "void_checked_in",
    "full": "full",  # the ticket type of the full price (ticketing/models/ticket_types.py FULL)
    "waitlist_offered": WaitlistEntry.Status.OFFERED,
    "waitlist_fulfilled": WaitlistEntry.Status.FULFILLED,
}

#: A hold ``h`` (a booking ``b``) is of event seat ``es``'s event: its own event, or a season
#: (event NULL) of which that event is one; never NULL (a NULL would hide the breach).
OF_SEAT_EVENT = """(({x}.event_id IS NOT NULL AND {x}.event_id = es.event_id)
    OR ({x}.event_id IS NULL AND EXISTS (SELECT 1 FROM {se} se
        WHERE se.season_id = {x}.season_id AND se.event_id = es.event_id)))"""
#: A booked seat's booking is confirmed, or it is a cancelled season booking and the seat's event
#: had started when it was cancelled (that part of the season was had: its ticket stays active).
BOOKING_HOLDS_SEAT = """(b.status = %(confirmed)s OR (b.season_id IS NOT NULL AND b.status = %(cancelled)s
    AND (SELECT e2.starts_at FROM {e} e2 WHERE e2.id = es.event_id) <= b.cancelled_at))"""

#: A hold ``h`` (a booking ``b``) is of event ``e``: its own, or a season's of which ``e`` is one.
OF_EVENT = """{x}.event_id = e.id OR ({x}.event_id IS NULL AND EXISTS (SELECT 1 FROM {se} se
        WHERE se.season_id = {x}.season_id AND se.event_id = e.id))"""

#: The checker's own statement of the expiry rule, for a hold row ``h``.
LIVE = "h.status = %(hold_active)s AND h.expires_at > %(now)s"

RULES = [
    Rule(
        "seat_state",
        """SELECT es.event_id AS event_id, es.id AS seat, es.status AS status, es.hold_id AS hold,
                  es.booking_id AS booking
             FROM {es} es
            WHERE NOT ((es.status = %(available)s AND es.hold_id IS NULL AND es.booking_id IS NULL)
                    OR (es.status = %(held)s AND es.hold_id IS NOT NULL AND es.booking_id IS NULL)
                    OR (es.status = %(booked)s AND es.hold_id IS NULL AND es.booking_id IS NOT NULL)
                    OR (es.status = %(blocked)s AND es.hold_id IS NULL AND es.booking_id IS NULL))
              {event}""",
        "es.event_id",
        lambda r: f"seat {r['seat']} is {r['status']!r} with hold {r['hold']} and booking {r['booking']}",
    ),
    Rule(
        "held_seat_hold",
        """SELECT es.event_id AS event_id, es.id AS seat, es.hold_id AS hold, h.event_id AS hold_event,
                  h.status AS hold_status
             FROM {es} es LEFT JOIN {h} h ON h.id = es.hold_id
            WHERE es.status = %(held)s
              AND (h.id IS NULL OR NOT {hold_of_seat_event} OR h.status <> %(hold_active)s) {event}""",
        "es.event_id",
        lambda r: (
            f"seat {r['seat']} is held by hold {r['hold']}, which is {r['hold_status'] or 'missing'}"
            f" (event {r['hold_event']}); a held seat needs an active hold of its own event"
        ),
    ),
    Rule(
        "booked_seat_booking",
        """SELECT es.event_id AS event_id, es.id AS seat, es.booking_id AS booking,
                  b.event_id AS booking_event, b.status AS booking_status
             FROM {es} es LEFT JOIN {b} b ON b.id = es.booking_id
            WHERE es.status = %(booked)s
              AND (b.id IS NULL OR NOT {booking_of_seat_event} OR NOT {booking_holds_seat}) {event}""",
        "es.event_id",
        lambda r: (
            f"seat {r['seat']} is booked by booking {r['booking']}, which is"
            f" {r['booking_status'] or 'missing'} (event {r['booking_event']}); a booked seat needs"
            " a confirmed booking of its own event"
        ),
    ),
    Rule(
        "booked_seat_ticket",
        """SELECT es.event_id AS event_id, es.id AS seat, es.booking_id AS booking, COUNT(t.id) AS tickets
             FROM {es} es
             LEFT JOIN {t} t ON t.event_seat_id = es.id AND t.status = %(ticket_active)s
                            AND t.booking_id = es.booking_id
            WHERE es.status = %(booked)s {event}
            GROUP BY es.event_id, es.id, es.booking_id
           HAVING COUNT(t.id) <> 1""",
        "es.event_id",
        lambda r: (
            f"seat {r['seat']} is booked by booking {r['booking']} with {r['tickets']} active tickets"
            " of that booking for it (exactly 1 expected)"
        ),
    ),
    Rule(
        "double_ticket",
        """SELECT es.event_id AS event_id, t.event_seat_id AS seat, COUNT(*) AS tickets
             FROM {t} t JOIN {es} es ON es.id = t.event_seat_id
            WHERE t.status = %(ticket_active)s {event}
            GROUP BY es.event_id, t.event_seat_id
           HAVING COUNT(*) > 1""",
        "es.event_id",
        lambda r: f"seat {r['seat']} has {r['tickets']} active tickets: sold twice",
    ),
    Rule(
        "ticket_seat",
        """SELECT es.event_id AS event_id, t.id AS ticket, t.event_seat_id AS seat,
                  t.booking_id AS booking, es.status AS seat_status, es.booking_id AS seat_booking,
                  b.status AS booking_status, b.event_id AS booking_event
             FROM {t} t JOIN {es} es ON es.id = t.event_seat_id JOIN {b} b ON b.id = t.booking_id
            WHERE t.status = %(ticket_active)s
              AND (es.status <> %(booked)s OR es.booking_id IS NULL OR es.booking_id <> t.booking_id
                   OR NOT {booking_holds_seat} OR NOT {booking_of_seat_event}) {event}""",
        "es.event_id",
        lambda r: (
            f"active ticket {r['ticket']} of booking {r['booking']} ({r['booking_status']}, event"
            f" {r['booking_event']}) is for seat {r['seat']}, which is {r['seat_status']!r} with"
            f" booking {r['seat_booking']}"
        ),
    ),
    Rule(
        "booking_without_tickets",
        """SELECT {b_event} AS event_id, b.id AS booking FROM {b} b
            WHERE b.status = %(confirmed)s {event}
              AND NOT EXISTS (SELECT 1 FROM {t} t
                               WHERE t.booking_id = b.id AND t.status = %(ticket_active)s)""",
        "{b_event}",
        lambda r: f"confirmed booking {r['booking']} has no active ticket",
    ),
    Rule(
        # The check-in rule (services/checkin.py bookings_ensure_cancellable): a ticket let in
        # at the gate is voided only by staff on purpose, and that void is in the audit trail
        # (the action CHECKED_IN_VOID_ACTION).
        "cancelled_checked_in",
        """SELECT COALESCE(b.event_id, es.event_id) AS event_id, t.id AS ticket, b.id AS booking,
                  t.event_seat_id AS seat, t.checked_in_at AS checked_in_at
             FROM {t} t JOIN {b} b ON b.id = t.booking_id JOIN {es} es ON es.id = t.event_seat_id
            WHERE b.status = %(cancelled)s AND t.checked_in_at IS NOT NULL {event}
              AND NOT (b.season_id IS NOT NULL AND t.status = %(ticket_active)s)
              AND NOT EXISTS (SELECT 1 FROM {a} a
                               WHERE a.booking_id = b.id AND a.event_seat_id = t.event_seat_id
                                 AND a.action = %(void_checked_in)s)""",
        "COALESCE(b.event_id, es.event_id)",  # a season's ticket: the event of its seat
        lambda r: (
            f"ticket {r['ticket']} of cancelled booking {r['booking']} (seat {r['seat']}) was checked"
            f" in at {r['checked_in_at']}, and no staff void of it is in the audit trail"
        ),
    ),
    Rule(
        # A transfer (services/transfers.py) ends a ticket that was not checked in as
        # ``transferred`` and gives its seat exactly one successor in the same booking, audited
        # (the action "transfer"); a ticket with a predecessor replaced a transferred one.
        "transferred_ticket",
        """SELECT es.event_id AS event_id, t.id AS ticket, t.status AS status,
                  t.checked_in_at AS checked_in_at, n.id AS successor, p.status AS predecessor_status
             FROM {t} t JOIN {es} es ON es.id = t.event_seat_id
             LEFT JOIN {t} n ON n.replaces_id = t.id
             LEFT JOIN {t} p ON p.id = t.replaces_id
            WHERE ((t.status = %(ticket_transferred)s
                    AND (n.id IS NULL OR n.booking_id <> t.booking_id OR n.event_seat_id <> t.event_seat_id
                         OR t.checked_in_at IS NOT NULL
                         OR NOT EXISTS (SELECT 1 FROM {a} a WHERE a.booking_id = t.booking_id
                                         AND a.event_seat_id = t.event_seat_id AND a.action = %(transfer)s)))
                   OR (t.status <> %(ticket_transferred)s AND n.id IS NOT NULL)
                   OR (t.replaces_id IS NOT NULL
                       AND (p.status IS NULL OR p.status <> %(ticket_transferred)s)))
              {event}""",
        "es.event_id",
        lambda r: (
            f"ticket {r['ticket']} ({r['status']}, checked in {r['checked_in_at']}) has successor"
            f" {r['successor']} and a predecessor {r['predecessor_status'] or 'none'}: a transferred"
            " ticket needs one audited successor of its booking and seat, and only it may have one"
        ),
    ),
    Rule(
        "hold_seat_count",
        """SELECT {h_event} AS event_id, h.id AS hold, h.seat_count AS seat_count,
                  COUNT(es.id) AS held, h.expires_at AS expires_at
             FROM {h} h LEFT JOIN {es} es ON es.hold_id = h.id AND es.status = %(held)s
            WHERE h.status = %(hold_active)s {event}
            GROUP BY h.event_id, h.season_id, h.id, h.status, h.seat_count, h.expires_at
           HAVING ({live} AND COUNT(es.id) <> h.seat_count)
               OR COUNT(es.id) > h.seat_count""",
        "{h_event}",
        lambda r: (
            f"active hold {r['hold']} (expires {r['expires_at']}) has seat_count {r['seat_count']}"
            f" but holds {r['held']} seats"
        ),
    ),
    Rule(
        "booked_hold",
        """SELECT {h_event} AS event_id, h.id AS hold, h.seat_count AS seat_count, b.id AS booking,
                  (SELECT COUNT(*) FROM {t} t WHERE t.booking_id = b.id
                      AND t.status <> %(ticket_transferred)s) AS tickets
             FROM {h} h LEFT JOIN {b} b ON b.hold_id = h.id
            WHERE h.status = %(hold_booked)s {event}
              AND (b.id IS NULL OR COALESCE(b.event_id, 0) <> COALESCE(h.event_id, 0)
                   OR COALESCE(b.season_id, 0) <> COALESCE(h.season_id, 0)
                   OR h.seat_count <> (SELECT COUNT(*) FROM {t} t WHERE t.booking_id = b.id
                                         AND t.status <> %(ticket_transferred)s))""",
        "{h_event}",
        lambda r: (
            f"booked hold {r['hold']} of {r['seat_count']} seats has booking {r['booking']} with"
            f" {r['tickets']} tickets"
        ),
    ),
    Rule(
        "booking_total",
        """SELECT {b_event} AS event_id, b.id AS booking, b.total AS total,
                  COALESCE(SUM(t.price), 0) AS tickets_total, h.total AS hold_total
             FROM {b} b
             LEFT JOIN {t} t ON t.booking_id = b.id AND t.status <> %(ticket_transferred)s
             LEFT JOIN {h} h ON h.id = b.hold_id
            WHERE 1 = 1 {event}
            GROUP BY b.event_id, b.season_id, b.id, b.total, h.total
           HAVING ABS(b.total - COALESCE(SUM(t.price), 0)) >= 0.005
               OR (h.total IS NOT NULL AND ABS(h.total - b.total) >= 0.005
                   AND SUM(CASE WHEN t.ticket_type <> %(full)s THEN 1 ELSE 0 END) = 0)""",
        "{b_event}",
        lambda r: (
            f"booking {r['booking']} totals {r['total']} but its tickets sum to {r['tickets_total']}"
            f" (its hold: {r['hold_total']}; all full price, they must agree)"
        ),
    ),
    Rule(
        # Ticket types (services/ticket_types.py): a ticket's type is the full price or a type of
        # its event, which cannot be removed once sold (the reports and the ticket page name it).
        "ticket_type_known",
        """SELECT b.event_id AS event_id, t.id AS ticket, t.ticket_type AS ticket_type
             FROM {t} t JOIN {b} b ON b.id = t.booking_id
            WHERE t.ticket_type <> %(full)s {event}
              AND NOT EXISTS (SELECT 1 FROM {tt} tt
                               WHERE tt.event_id = b.event_id AND tt.code = t.ticket_type)""",
        "b.event_id",
        lambda r: f"ticket {r['ticket']} is of type {r['ticket_type']!r}, which its event does not have",
    ),
    Rule(
        # What was charged is what was booked: a payment linked to a booking is of its total
        # (booking_confirm refuses any other amount; the total is the tickets' prices).
        "payment_amount",
        """SELECT {b_event} AS event_id, b.id AS booking, b.total AS total, p.id AS payment,
                  p.amount AS amount
             FROM {p} p JOIN {b} b ON b.id = p.booking_id
            WHERE ABS(p.amount - b.total) >= 0.005 {event}""",
        "{b_event}",
        lambda r: f"payment {r['payment']} charged {r['amount']} for booking {r['booking']} of {r['total']}",
    ),
    Rule(
        "seat_not_in_hall",
        """SELECT es.event_id AS event_id, es.id AS seat, es.seat_id AS hall_seat FROM {es} es
             JOIN {e} e ON e.id = es.event_id
             JOIN {s} s ON s.id = es.seat_id JOIN {sec} sec ON sec.id = s.section_id
            WHERE sec.hall_id <> e.hall_id {event}""",
        "es.event_id",
        lambda r: f"event seat {r['seat']} is hall seat {r['hall_seat']} of another hall",
    ),
    Rule(
        "seat_lost",
        """SELECT e.id AS event_id, s.id AS hall_seat FROM {e} e
             JOIN {sec} sec ON sec.hall_id = e.hall_id JOIN {s} s ON s.section_id = sec.id
            WHERE NOT EXISTS (SELECT 1 FROM {es} es WHERE es.event_id = e.id AND es.seat_id = s.id)
              {event}""",
        "e.id",
        lambda r: f"hall seat {r['hall_seat']} has no event seat: it is lost to this event",
    ),
    Rule(
        "seat_duplicated",
        """SELECT es.event_id AS event_id, es.seat_id AS hall_seat, COUNT(*) AS copies
             FROM {es} es WHERE 1 = 1 {event}
            GROUP BY es.event_id, es.seat_id HAVING COUNT(*) > 1""",
        "es.event_id",
        lambda r: f"hall seat {r['hall_seat']} has {r['copies']} event seats",
    ),
    Rule(
        "booked_count",
        """SELECT event_id, booked, tickets FROM (
               SELECT e.id AS event_id,
                      (SELECT COUNT(*) FROM {es} es WHERE es.event_id = e.id AND es.status = %(booked)s)
                        AS booked,
                      (SELECT COUNT(*) FROM {t} t JOIN {es} es ON es.id = t.event_seat_id
                        WHERE es.event_id = e.id AND t.status = %(ticket_active)s) AS tickets
                 FROM {e} e WHERE 1 = 1 {event}
           ) counts WHERE booked <> tickets""",
        "e.id",
        lambda r: f"{r['booked']} booked seats but {r['tickets']} active tickets",
    ),
    Rule(
        "held_count",
        """SELECT event_id, held, holds_total FROM (
               SELECT e.id AS event_id,
                      (SELECT COUNT(*) FROM {es} es JOIN {h} h ON h.id = es.hold_id
                        WHERE es.event_id = e.id AND es.status = %(held)s AND {live}) AS held,
                      (SELECT COALESCE(SUM(h.seat_count), 0) FROM {h} h
                        WHERE h.event_id = e.id AND {live})
                      + (SELECT COALESCE(SUM(h.seat_count / (SELECT COUNT(*) FROM {se} se2
                                                              WHERE se2.season_id = h.season_id)), 0)
                           FROM {h} h JOIN {se} se ON se.season_id = h.season_id
                          WHERE se.event_id = e.id AND {live}) AS holds_total
                 FROM {e} e WHERE 1 = 1 {event}
           ) counts WHERE held <> holds_total""",
        "e.id",
        lambda r: f"{r['held']} seats held by live holds, but those holds count {r['holds_total']}",
    ),
    Rule(
        # The waiting list (services/waitlist.py): a hold made as an offer is held only while its
        # entry is ``offered`` (never for a buyer who left the list, nor after the entry expired),
        # for that entry's buyer and event and count; a booked offer's entry is ``fulfilled``.
        "waitlist_offer",
        """SELECT h.event_id AS event_id, h.id AS hold, h.status AS hold_status, w.id AS entry,
                  w.status AS entry_status, h.buyer_id AS hold_buyer, w.buyer_id AS entry_buyer
             FROM {h} h JOIN {w} w ON w.id = h.waitlist_entry_id
            WHERE (({live} AND (w.status <> %(waitlist_offered)s OR h.seat_count <> w.count))
                   OR (h.status = %(hold_booked)s AND w.status <> %(waitlist_fulfilled)s)
                   OR h.buyer_id <> w.buyer_id OR h.event_id <> w.event_id) {event}""",
        "h.event_id",
        lambda r: (
            f"offer hold {r['hold']} ({r['hold_status']}, buyer {r['hold_buyer']}) of waitlist entry"
            f" {r['entry']} ({r['entry_status']}, buyer {r['entry_buyer']}): a live offer needs an offered"
            " entry of its buyer, event and count; a booked one a fulfilled entry"
        ),
    ),
    Rule(
        "waitlist_entry_offer",
        """SELECT w.event_id AS event_id, w.id AS entry, w.status AS status FROM {w} w
            WHERE w.status IN (%(waitlist_offered)s, %(waitlist_fulfilled)s) {event}
              AND NOT EXISTS (SELECT 1 FROM {h} h WHERE h.waitlist_entry_id = w.id)""",
        "w.event_id",
        lambda r: f"waitlist entry {r['entry']} is {r['status']} but no hold was offered to it",
    ),
]


RULES.append(
    Rule(
        # A season booking holds the same hall seats in every event of its season: while it is
        # confirmed, each of its hall seats has exactly one active ticket in each season event.
        "season_seat",
        """SELECT MIN(es.event_id) AS event_id, b.id AS booking, es.seat_id AS hall_seat,
                  COUNT(DISTINCT es.event_id) AS events,
                  (SELECT COUNT(*) FROM {se} se WHERE se.season_id = b.season_id) AS season_events
             FROM {b} b JOIN {t} t ON t.booking_id = b.id AND t.status = %(ticket_active)s
             JOIN {es} es ON es.id = t.event_seat_id
            WHERE b.season_id IS NOT NULL AND b.status = %(confirmed)s {event}
            GROUP BY b.id, b.season_id, es.seat_id
           HAVING COUNT(t.id) <> (SELECT COUNT(*) FROM {se} se WHERE se.season_id = b.season_id)
               OR COUNT(DISTINCT es.event_id)
                  <> (SELECT COUNT(*) FROM {se} se WHERE se.season_id = b.season_id)""",
        f"(SELECT MIN(se3.event_id) FROM {SeasonEvent._meta.db_table} se3"  # noqa: S608 - a table name
        " WHERE se3.season_id = b.season_id AND se3.event_id = %(event_id)s)",
        lambda r: (
            f"season booking {r['booking']} has hall seat {r['hall_seat']} in {r['events']} of its"
            f" {r['season_events']} events (every event expected)"
        ),
    )
)


#: The season fragments, their tables named: placed in the rules by name.
FRAGMENTS = {
    "hold_of_seat_event": OF_SEAT_EVENT.format(x="h", se=TABLES["se"]),
    "booking_of_seat_event": OF_SEAT_EVENT.format(x="b", se=TABLES["se"]),
    "booking_holds_seat": BOOKING_HOLDS_SEAT.format(e=TABLES["e"]),
}


#: The event a hold ``h`` (a booking ``b``) is reported under and filtered by: its own, or for a
#: season's (event NULL) the checked event when it is one of the season's (``--event N``), else
#: the season's first event. ``{b_event}`` and ``{h_event}`` in a rule.
SEASON_EVENT = {
    False: "COALESCE({x}.event_id, (SELECT MIN(se3.event_id) FROM {se} se3"
    " WHERE se3.season_id = {x}.season_id))",
    True: "COALESCE({x}.event_id, (SELECT MIN(se3.event_id) FROM {se} se3"
    " WHERE se3.season_id = {x}.season_id AND se3.event_id = %(event_id)s))",
}


def _event_fragments(event_id: int | None) -> dict[str, str]:
    form = SEASON_EVENT[event_id is not None]
    return {f"{x}_event": form.format(x=x, se=TABLES["se"]) for x in ("b", "h")}


def _params(*, now: datetime, event_id: int | None) -> dict[str, object]:
    return {**PARAMS, "now": connection.ops.adapt_datetimefield_value(now), "event_id": event_id}


def rule_violations(rule: Rule, *, event_id: int | None = None, now: datetime) -> list[Violation]:
    """The rows that break one rule: one statement."""
    events = _event_fragments(event_id)
    event_filter = f"AND {rule.event_column.format(**events)} = %(event_id)s" if event_id is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            rule.sql.format(**TABLES, **FRAGMENTS, **events, live=LIVE, event=event_filter),
            _params(now=now, event_id=event_id),
        )
        rows = dict_rows(cursor)
    return [Violation(rule.name, row["event_id"], rule.describe(row)) for row in rows]


def inventory_violations(*, event_id: int | None = None, now: datetime | None = None) -> list[Violation]:
    """Every breach of the invariant in the raw tables, for one event or all of them."""
    now = now or timezone.now()
    return [violation for rule in RULES for violation in rule_violations(rule, event_id=event_id, now=now)]


def inventory_counts(*, event_id: int | None = None, now: datetime | None = None) -> list[EventCounts]:
    """Per event: seats by effective status (an expired hold's seat is available), live holds,
    confirmed bookings and active tickets (a season's that include the event: its holds and
    bookings, its tickets of the event's seats), from the raw tables."""
    now = now or timezone.now()
    event_filter = "AND e.id = %(event_id)s" if event_id is not None else ""
    sql = """
        SELECT e.id AS event_id,
               (SELECT COUNT(*) FROM {es} es WHERE es.event_id = e.id) AS seats,
               (SELECT COUNT(*) FROM {es} es LEFT JOIN {h} h ON h.id = es.hold_id
                 WHERE es.event_id = e.id AND (es.status = %(available)s OR (es.status = %(held)s
                       AND NOT ({live})))) AS available,
               (SELECT COUNT(*) FROM {es} es JOIN {h} h ON h.id = es.hold_id
                 WHERE es.event_id = e.id AND es.status = %(held)s AND {live}) AS held,
               (SELECT COUNT(*) FROM {es} es WHERE es.event_id = e.id AND es.status = %(booked)s) AS booked,
               (SELECT COUNT(*) FROM {es} es WHERE es.event_id = e.id AND es.status = %(blocked)s) AS blocked,
               (SELECT COUNT(*) FROM {h} h WHERE {live} AND ({of_event_h})) AS live_holds,
               (SELECT COUNT(*) FROM {b} b WHERE b.status = %(confirmed)s AND ({of_event_b}))
                 AS confirmed_bookings,
               (SELECT COUNT(*) FROM {t} t JOIN {b} b ON b.id = t.booking_id
                  JOIN {es} es ON es.id = t.event_seat_id
                 WHERE t.status = %(ticket_active)s
                   AND (b.event_id = e.id OR (b.event_id IS NULL AND es.event_id = e.id))) AS active_tickets
          FROM {e} e WHERE 1 = 1 {event} ORDER BY e.id
    """.format(  # noqa: S608 - table names from model metadata
        **TABLES,
        live=LIVE,
        event=event_filter,
        of_event_h=OF_EVENT.format(x="h", se=TABLES["se"]),
        of_event_b=OF_EVENT.format(x="b", se=TABLES["se"]),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(now=now, event_id=event_id))
        return [EventCounts(**row) for row in dict_rows(cursor)]


@dataclass(frozen=True)
class InventoryReport:
    counts: list[EventCounts]
    violations: list[Violation]

    @property
    def ok(self) -> bool:
        return not self.violations


def inventory_check(*, event_id: int | None = None, now: datetime | None = None) -> InventoryReport:
    """Counts and violations at one ``now``; also checks that the availability the API shows
    (``events_availability``) agrees with the raw counts."""
    now = now or timezone.now()
    counts = inventory_counts(event_id=event_id, now=now)
    violations = inventory_violations(event_id=event_id, now=now)
    shown = events_availability(event_ids=[c.event_id for c in counts], now=now)
    for c in counts:
        raw = {"available": c.available, "held": c.held, "booked": c.booked, "blocked": c.blocked}
        if shown[c.event_id] != raw:
            detail = f"the API shows {shown[c.event_id]}, the raw tables say {raw}"
            violations.append(Violation("availability_counts", c.event_id, detail))
        if sum(raw.values()) != c.seats:
            detail = f"{sum(raw.values())} seats in a known state out of {c.seats}"
            violations.append(Violation("availability_counts", c.event_id, detail))
    return InventoryReport(counts=counts, violations=violations)
