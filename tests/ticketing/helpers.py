"""Small helpers shared by the ticketing tests (services, API, selectors, commands, races).

Holds and bookings made through the services, seat ids in map order, the inventory check, and
halls of given row lengths for best available (``event_with_rows``, ``seat_id``, ``labels``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import User
from tests.factories import HallFactory, on_sale_event
from ticketing.models import Booking, Event, EventSeat, Hold
from ticketing.selectors.invariants import inventory_check
from ticketing.services.bookings import booking_confirm
from ticketing.services.holds import hold_create
from venues.services import layout_replace


def seat_ids(event: Event, count: int | None = None, *, offset: int = 0) -> list[int]:
    """The event's seat ids in pk order (map order), ``count`` of them from ``offset``."""
    ids = list(EventSeat.objects.filter(event=event).order_by("id").values_list("id", flat=True))
    return ids[offset:] if count is None else ids[offset : offset + count]


def statuses(ids: list[int]) -> list[str]:
    return list(EventSeat.objects.filter(id__in=ids).order_by("id").values_list("status", flat=True))


def held(buyer: User, event: Event, ids: list[int], *, now: datetime | None = None) -> Hold:
    return hold_create(buyer=buyer, event=event, seat_ids=ids, now=now)


def booked(buyer: User, event: Event, ids: list[int], *, now: datetime | None = None) -> Booking:
    hold = held(buyer, event, ids, now=now)
    return booking_confirm(buyer=buyer, hold_id=hold.id, now=now)


def after_expiry(hold: Hold, *, by: timedelta = timedelta(microseconds=1)) -> datetime:
    return hold.expires_at + by


def assert_inventory_clean(event_id: int | None = None, *, now: datetime | None = None) -> None:
    report = inventory_check(event_id=event_id, now=now or timezone.now())
    assert report.ok, "\n".join(map(str, report.violations))


def event_with_rows(*rows: int, sections: int = 1, categories: list[str] | None = None, **fields):
    """An on-sale event whose hall has ``sections`` sections with rows of the given lengths.

    Rows are A, B, C...; ``categories`` per row (default: all standard).
    """
    categories = categories or ["standard"] * len(rows)
    hall = HallFactory()
    layout_replace(
        hall=hall,
        sections=[
            {
                "name": f"Section {s + 1}",
                "rows": [
                    {"label": chr(ord("A") + r), "seats": n, "category": categories[r]}
                    for r, n in enumerate(rows)
                ],
            }
            for s in range(sections)
        ],
    )
    prices = {category: "10.00" for category in set(categories)}
    return on_sale_event(hall=hall, prices=prices, **fields)


def seat_id(event, label: str, section: str = "Section 1") -> int:
    """The event-seat id of e.g. ``"A3"`` (row A, seat 3)."""
    return EventSeat.objects.get(
        event=event, seat__section__name=section, seat__row_label=label[0], seat__number=int(label[1:])
    ).id


def labels(ids) -> list[str]:
    rows = EventSeat.objects.filter(id__in=list(ids)).values_list("seat__row_label", "seat__number")
    return sorted(f"{row}{number}" for row, number in rows)
