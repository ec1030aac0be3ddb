"""Venue and layout services: the only code that writes venues, halls, sections and seats."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, connection, models, transaction

from config.errors import HallInUse, Invalid, LayoutInUse, VenueInUse
from venues.models import DEFAULT_TIME_ZONE, Hall, Seat, Section, Venue, validate_time_zone


def _hall_guard_missing(*, hall: Hall) -> bool:
    raise ImproperlyConfigured("No hall guard registered: the ticketing app sets it when it loads.")


#: Changing or deleting a hall's layout must not race an event being created from it, and is
#: refused once events use the hall. ``hall_guard(hall=...)`` locks the hall row and says whether
#: anything uses it. Events are ticketing's, and so is every row lock (``ticketing.locking``, the
#: one door): the ticketing app registers its ``lock_hall_for_layout`` here when it loads
#: (``TicketingConfig.ready``), so that venues never imports ticketing.
hall_guard: Callable[..., bool] = _hall_guard_missing


def hall_protected_by(*, hall: Hall, limit: int = 20) -> list[str]:
    """What keeps the hall from being deleted: up to ``limit`` rows of every model that points
    at halls with ``on_delete=PROTECT`` (events, in this project), found from the model
    metadata, not by name."""
    found: list[str] = []
    for relation in Hall._meta.related_objects:
        if relation.on_delete is models.PROTECT:
            rows = relation.related_model._default_manager.filter(**{relation.field.name: hall})
            found += [str(row) for row in rows[: limit - len(found)]]
    return found


VENUE_FIELDS = {"name", "kind", "city", "address", "time_zone"}
HALL_FIELDS = {"venue", "name"}


def _refuse_unknown(fields: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise Invalid("Unknown fields.", fields={name: ["Unknown field."] for name in unknown})


def _ensure_unique(exists: bool, field: str, message: str) -> None:
    if exists:
        raise Invalid(message, fields={field: [message]})


def _validate_kind(kind: str) -> None:
    if kind not in Venue.Kind.values:
        raise Invalid("Unknown venue kind.", fields={"kind": [f"One of {Venue.Kind.values}."]})


def _validate_time_zone(time_zone: str) -> None:
    try:
        validate_time_zone(time_zone)
    except ValidationError as error:
        raise Invalid("Unknown time zone.", fields={"time_zone": error.messages}) from None


def _save(instance: Venue | Hall, *, field: str, message: str, update_fields: list[str] | None = None):
    """Save in a savepoint; a concurrent duplicate (the unique constraint) becomes Invalid."""
    try:
        with transaction.atomic():
            instance.save(update_fields=update_fields)
    except IntegrityError as exc:
        raise Invalid(message, fields={field: [message]}) from exc
    return instance


VENUE_TAKEN = "A venue with this name exists."
HALL_TAKEN = "This venue already has a hall with this name."


def venue_create(
    *, name: str, kind: str, city: str, address: str = "", time_zone: str = DEFAULT_TIME_ZONE
) -> Venue:
    """Create a venue; its name is unique (case-insensitively, for the humans reading lists).

    ``time_zone`` is the IANA name buyers see the venue's event times in (``Europe/Paris``).
    """
    name, time_zone = name.strip(), time_zone.strip()
    _validate_kind(kind)
    _validate_time_zone(time_zone)
    _ensure_unique(Venue.objects.filter(name__iexact=name).exists(), "name", VENUE_TAKEN)
    venue = Venue(name=name, kind=kind, city=city.strip(), address=address.strip(), time_zone=time_zone)
    return _save(venue, field="name", message=VENUE_TAKEN)


def venue_update(*, venue: Venue, **fields: Any) -> Venue:
    """Change a venue's name, kind, city, address or time zone."""
    _refuse_unknown(fields, VENUE_FIELDS)
    if not fields:
        return venue
    fields = {name: value.strip() if isinstance(value, str) else value for name, value in fields.items()}
    if "kind" in fields:
        _validate_kind(fields["kind"])
    if "time_zone" in fields:
        _validate_time_zone(fields["time_zone"])
    if "name" in fields:
        taken = Venue.objects.filter(name__iexact=fields["name"]).exclude(pk=venue.pk).exists()
        _ensure_unique(taken, "name", VENUE_TAKEN)
    for name, value in fields.items():
        setattr(venue, name, value)
    return _save(venue, field="name", message=VENUE_TAKEN, update_fields=list(fields))


def venue_delete(*, venue: Venue) -> None:
    """Delete a venue that has no halls (refused with VenueInUse otherwise).

    No lock: the database decides. A hall's venue is ``PROTECT`` (Django refuses with
    ProtectedError) and its foreign key makes a hall created at the same moment either wait
    for this delete and then fail, or commit first and make this delete fail.
    """
    try:
        with transaction.atomic():
            venue.delete()
    except (models.ProtectedError, IntegrityError) as exc:
        raise VenueInUse() from exc


def hall_create(*, venue: Venue, name: str) -> Hall:
    """Create an empty hall; give it seats with ``layout_replace``."""
    name = name.strip()
    _ensure_unique(Hall.objects.filter(venue=venue, name__iexact=name).exists(), "name", HALL_TAKEN)
    return _save(Hall(venue=venue, name=name), field="name", message=HALL_TAKEN)


def hall_update(*, hall: Hall, **fields: Any) -> Hall:
    """Rename a hall or move it to another venue (its layout and events follow it)."""
    _refuse_unknown(fields, HALL_FIELDS)
    if not fields:
        return hall
    if "name" in fields:
        fields["name"] = fields["name"].strip()
    venue = fields.get("venue", hall.venue)
    name = fields.get("name", hall.name)
    taken = Hall.objects.filter(venue=venue, name__iexact=name).exclude(pk=hall.pk).exists()
    _ensure_unique(taken, "name", HALL_TAKEN)
    for field, value in fields.items():
        setattr(hall, field, value)
    return _save(hall, field="name", message=HALL_TAKEN, update_fields=list(fields))


def hall_delete(*, hall: Hall) -> None:
    """Delete a hall and its layout; refused with HallInUse once any event uses the hall.

    ``hall_guard`` locks the hall row, as for ``layout_replace``, so that no event is created
    meanwhile, and says whether events use it.
    """
    with transaction.atomic():
        if hall_guard(hall=hall):
            raise HallInUse()
        _layout_delete(hall)
        hall.delete()


@dataclass(frozen=True)
class LayoutSummary:
    sections: int
    seats: int


MAX_SEATS_PER_ROW = 1000


def layout_validate(*, sections: Any) -> list[dict[str, Any]]:
    """Check a layout (sections → rows) and return it normalised; raise Invalid with paths.

    Shape: ``[{"name", "rows": [{"label", "seats", "first_number"?, "category"?,
    "accessible"?: [seat numbers], "x"?, "y"?, "pitch"?}]}]``. ``x`` and ``y`` (together) place
    the row's first seat on the hall's plan, in any unit; the next seats follow every ``pitch``
    (default 1) along x. The buyer's map draws sections and aisles from them where they are given.
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
            x, y, pitch = row.get("x"), row.get("y"), row.get("pitch", 1)
            if (x is None) != (y is None) or not all(_is_coordinate(v) for v in (x, y) if v is not None):
                fail(f"{rpath}.x", "x and y go together: numbers from -1000000 to 1000000.")
                continue
            if not _is_coordinate(pitch) or pitch <= 0:
                fail(f"{rpath}.pitch", "A number above 0: the distance between two seats along x.")
                continue
            total += seats
            out_rows.append(
                {
                    "label": label.strip(),
                    "seats": seats,
                    "first_number": first,
                    "category": category.strip(),
                    "accessible": sorted(set(accessible)),
                    "x": x,
                    "y": y,
                    "pitch": pitch,
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


def _is_coordinate(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and abs(value) <= 1_000_000


SEAT_BATCH = 5000


def _seats_of(sections: list[Section], layout: list[dict[str, Any]]) -> Iterator[Seat]:
    for section, spec in zip(sections, layout, strict=True):
        for row_index, row in enumerate(spec["rows"]):
            accessible = set(row["accessible"])
            placed = row.get("x") is not None
            for offset, number in enumerate(range(row["first_number"], row["first_number"] + row["seats"])):
                yield Seat(
                    section=section,
                    row_label=row["label"],
                    row_index=row_index,
                    number=number,
                    category=row["category"],
                    accessible=number in accessible,
                    x=row["x"] + offset * row["pitch"] if placed else None,
                    y=row["y"] if placed else None,
                )


def _layout_delete(hall: Hall) -> None:
    """Delete a hall's seats in one statement, then its sections.

    ``Section.delete()`` would make Django load every seat to check the ``PROTECT`` from event
    seats (seconds for a stadium, spent idle inside the transaction). The caller has checked,
    under the hall lock, that no event uses the hall, so no event seat references these seats.
    Hand-written for that reason; measured in process on PostgreSQL, a 20,000-seat hall in a
    rolled-back transaction, best of 3, back to back on the shared 2-core box: this 36-56 ms,
    ``Seat.objects.filter(section__hall=hall).delete()`` 1.6-2.1 s.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Seat._meta.db_table} WHERE section_id IN "  # noqa: S608 - model metadata
            f"(SELECT id FROM {Section._meta.db_table} WHERE hall_id = %s)",
            [hall.pk],
        )
    Section.objects.filter(hall=hall).delete()


def layout_replace(
    *,
    hall: Hall,
    sections: Any,
    progress: Callable[[int, int], None] | None = None,
) -> LayoutSummary:
    """Replace a hall's whole layout in bulk, all or nothing.

    ``hall_guard`` locks the hall row (``event_create`` locks it too, so no event is created
    from a half-written layout) and refuses with ``LayoutInUse`` once any event uses the hall, then
    deletes the old sections and seats and inserts the new ones in batches of ``SEAT_BATCH``
    (memory stays flat and no Python gap inside the transaction grows with the hall's size).
    ``progress(done, total)`` is called after each batch.
    """
    layout = layout_validate(sections=sections)
    total = sum(row["seats"] for section in layout for row in section["rows"])
    with transaction.atomic():
        if hall_guard(hall=hall):
            raise LayoutInUse()
        _layout_delete(hall)
        created_sections = Section.objects.bulk_create(
            Section(hall=hall, name=section["name"], position=index) for index, section in enumerate(layout)
        )
        seats, done = _seats_of(created_sections, layout), 0
        while batch := list(islice(seats, SEAT_BATCH)):
            Seat.objects.bulk_create(batch)
            done += len(batch)
            if progress:
                progress(done, total)
    return LayoutSummary(sections=len(created_sections), seats=total)
