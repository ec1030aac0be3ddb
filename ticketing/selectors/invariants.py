"""The invariant of SPEC section 2, checked from the raw tables.

``inventory_violations`` runs one SQL query per rule and returns every row that breaks it; the
``check_inventory`` command and the benchmark call it after a run. Nothing here trusts the
application code or the model layer: a state the constraints should make impossible is checked
as well (the constraint may have been dropped, or a migration may have missed it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.utils import timezone

from ticketing.models import Booking, Event, EventSeat, Hold, SeatAudit, Ticket
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
}


@dataclass(frozen=True)
class Rule:
    name: str
    sql: str  # {es}, {h}... are table names; {event} filters on the event id column given
    event_column: str
    describe: Callable[..., str]
    uses_now: bool = False


RULES = [
    Rule(
        "seat_state",
        """SELECT es.event_id, es.id, es.status, es.hold_id, es.booking_id FROM {es} es
            WHERE NOT ((es.status = 'available' AND es.hold_id IS NULL AND es.booking_id IS NULL)
                    OR (es.status = 'held' AND es.hold_id IS NOT NULL AND es.booking_id IS NULL)
                    OR (es.status = 'booked' AND es.hold_id IS NULL AND es.booking_id IS NOT NULL)
                    OR (es.status = 'blocked' AND es.hold_id IS NULL AND es.booking_id IS NULL))
              {event}""",
        "es.event_id",
        lambda seat, status, hold, booking: (
            f"seat {seat} is {status!r} with hold {hold} and booking {booking}"
        ),
    ),
    Rule(
        "held_seat_hold",
        """SELECT es.event_id, es.id, es.hold_id, h.event_id, h.status FROM {es} es
             LEFT JOIN {h} h ON h.id = es.hold_id
            WHERE es.status = 'held'
              AND (h.id IS NULL OR h.event_id <> es.event_id OR h.status <> 'active') {event}""",
        "es.event_id",
        lambda seat, hold, hold_event, hold_status: (
            f"seat {seat} is held by hold {hold}, which is {hold_status or 'missing'}"
            f" (event {hold_event}); a held seat needs an active hold of its own event"
        ),
    ),
    Rule(
        "booked_seat_booking",
        """SELECT es.event_id, es.id, es.booking_id, b.event_id, b.status FROM {es} es
             LEFT JOIN {b} b ON b.id = es.booking_id
            WHERE es.status = 'booked'
              AND (b.id IS NULL OR b.event_id <> es.event_id OR b.status <> 'confirmed') {event}""",
        "es.event_id",
        lambda seat, booking, booking_event, booking_status: (
            f"seat {seat} is booked by booking {booking}, which is {booking_status or 'missing'}"
            f" (event {booking_event}); a booked seat needs a confirmed booking of its own event"
        ),
    ),
    Rule(
        "booked_seat_ticket",
        """SELECT es.event_id, es.id, es.booking_id, COUNT(t.id) FROM {es} es
             LEFT JOIN {t} t ON t.event_seat_id = es.id AND t.status = 'active'
                            AND t.booking_id = es.booking_id
            WHERE es.status = 'booked' {event}
            GROUP BY es.event_id, es.id, es.booking_id
           HAVING COUNT(t.id) <> 1""",
        "es.event_id",
        lambda seat, booking, tickets: (
            f"seat {seat} is booked by booking {booking} with {tickets} active tickets of that"
            " booking for it (exactly 1 expected)"
        ),
    ),
    Rule(
        "double_ticket",
        """SELECT es.event_id, t.event_seat_id, COUNT(*) FROM {t} t
             JOIN {es} es ON es.id = t.event_seat_id
            WHERE t.status = 'active' {event}
            GROUP BY es.event_id, t.event_seat_id
           HAVING COUNT(*) > 1""",
        "es.event_id",
        lambda seat, tickets: f"seat {seat} has {tickets} active tickets: sold twice",
    ),
    Rule(
        "ticket_seat",
        """SELECT es.event_id, t.id, t.event_seat_id, t.booking_id, es.status, es.booking_id,
                  b.status, b.event_id
             FROM {t} t JOIN {es} es ON es.id = t.event_seat_id JOIN {b} b ON b.id = t.booking_id
            WHERE t.status = 'active'
              AND (es.status <> 'booked' OR es.booking_id IS NULL OR es.booking_id <> t.booking_id
                   OR b.status <> 'confirmed' OR b.event_id <> es.event_id) {event}""",
        "es.event_id",
        lambda ticket, seat, booking, seat_status, seat_booking, booking_status, booking_event: (
            f"active ticket {ticket} of booking {booking} ({booking_status}, event {booking_event})"
            f" is for seat {seat}, which is {seat_status!r} with booking {seat_booking}"
        ),
    ),
    Rule(
        "booking_without_tickets",
        """SELECT b.event_id, b.id FROM {b} b
            WHERE b.status = 'confirmed' {event}
              AND NOT EXISTS (SELECT 1 FROM {t} t WHERE t.booking_id = b.id AND t.status = 'active')""",
        "b.event_id",
        lambda booking: f"confirmed booking {booking} has no active ticket",
    ),
    Rule(
        # The check-in rule (services/checkin.py bookings_ensure_cancellable): a ticket let in
        # at the gate is voided only by staff on purpose, and that void is in the audit trail
        # (the action CHECKED_IN_VOID_ACTION).
        "cancelled_checked_in",
        """SELECT b.event_id, t.id, b.id, t.event_seat_id, t.checked_in_at FROM {t} t
             JOIN {b} b ON b.id = t.booking_id
            WHERE b.status = 'cancelled' AND t.checked_in_at IS NOT NULL {event}
              AND NOT EXISTS (SELECT 1 FROM {a} a
                               WHERE a.booking_id = b.id AND a.event_seat_id = t.event_seat_id
                                 AND a.action = 'void_checked_in')""",
        "b.event_id",
        lambda ticket, booking, seat, checked_in_at: (
            f"ticket {ticket} of cancelled booking {booking} (seat {seat}) was checked in at"
            f" {checked_in_at}, and no staff void of it is in the audit trail"
        ),
    ),
    Rule(
        "hold_seat_count",
        """SELECT h.event_id, h.id, h.seat_count, COUNT(es.id), h.expires_at FROM {h} h
             LEFT JOIN {es} es ON es.hold_id = h.id AND es.status = 'held'
            WHERE h.status = 'active' {event}
            GROUP BY h.event_id, h.id, h.seat_count, h.expires_at
           HAVING (h.expires_at > %(now)s AND COUNT(es.id) <> h.seat_count)
               OR COUNT(es.id) > h.seat_count""",
        "h.event_id",
        lambda hold, seat_count, held, expires_at: (
            f"active hold {hold} (expires {expires_at}) has seat_count {seat_count} but holds {held} seats"
        ),
        uses_now=True,
    ),
    Rule(
        "booked_hold",
        """SELECT h.event_id, h.id, h.seat_count, b.id,
                  (SELECT COUNT(*) FROM {t} t WHERE t.booking_id = b.id)
             FROM {h} h LEFT JOIN {b} b ON b.hold_id = h.id
            WHERE h.status = 'booked' {event}
              AND (b.id IS NULL OR b.event_id <> h.event_id
                   OR h.seat_count <> (SELECT COUNT(*) FROM {t} t WHERE t.booking_id = b.id))""",
        "h.event_id",
        lambda hold, seat_count, booking, tickets: (
            f"booked hold {hold} of {seat_count} seats has booking {booking} with {tickets} tickets"
        ),
    ),
    Rule(
        "booking_total",
        """SELECT b.event_id, b.id, b.total, COALESCE(SUM(t.price), 0), h.total FROM {b} b
             LEFT JOIN {t} t ON t.booking_id = b.id
             LEFT JOIN {h} h ON h.id = b.hold_id
            WHERE 1 = 1 {event}
            GROUP BY b.event_id, b.id, b.total, h.total
           HAVING ABS(b.total - COALESCE(SUM(t.price), 0)) >= 0.005
               OR (h.total IS NOT NULL AND ABS(h.total - b.total) >= 0.005)""",
        "b.event_id",
        lambda booking, total, tickets_total, hold_total: (
            f"booking {booking} totals {total} but its tickets sum to {tickets_total}"
            f" (its hold: {hold_total})"
        ),
    ),
    Rule(
        "seat_not_in_hall",
        """SELECT es.event_id, es.id, es.seat_id FROM {es} es
             JOIN {e} e ON e.id = es.event_id
             JOIN {s} s ON s.id = es.seat_id JOIN {sec} sec ON sec.id = s.section_id
            WHERE sec.hall_id <> e.hall_id {event}""",
        "es.event_id",
        lambda seat, hall_seat: f"event seat {seat} is hall seat {hall_seat} of another hall",
    ),
    Rule(
        "seat_lost",
        """SELECT e.id, s.id FROM {e} e
             JOIN {sec} sec ON sec.hall_id = e.hall_id JOIN {s} s ON s.section_id = sec.id
            WHERE NOT EXISTS (SELECT 1 FROM {es} es WHERE es.event_id = e.id AND es.seat_id = s.id)
              {event}""",
        "e.id",
        lambda hall_seat: f"hall seat {hall_seat} has no event seat: it is lost to this event",
    ),
    Rule(
        "seat_duplicated",
        """SELECT es.event_id, es.seat_id, COUNT(*) FROM {es} es WHERE 1 = 1 {event}
            GROUP BY es.event_id, es.seat_id HAVING COUNT(*) > 1""",
        "es.event_id",
        lambda hall_seat, copies: f"hall seat {hall_seat} has {copies} event seats",
    ),
    Rule(
        "booked_count",
        """SELECT e.id,
                  (SELECT COUNT(*) FROM {es} es WHERE es.event_id = e.id AND es.status = 'booked'),
                  (SELECT COUNT(*) FROM {t} t JOIN {es} es ON es.id = t.event_seat_id
                    WHERE es.event_id = e.id AND t.status = 'active')
             FROM {e} e WHERE 1 = 1 {event}""",
        "e.id",
        lambda booked, tickets: f"{booked} booked seats but {tickets} active tickets",
    ),
    Rule(
        "held_count",
        """SELECT e.id,
                  (SELECT COUNT(*) FROM {es} es JOIN {h} h ON h.id = es.hold_id
                    WHERE es.event_id = e.id AND es.status = 'held' AND h.status = 'active'
                      AND h.expires_at > %(now)s),
                  (SELECT COALESCE(SUM(h.seat_count), 0) FROM {h} h
                    WHERE h.event_id = e.id AND h.status = 'active' AND h.expires_at > %(now)s)
             FROM {e} e WHERE 1 = 1 {event}""",
        "e.id",
        lambda held, holds_total: f"{held} seats held by live holds, but those holds count {holds_total}",
        uses_now=True,
    ),
]

COUNT_RULES = {"booked_count", "held_count"}


def _db_now(now: datetime) -> object:
    return connection.ops.adapt_datetimefield_value(now)


def inventory_violations(*, event_id: int | None = None, now: datetime | None = None) -> list[Violation]:
    """Every breach of the invariant in the raw tables, for one event or all of them."""
    now = now or timezone.now()
    params: dict[str, object] = {"now": _db_now(now), "event_id": event_id}
    violations = []
    with connection.cursor() as cursor:
        for rule in RULES:
            event_filter = f"AND {rule.event_column} = %(event_id)s" if event_id is not None else ""
            sql = rule.sql.format(**TABLES, event=event_filter)
            cursor.execute(sql, params)
            for event, *values in cursor.fetchall():
                if rule.name in COUNT_RULES and values[0] == values[1]:
                    continue
                violations.append(Violation(rule.name, event, rule.describe(*values)))
    return violations


def inventory_counts(*, event_id: int | None = None, now: datetime | None = None) -> list[EventCounts]:
    """Per event: seats by effective status (an expired hold's seat is available), live holds,
    confirmed bookings and active tickets, from the raw tables."""
    now = now or timezone.now()
    event_filter = "AND e.id = %(event_id)s" if event_id is not None else ""
    sql = """
        SELECT e.id,
               (SELECT COUNT(*) FROM {es} es WHERE es.event_id = e.id),
               (SELECT COUNT(*) FROM {es} es LEFT JOIN {h} h ON h.id = es.hold_id
                 WHERE es.event_id = e.id AND (es.status = 'available' OR (es.status = 'held'
                       AND NOT (h.status = 'active' AND h.expires_at > %(now)s)))),
               (SELECT COUNT(*) FROM {es} es JOIN {h} h ON h.id = es.hold_id
                 WHERE es.event_id = e.id AND es.status = 'held' AND h.status = 'active'
                   AND h.expires_at > %(now)s),
               (SELECT COUNT(*) FROM {es} es WHERE es.event_id = e.id AND es.status = 'booked'),
               (SELECT COUNT(*) FROM {es} es WHERE es.event_id = e.id AND es.status = 'blocked'),
               (SELECT COUNT(*) FROM {h} h WHERE h.event_id = e.id AND h.status = 'active'
                   AND h.expires_at > %(now)s),
               (SELECT COUNT(*) FROM {b} b WHERE b.event_id = e.id AND b.status = 'confirmed'),
               (SELECT COUNT(*) FROM {t} t JOIN {b} b ON b.id = t.booking_id
                 WHERE b.event_id = e.id AND t.status = 'active')
          FROM {e} e WHERE 1 = 1 {event} ORDER BY e.id
    """.format(**TABLES, event=event_filter)  # noqa: S608 - table names from model metadata
    with connection.cursor() as cursor:
        cursor.execute(sql, {"now": _db_now(now), "event_id": event_id})
        return [EventCounts(*row) for row in cursor.fetchall()]


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
