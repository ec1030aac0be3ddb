"""Small helpers shared by the holds/bookings tests (services, API, races, commands)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import User
from ticketing.models import Booking, Event, EventSeat, Hold
from ticketing.selectors.invariants import inventory_check
from ticketing.services.bookings import booking_confirm
from ticketing.services.holds import hold_create


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
