"""import_layout: the layout of PUT /halls/{id}/layout/ from a file, through layout_replace."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.factories import HallFactory, on_sale_event, simple_layout
from venues.models import Seat, Section

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "layouts"


def run(*args) -> str:
    out = StringIO()
    call_command("import_layout", *map(str, args), stdout=out)
    return out.getvalue()


def write(tmp_path, content, name="layout.json") -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_the_sample_json_imports_with_progress_output():
    hall = HallFactory()
    output = run(hall.pk, SAMPLES / "small_theatre.json")
    assert Section.objects.filter(hall=hall).count() == 4
    assert Seat.objects.filter(section__hall=hall).count() == 358
    assert set(Seat.objects.filter(section__hall=hall).values_list("category", flat=True)) == {
        "vip",
        "standard",
        "box",
    }
    assert "358/358 seats (100%)" in output
    assert "Imported 358 seats in 4 sections" in output


def test_the_sample_csv_imports():
    hall = HallFactory()
    run(hall.pk, SAMPLES / "small_cinema.csv")
    assert Seat.objects.filter(section__hall=hall).count() == 102
    assert Seat.objects.filter(section__hall=hall, category="vip").count() == 32


def test_a_bare_list_of_sections_is_accepted(tmp_path):
    hall = HallFactory()
    run(hall.pk, write(tmp_path, simple_layout()))
    assert Seat.objects.filter(section__hall=hall).count() == 10


def test_dry_run_validates_and_changes_nothing():
    hall = HallFactory()
    output = run(hall.pk, SAMPLES / "small_theatre.json", "--dry-run")
    assert "Valid" in output
    assert not Section.objects.filter(hall=hall).exists()


def test_a_dry_run_refuses_a_hall_in_use_as_the_import_would():
    event = on_sale_event()
    with pytest.raises(CommandError, match="layout_in_use"):
        run(event.hall.pk, SAMPLES / "small_theatre.json", "--dry-run")


def test_an_unknown_hall_is_a_clear_error():
    with pytest.raises(CommandError, match="No hall with id 999999"):
        run(999999, SAMPLES / "small_theatre.json")


def test_a_missing_file_is_a_clear_error(tmp_path):
    hall = HallFactory()
    with pytest.raises(CommandError, match="Cannot read"):
        run(hall.pk, tmp_path / "nope.json")


def test_malformed_json_says_where(tmp_path):
    hall = HallFactory()
    with pytest.raises(CommandError, match="line 1, column"):
        run(hall.pk, write(tmp_path, '{"sections": ['))


def test_an_object_without_sections_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match='"sections"'):
        run(HallFactory().pk, write(tmp_path, {"rows": []}))


def test_validation_errors_list_every_path(tmp_path):
    hall = HallFactory()
    bad = {"sections": [{"name": "S", "rows": [{"label": "A", "seats": 0}]}, {"name": "T", "rows": []}]}
    with pytest.raises(CommandError) as caught:
        run(hall.pk, write(tmp_path, bad))
    assert "sections[0].rows[0].seats" in str(caught.value)
    assert "sections[1].rows" in str(caught.value)
    assert not Section.objects.filter(hall=hall).exists()


def test_a_csv_with_a_bad_number_is_a_clear_error(tmp_path):
    path = write(tmp_path, "section,row,seats\nStalls,A,ten\n", name="layout.csv")
    with pytest.raises(CommandError, match="Line 2"):
        run(HallFactory().pk, path)


def test_a_csv_without_the_needed_columns_is_a_clear_error(tmp_path):
    path = write(tmp_path, "block,row\nStalls,A\n", name="layout.csv")
    with pytest.raises(CommandError, match="columns"):
        run(HallFactory().pk, path)


def test_a_hall_used_by_events_is_refused():
    event = on_sale_event()
    with pytest.raises(CommandError, match="layout_in_use"):
        run(event.hall_id, SAMPLES / "small_theatre.json")
    assert Seat.objects.filter(section__hall=event.hall).count() == 10
