"""import_layout: replace a hall's seat layout from a JSON (or CSV) file.

    python manage.py import_layout <hall_id> <file.json> [--dry-run]

JSON has the shape of ``PUT /api/v1/halls/{id}/layout/``: ``{"sections": [{"name", "rows":
[{"label", "seats", "first_number"?, "category"?, "accessible"?}]}]}`` (a bare list of sections
is accepted too). CSV has a header and one line per row:
``section,row,seats,first_number,category`` (the last two optional). The import goes through
``venues.services.layout_replace``: all or nothing, refused once an event uses the hall.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from config.errors import ApiError, Invalid
from venues import services as venues_services
from venues.models import Hall
from venues.services import LayoutInUse, layout_replace, layout_validate


def layout_from_json(text: str) -> Any:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"Not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from exc
    if isinstance(data, dict):
        if "sections" not in data:
            raise CommandError('The JSON object needs a "sections" list.')
        return data["sections"]
    return data


def layout_from_csv(text: str) -> list[dict[str, Any]]:
    """CSV lines (section,row,seats[,first_number][,category]) → the sections → rows shape."""
    reader = csv.DictReader(io.StringIO(text))
    required = {"section", "row", "seats"}
    if not reader.fieldnames or not required <= {name.strip() for name in reader.fieldnames}:
        raise CommandError(f"The CSV header needs the columns {', '.join(sorted(required))}.")
    sections: dict[str, list[dict[str, Any]]] = {}
    for line_number, line in enumerate(reader, start=2):
        line = {key.strip(): (value or "").strip() for key, value in line.items() if key}
        row: dict[str, Any] = {"label": line["row"]}
        try:
            row["seats"] = int(line["seats"])
            if line.get("first_number"):
                row["first_number"] = int(line["first_number"])
        except ValueError as exc:
            raise CommandError(f"Line {line_number}: seats and first_number are whole numbers.") from exc
        if line.get("category"):
            row["category"] = line["category"]
        sections.setdefault(line["section"], []).append(row)
    return [{"name": name, "rows": rows} for name, rows in sections.items()]


def describe_invalid(error: Invalid) -> str:
    lines = [
        f"  {path}: {problem}"
        for path, problems in (error.extra.get("fields") or {}).items()
        for problem in problems
    ]
    return "\n".join(lines) or f"  {error.detail}"


class Command(BaseCommand):
    help = "Replace a hall's seat layout from a JSON file (the shape of PUT /halls/{id}/layout/) or a CSV."

    def add_arguments(self, parser):
        parser.add_argument("hall_id", type=int, help="The id of the hall (see /api/v1/halls/).")
        parser.add_argument("file", type=Path, help="A .json (or .csv) layout file.")
        parser.add_argument("--dry-run", action="store_true", help="Validate only; change nothing.")

    def handle(self, *args, hall_id: int, file: Path, dry_run: bool = False, **options):
        hall = Hall.objects.select_related("venue").filter(pk=hall_id).first()
        if hall is None:
            raise CommandError(f"No hall with id {hall_id}. List them with GET /api/v1/halls/.")
        try:
            text = file.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is not UTF-8 text.") from exc
        sections = layout_from_csv(text) if file.suffix.lower() == ".csv" else layout_from_json(text)

        try:
            layout = layout_validate(sections=sections)
        except Invalid as error:
            raise CommandError(f"The layout in {file} is not valid:\n{describe_invalid(error)}") from error
        total = sum(row["seats"] for section in layout for row in section["rows"])
        count = f"{len(layout)} section{'s' if len(layout) != 1 else ''}"
        self.stdout.write(f"{file}: {count}, {total} seats, for {hall} (hall {hall.pk}).")
        if dry_run:
            # what the import would refuse too: a hall some event uses keeps its layout
            try:
                with transaction.atomic():
                    in_use = venues_services.hall_guard(hall=hall)
            except ApiError as error:  # busy: the hall is being changed right now
                raise CommandError(f"{hall}: {error.detail} ({error.code})") from error
            if in_use:
                error = LayoutInUse()
                raise CommandError(f"{hall}: {error.detail} ({error.code})")
            self.stdout.write(self.style.SUCCESS("Valid. Nothing changed (--dry-run)."))
            return

        started = time.monotonic()
        verbose = options.get("verbosity", 1) >= 1

        def progress(done: int, total: int) -> None:
            if verbose:
                self.stdout.write(f"  {done:>7}/{total} seats ({100 * done // max(total, 1)}%)")

        try:
            summary = layout_replace(hall=hall, sections=layout, progress=progress)
        except ApiError as error:  # layout_in_use, or busy
            raise CommandError(f"{hall}: {error.detail} ({error.code})") from error
        elapsed = time.monotonic() - started
        sections = f"{summary.sections} section{'s' if summary.sections != 1 else ''}"
        message = f"Imported {summary.seats} seats in {sections} into {hall}"
        self.stdout.write(self.style.SUCCESS(f"{message} in {elapsed:.1f} s."))
