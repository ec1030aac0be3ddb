"""Reads of events: the catalogue with availability counts."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet

from accounts.models import User
from config.errors import NotFound
from ticketing.locking import dict_rows, model_columns, model_from_row
from ticketing.models import Event, EventSeat, Hold

Status = EventSeat.Status


def events_visible_to(*, user: User | None) -> QuerySet[Event]:
    """Staff see every event; everyone else sees all but drafts."""
    events = Event.objects.select_related("hall__venue").prefetch_related("prices", "ticket_types")
    if user is None or not user.is_staff:
        events = events.exclude(status=Event.Status.DRAFT)
    return events


#: event pk -> (read at, the event): ``event_public_get(max_age=...)``'s rows, this process only
_recent: dict[int, tuple[float, Event]] = {}
RECENT_MAX = 1000


def event_forget(pk: int | None = None) -> None:
    """Drop the remembered row of one event (saved in this process) or of all (tests)."""
    if pk is None:
        _recent.clear()
    else:
        _recent.pop(pk, None)


def event_pk(pk: object) -> int:
    """An event id from a path, or NotFound: an integer of 1 to 2^63 - 1 (SQLite overflows past)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("No such event.") from None
    if not 0 < pk < 2**63:
        raise NotFound("No such event.")
    return pk


def event_public_get(pk: object, *, max_age: float = 0.0) -> Event:
    """The event with this pk unless it is a draft (buyers never see drafts), or NotFound.

    ``max_age`` (seconds): a row this process read that recently may be answered instead, for
    reads whose answer a change of the event cannot make wrong: the hold's pre-check, whose
    refusals need no fresh row, while the hold itself is made with a fresh one. A save of the
    event in this process forgets it at once (``ticketing.apps``); other processes see the change
    within ``max_age``.

    The event row alone, in one hand-written query turned into the model by hand: every hold
    request starts here, and the ORM's query building (then ``raw()``'s column mapping) cost as
    much CPU as authenticating the request (DESIGN.md §8). Measured again
    in process on PostgreSQL, 200 calls, best of 5, back to back on the shared 2-core box (load
    5-9), two runs: this 0.40-0.88 ms, ``Event.objects.exclude(status=DRAFT).get(pk=pk)``
    1.06-2.80 ms.
    """
    pk = event_pk(pk)
    if max_age > 0:
        recent = _recent.get(pk)
        if recent is not None and time.monotonic() - recent[0] < max_age:
            return recent[1]
    sql = f"SELECT {model_columns(Event, 'e')} FROM {Event._meta.db_table} e WHERE id = %s AND status <> %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk, Event.Status.DRAFT])
        rows = dict_rows(cursor)
    if not rows:
        raise NotFound("No such event.")
    event = model_from_row(Event, rows[0], "e")
    if max_age > 0:
        if len(_recent) >= RECENT_MAX:
            _recent.clear()
        _recent[pk] = (time.monotonic(), event)
    return event


def events_filter(events: QuerySet[Event], *, filters: dict[str, Any]) -> QuerySet[Event]:
    if filters.get("kind"):
        events = events.filter(kind=filters["kind"])
    if filters.get("status"):
        events = events.filter(status=filters["status"])
    if filters.get("venue"):
        events = events.filter(hall__venue_id=filters["venue"])
    if filters.get("starts_after"):
        events = events.filter(starts_at__gte=filters["starts_after"])
    if filters.get("starts_before"):
        events = events.filter(starts_at__lt=filters["starts_before"])
    return events


def live_hold_q(now: datetime, prefix: str = "") -> Q:
    """Seats held by a hold that is still live at ``now``."""
    return Q(**{f"{prefix}status": Status.HELD}) & Hold.live_q(now, prefix=f"{prefix}hold__")


def events_availability(*, event_ids: Iterable[int], now: datetime) -> dict[int, dict[str, int]]:
    """Seat counts by effective status for each event, in one grouped query.

    A seat of an expired hold counts as available.
    """
    held = live_hold_q(now)
    rows = (
        EventSeat.objects.filter(event_id__in=list(event_ids))
        .values("event_id")
        .annotate(
            open_or_held=Count("id", filter=Q(status__in=[Status.AVAILABLE, Status.HELD])),
            held=Count("id", filter=held),
            booked=Count("id", filter=Q(status=Status.BOOKED)),
            blocked=Count("id", filter=Q(status=Status.BLOCKED)),
        )
        .order_by()
    )
    counts = {
        row["event_id"]: {
            "available": row["open_or_held"] - row["held"],
            "held": row["held"],
            "booked": row["booked"],
            "blocked": row["blocked"],
        }
        for row in rows
    }
    empty = {"available": 0, "held": 0, "booked": 0, "blocked": 0}
    return {event_id: counts.get(event_id, dict(empty)) for event_id in event_ids}
