"""The seat map: every seat of an event with its effective status, built from rows not models."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Subquery, Sum

from ticketing.models import Event, EventSeat, Hold

Status = EventSeat.Status


def seat_map_etag(*, event: Event, user_id: int | None, now: datetime) -> str:
    """A tag that changes whenever the map a given user sees may have changed.

    ``sum(version)`` grows with every committed seat change whatever the commit order; the next
    live hold's expiry changes when a hold expires (no write at all); ``updated_at`` covers the
    event and its prices; the user id covers the ``mine`` flags. One query.
    """
    versions = (
        EventSeat.objects.filter(event=OuterRef("pk"))
        .values("event")
        .annotate(total=Sum("version"))
        .values("total")
    )
    next_expiry = (
        Hold.objects.filter(event=OuterRef("pk"), status=Hold.Status.ACTIVE, expires_at__gt=now)
        .order_by("expires_at")
        .values("expires_at")[:1]
    )
    version, expiry, updated_at = (
        Event.objects.filter(pk=event.pk)
        .annotate(version=Subquery(versions), next_expiry=Subquery(next_expiry))
        .values_list("version", "next_expiry", "updated_at")
        .get()
    )
    raw = f"{event.pk}:{version}:{expiry and expiry.isoformat()}:{updated_at.isoformat()}:{user_id}"
    return '"' + hashlib.blake2b(raw.encode(), digest_size=12).hexdigest() + '"'


def seat_map_get(*, event: Event, user_id: int | None, now: datetime) -> dict[str, Any]:
    """Every seat of the event in map order, from ``values_list`` rows (two queries)."""
    prices = {category: str(amount) for category, amount in event.prices.values_list("category", "amount")}
    rows = (
        EventSeat.objects.filter(event=event)
        .order_by("id")
        .values_list(
            "id",
            "seat__section_id",
            "seat__section__name",
            "seat__row_label",
            "seat__number",
            "seat__category",
            "seat__accessible",
            "status",
            "hold__status",
            "hold__expires_at",
            "hold__buyer_id",
        )
    )
    sections: dict[int, dict[str, Any]] = {}
    seats = []
    held, active = Status.HELD, Hold.Status.ACTIVE
    for (
        seat_id,
        section_id,
        section,
        row,
        number,
        category,
        accessible,
        status,
        hold_status,
        expires_at,
        buyer_id,
    ) in rows.iterator(chunk_size=5000):
        if section_id not in sections:
            sections[section_id] = {"id": section_id, "name": section}
        seat = {
            "id": seat_id,
            "section": section,
            "row": row,
            "number": number,
            "category": category,
            "price": prices.get(category),
            "status": status,
        }
        if status == held:
            if hold_status != active or expires_at <= now:
                seat["status"] = Status.AVAILABLE
            elif user_id is not None and buyer_id == user_id:
                seat["mine"] = True
        if accessible:
            seat["accessible"] = True
        seats.append(seat)
    return {"event": event.pk, "sections": list(sections.values()), "seats": seats}
