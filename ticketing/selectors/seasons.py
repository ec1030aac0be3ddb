"""Reads of seasons: the catalogue, and the season's seat map (a hall seat is available for the
season only when it is available in every one of its events)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Prefetch, QuerySet

from accounts.models import User
from ticketing.locking import HOLD_EXPIRED_SQL, dict_rows
from ticketing.models import Event, EventSeat, Hold, Season, SeasonPrice
from venues.models import Seat, Section


def seasons_visible_to(*, user: User | None) -> QuerySet[Season]:
    """Staff see every season; everyone else the ones on sale or closed (not drafts). With
    their events (by id) and prices."""
    seasons = Season.objects.select_related("hall__venue").prefetch_related(
        Prefetch("events", queryset=Event.objects.order_by("id")),
        Prefetch("prices", queryset=SeasonPrice.objects.order_by("category")),
    )
    if user is not None and user.is_authenticated and user.is_staff:
        return seasons
    return seasons.exclude(status=Season.Status.DRAFT)


def season_seat_map(*, season: Season, user: User | None, now: datetime) -> list[dict[str, Any]]:
    """Every hall seat of the season's hall, in map order, with its season price and its season
    status: ``available`` when it is available in every event of the season at ``now`` (a seat
    of an expired hold counts as free), else ``taken``; ``mine`` when the caller's live hold
    holds it in every event. One grouped statement over the season's event seats."""
    event_ids = [event.id for event in season.events.all()]
    prices = {price.category: str(price.amount) for price in season.prices.all()}
    if not event_ids:
        return []
    sql = f"""
        SELECT s.id AS id, sec.name AS section, s.row_label AS row, s.number AS number,
               s.category AS category,
               SUM(CASE WHEN es.status = %s OR (es.status = %s AND EXISTS {HOLD_EXPIRED_SQL})
                        THEN 0 ELSE 1 END) AS taken,
               SUM(CASE WHEN h.buyer_id = %s AND h.status = %s AND h.expires_at > %s
                        THEN 1 ELSE 0 END) AS mine
          FROM {EventSeat._meta.db_table} es
          JOIN {Seat._meta.db_table} s ON s.id = es.seat_id
          JOIN {Section._meta.db_table} sec ON sec.id = s.section_id
          LEFT JOIN {Hold._meta.db_table} h ON h.id = es.hold_id
         WHERE es.event_id IN ({", ".join(["%s"] * len(event_ids))})
         GROUP BY s.id, sec.name, sec.position, s.row_index, s.row_label, s.number, s.category
         ORDER BY sec.position, s.row_index, s.number, s.id
    """  # noqa: S608 - table names come from model metadata, values are parameters
    at = connection.ops.adapt_datetimefield_value(now)
    user_id = user.pk if user is not None and user.is_authenticated else None
    params = [
        EventSeat.Status.AVAILABLE,
        EventSeat.Status.HELD,
        Hold.Status.ACTIVE,
        at,
        user_id,
        Hold.Status.ACTIVE,
        at,
        *event_ids,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = dict_rows(cursor)
    events = len(event_ids)
    return [
        {
            "id": row["id"],
            "section": row["section"],
            "row": row["row"],
            "number": row["number"],
            "category": row["category"],
            "price": prices.get(row["category"]),
            "status": "available" if not row["taken"] else "taken",
            "mine": int(row["mine"]) == events,
        }
        for row in rows
    ]
