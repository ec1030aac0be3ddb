"""The per-event sales report: inventory by section and category, revenue, sales over time.

Five grouped queries and the ticket types' names, whatever the size of the event, one more for
season tickets (and one counting season bookings when there are some). Season sales are counted
apart (``season_tickets_sold``, ``season_revenue``: this event's tickets of season bookings,
each its share of the season price); ``tickets_sold``, ``revenue``, the sales over time and the
split by ticket type and category (``types``: full first, then the event's types in their
order) are this event's own bookings. A seat of an expired hold counts as available (as
everywhere). Revenue is the price of the tickets that are active now (bookings cancelled since
are not revenue; their value is reported as ``cancelled_value``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import Coalesce, Trunc

from ticketing.models import Booking, Event, EventSeat, Ticket, TicketType
from ticketing.models.ticket_types import FULL
from ticketing.selectors.events import live_hold_q
from ticketing.selectors.ticket_types import FULL_NAME

Status = EventSeat.Status
ZERO = Decimal("0.00")


@dataclass
class InventoryLine:
    section: str
    category: str
    capacity: int = 0
    available: int = 0
    held: int = 0
    booked: int = 0
    blocked: int = 0
    tickets_sold: int = 0
    revenue: Decimal = ZERO
    # counted apart: this event's tickets of season bookings (their share of the season price)
    season_tickets_sold: int = 0
    season_revenue: Decimal = ZERO


@dataclass(frozen=True)
class TypeLine:
    """Active tickets of one ticket type in one seat category."""

    ticket_type: str  # the code
    name: str
    category: str
    tickets_sold: int
    revenue: Decimal


@dataclass(frozen=True)
class SalesPoint:
    period: datetime
    tickets: int
    revenue: Decimal
    cumulative_tickets: int
    cumulative_revenue: Decimal


@dataclass(frozen=True)
class SalesReport:
    event: Event
    generated_at: datetime
    lines: list[InventoryLine]
    totals: InventoryLine
    bookings_confirmed: int
    bookings_cancelled: int
    cancelled_value: Decimal
    bucket: str  # "hour" or "day"
    season_bookings: int = 0  # season bookings with an active ticket for this event
    sales: list[SalesPoint] = field(default_factory=list)
    types: list[TypeLine] = field(default_factory=list)


def event_sales_report(*, event: Event, now: datetime, bucket: str | None = None) -> SalesReport:
    """The report of one event at ``now``. ``bucket`` ("hour"/"day") defaults to hours when all
    sales fall within two days, days otherwise."""
    section = "seat__section__name"
    category = "seat__category"
    inventory = (
        EventSeat.objects.filter(event_id=event.pk)
        .values(section, category)
        .annotate(
            position=Min("seat__section__position"),
            capacity=Count("id"),
            open_or_held=Count("id", filter=Q(status__in=[Status.AVAILABLE, Status.HELD])),
            held=Count("id", filter=live_hold_q(now)),
            booked=Count("id", filter=Q(status=Status.BOOKED)),
            blocked=Count("id", filter=Q(status=Status.BLOCKED)),
        )
        .order_by("position", section, category)
    )
    lines: dict[tuple[str, str], InventoryLine] = {}
    for row in inventory:
        lines[(row[section], row[category])] = InventoryLine(
            section=row[section],
            category=row[category],
            capacity=row["capacity"],
            available=row["open_or_held"] - row["held"],
            held=row["held"],
            booked=row["booked"],
            blocked=row["blocked"],
        )
    active = Ticket.objects.filter(booking__event_id=event.pk, status=Ticket.Status.ACTIVE)
    ticket_section, ticket_category = "event_seat__seat__section__name", "event_seat__seat__category"
    sold = active.values(ticket_section, ticket_category).annotate(n=Count("id"), revenue=Sum("price"))
    for row in sold.order_by():
        line = lines.get((row[ticket_section], row[ticket_category]))
        if line is not None:
            line.tickets_sold, line.revenue = row["n"], _money(row["revenue"])
    season_active = Ticket.objects.filter(
        event_seat__event_id=event.pk, booking__season__isnull=False, status=Ticket.Status.ACTIVE
    )
    season_sold = season_active.values(ticket_section, ticket_category).annotate(
        n=Count("id"), revenue=Sum("price"), bookings=Count("booking_id", distinct=True)
    )
    season_bookings = 0
    for row in season_sold.order_by():
        line = lines.get((row[ticket_section], row[ticket_category]))
        if line is not None:
            line.season_tickets_sold, line.season_revenue = row["n"], _money(row["revenue"])
    if lines and any(line.season_tickets_sold for line in lines.values()):
        season_bookings = season_active.values("booking_id").distinct().count()

    types = _type_lines(active=active, event=event)

    bookings = Booking.objects.filter(event_id=event.pk).aggregate(
        confirmed=Count("id", filter=Q(status=Booking.Status.CONFIRMED)),
        cancelled=Count("id", filter=Q(status=Booking.Status.CANCELLED)),
        cancelled_value=Coalesce(Sum("total", filter=Q(status=Booking.Status.CANCELLED)), ZERO),
        first=Min("created_at", filter=Q(status=Booking.Status.CONFIRMED)),
        last=Max("created_at", filter=Q(status=Booking.Status.CONFIRMED)),
    )
    if bucket is None:
        span = (bookings["last"] - bookings["first"]) if bookings["first"] else timedelta(0)
        bucket = "hour" if span <= timedelta(days=2) else "day"
    per_period = (
        active.annotate(period=Trunc("booking__created_at", bucket, tzinfo=UTC))
        .values("period")
        .annotate(tickets=Count("id"), revenue=Sum("price"))
        .order_by("period")
    )
    sales, tickets_total, revenue_total = [], 0, ZERO
    for row in per_period:
        tickets_total += row["tickets"]
        revenue_total += _money(row["revenue"])
        sales.append(
            SalesPoint(
                period=row["period"],
                tickets=row["tickets"],
                revenue=_money(row["revenue"]),
                cumulative_tickets=tickets_total,
                cumulative_revenue=revenue_total,
            )
        )

    totals = InventoryLine(section="TOTAL", category="")
    for line in lines.values():
        for name in INVENTORY_COLUMNS[2:]:  # every figure of a line, after its section and category
            setattr(totals, name, getattr(totals, name) + getattr(line, name))
    return SalesReport(
        event=event,
        generated_at=now,
        lines=list(lines.values()),
        totals=totals,
        bookings_confirmed=bookings["confirmed"],
        bookings_cancelled=bookings["cancelled"],
        cancelled_value=_money(bookings["cancelled_value"]),
        bucket=bucket,
        sales=sales,
        types=types,
        season_bookings=season_bookings,
    )


def _type_lines(*, active, event: Event) -> list[TypeLine]:
    """Sold tickets and revenue per (ticket type, category): one grouped query, and the names
    of the event's types (a code no longer known is named by its code)."""
    category = "event_seat__seat__category"
    rows = active.values("ticket_type", category).annotate(n=Count("id"), revenue=Sum("price")).order_by()
    known = list(TicketType.objects.filter(event_id=event.pk).values_list("code", "name"))
    names = {FULL: FULL_NAME, **dict(known)}
    order = {FULL: -1, **{code: position for position, (code, _) in enumerate(known)}}
    lines = [
        TypeLine(
            ticket_type=row["ticket_type"],
            name=names.get(row["ticket_type"], row["ticket_type"]),
            category=row[category],
            tickets_sold=row["n"],
            revenue=_money(row["revenue"]),
        )
        for row in rows
    ]
    return sorted(
        lines, key=lambda line: (order.get(line.ticket_type, len(order)), line.ticket_type, line.category)
    )


def _money(value: Decimal | None) -> Decimal:
    # SQLite's SUM loses the scale of a DecimalField (80 + 80 = Decimal("160")).
    return (value or ZERO).quantize(ZERO)


INVENTORY_COLUMNS = [
    "section",
    "category",
    "capacity",
    "available",
    "held",
    "booked",
    "blocked",
    "tickets_sold",
    "revenue",
    "season_tickets_sold",
    "season_revenue",
]
SALES_COLUMNS = ["period_start", "tickets", "revenue", "cumulative_tickets", "cumulative_revenue"]
TYPE_COLUMNS = ["ticket_type", "name", "category", "tickets_sold", "revenue"]


def sales_report_csv(report: SalesReport, *, part: str = "inventory") -> str:
    """The report as CSV: ``inventory`` (one row per section and category, then TOTAL),
    ``sales`` (one row per hour or day with sales) or ``types`` (one row per ticket type and
    category with tickets sold, then TOTAL)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if part == "types":
        writer.writerow(TYPE_COLUMNS)
        for line in report.types:
            writer.writerow([_cell(getattr(line, name)) for name in TYPE_COLUMNS])
        writer.writerow(
            [
                "TOTAL",
                "",
                "",
                sum(line.tickets_sold for line in report.types),
                sum((line.revenue for line in report.types), ZERO),
            ]
        )
        return out.getvalue()
    if part == "sales":
        writer.writerow(SALES_COLUMNS)
        for point in report.sales:
            writer.writerow(
                [
                    point.period.isoformat().replace("+00:00", "Z"),
                    point.tickets,
                    point.revenue,
                    point.cumulative_tickets,
                    point.cumulative_revenue,
                ]
            )
        return out.getvalue()
    writer.writerow(INVENTORY_COLUMNS)
    for line in [*report.lines, report.totals]:
        writer.writerow([_cell(getattr(line, name)) for name in INVENTORY_COLUMNS])
    return out.getvalue()


def _cell(value: object) -> object:
    # A cell starting with = + - @ would be a formula in a spreadsheet: section names are staff
    # input, so neutralise them (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
