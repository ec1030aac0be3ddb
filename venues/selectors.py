"""Reads of venues and layouts."""

from __future__ import annotations

from typing import Any

from venues.models import Hall, Seat, Section


def layout_get(*, hall: Hall) -> list[dict[str, Any]]:
    """The hall's layout as sections → rows → seats, in two queries."""
    sections = list(Section.objects.filter(hall=hall).order_by("position", "id"))
    seats = Seat.objects.filter(section__hall=hall).order_by("section_id", "row_index", "number")
    by_section: dict[int, dict[str, dict[str, Any]]] = {s.id: {} for s in sections}
    for seat in seats.values("section_id", "row_label", "number", "category", "accessible", "id"):
        rows = by_section[seat["section_id"]]
        row = rows.setdefault(seat["row_label"], {"label": seat["row_label"], "seats": []})
        row["seats"].append(
            {
                "id": seat["id"],
                "number": seat["number"],
                "category": seat["category"],
                "accessible": seat["accessible"],
            }
        )
    return [{"id": s.id, "name": s.name, "rows": list(by_section[s.id].values())} for s in sections]
