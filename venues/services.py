"""Venue and layout services: the only code that writes venues, halls, sections and seats."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from config.errors import Conflict, Invalid
from venues.models import Hall, Seat, Section


class LayoutInUse(Conflict):
    code = "layout_in_use"
    default_detail = "This hall's layout is used by events and cannot be changed."


@dataclass(frozen=True)
class LayoutSummary:
    sections: int
    seats: int


MAX_SEATS_PER_ROW = 1000


def layout_validate(*, sections: Any) -> list[dict[str, Any]]:
    """Check a layout (sections → rows) and return it normalised; raise Invalid with paths.

    Shape: ``[{"name", "rows": [{"label", "seats", "first_number"?, "category"?,
    "accessible"?: [seat numbers]}]}]``.
    """
    errors: dict[str, list[str]] = {}

    def fail(path: str, message: str) -> None:
        errors.setdefault(path, []).append(message)

    if not isinstance(sections, list) or not sections:
        raise Invalid("A layout needs at least one section.", fields={"sections": ["Required."]})
    normalised: list[dict[str, Any]] = []
    names: set[str] = set()
    total = 0
    for s_index, section in enumerate(sections):
        path = f"sections[{s_index}]"
        if not isinstance(section, dict):
            fail(path, "Must be an object.")
            continue
        name = section.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            fail(f"{path}.name", "A non-empty name of at most 100 characters is required.")
            name = ""
        elif name.strip() in names:
            fail(f"{path}.name", f"Duplicate section name {name!r}.")
        names.add(name.strip())
        rows = section.get("rows")
        if not isinstance(rows, list) or not rows:
            fail(f"{path}.rows", "A section needs at least one row.")
            continue
        labels: set[str] = set()
        out_rows = []
        for r_index, row in enumerate(rows):
            rpath = f"{path}.rows[{r_index}]"
            if not isinstance(row, dict):
                fail(rpath, "Must be an object.")
                continue
            label, seats = row.get("label"), row.get("seats")
            first = row.get("first_number", 1)
            category = row.get("category", "standard")
            accessible = row.get("accessible", [])
            if not isinstance(label, str) or not label.strip() or len(label) > 10:
                fail(f"{rpath}.label", "A non-empty label of at most 10 characters is required.")
                continue
            if label.strip() in labels:
                fail(f"{rpath}.label", f"Duplicate row label {label!r} in this section.")
            labels.add(label.strip())
            if not _is_int(seats) or not 1 <= seats <= MAX_SEATS_PER_ROW:
                fail(f"{rpath}.seats", f"Must be a whole number from 1 to {MAX_SEATS_PER_ROW}.")
                continue
            if not _is_int(first) or not first >= 1 or first + seats - 1 > 10_000:
                fail(f"{rpath}.first_number", "Must be a whole number from 1; seats end by 10000.")
                continue
            if not isinstance(category, str) or not category.strip() or len(category) > 40:
                fail(f"{rpath}.category", "A non-empty category of at most 40 characters.")
                continue
            if not isinstance(accessible, list) or not all(
                _is_int(n) and first <= n < first + seats for n in accessible
            ):
                fail(f"{rpath}.accessible", "A list of seat numbers within the row.")
                continue
            total += seats
            out_rows.append(
                {
                    "label": label.strip(),
                    "seats": seats,
                    "first_number": first,
                    "category": category.strip(),
                    "accessible": sorted(set(accessible)),
                }
            )
        normalised.append({"name": (name or "").strip(), "rows": out_rows})
    if total > settings.TICKETING_MAX_LAYOUT_SEATS:
        fail("sections", f"A layout has at most {settings.TICKETING_MAX_LAYOUT_SEATS} seats.")
    if errors:
        raise Invalid(next(iter(errors.values()))[0], fields=errors)
    return normalised


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def layout_replace(
    *,
    hall: Hall,
    sections: Any,
    progress: Callable[[int, int], None] | None = None,
) -> LayoutSummary:
    """Replace a hall's whole layout in bulk.

    Locks the hall row (so no event can be created from a half-written layout), refuses with
    ``LayoutInUse`` once any event uses the hall, then deletes and bulk-inserts sections and
    seats. All or nothing.
    """
    layout = layout_validate(sections=sections)
    total = sum(row["seats"] for section in layout for row in section["rows"])
    with transaction.atomic():
        Hall.objects.select_for_update().get(pk=hall.pk)
        if hall.events.exists():
            raise LayoutInUse()
        Section.objects.filter(hall=hall).delete()
        created_sections = Section.objects.bulk_create(
            Section(hall=hall, name=section["name"], position=index) for index, section in enumerate(layout)
        )
        done = 0
        for section, spec in zip(created_sections, layout, strict=True):
            seats = [
                Seat(
                    section=section,
                    row_label=row["label"],
                    row_index=row_index,
                    number=number,
                    category=row["category"],
                    accessible=number in row["accessible"],
                )
                for row_index, row in enumerate(spec["rows"])
                for number in range(row["first_number"], row["first_number"] + row["seats"])
            ]
            Seat.objects.bulk_create(seats, batch_size=5000)
            done += len(seats)
            if progress:
                progress(done, total)
    return LayoutSummary(sections=len(created_sections), seats=total)
