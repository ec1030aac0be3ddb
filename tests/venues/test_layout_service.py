"""layout_validate / layout_replace: clear errors with paths, all-or-nothing bulk writes."""

import pytest

from config.errors import Invalid
from tests.factories import HallFactory, on_sale_event, simple_layout
from venues.models import Seat, Section
from venues.services import LayoutInUse, layout_replace, layout_validate

pytestmark = pytest.mark.django_db


def fields_of(sections) -> dict:
    with pytest.raises(Invalid) as caught:
        layout_validate(sections=sections)
    assert caught.value.code == "invalid"
    return caught.value.extra["fields"]


def test_a_valid_layout_is_normalised_with_defaults():
    layout = layout_validate(sections=[{"name": " Stalls ", "rows": [{"label": "A", "seats": 3}]}])
    assert layout == [
        {
            "name": "Stalls",
            "rows": [
                {
                    "label": "A",
                    "seats": 3,
                    "first_number": 1,
                    "category": "standard",
                    "accessible": [],
                    "x": None,
                    "y": None,
                    "pitch": 1,
                }
            ],
        }
    ]


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ({"x": 1}, "x"),
        ({"y": 1}, "x"),
        ({"x": True, "y": 1}, "x"),
        ({"x": "1", "y": 1}, "x"),
        ({"x": 1, "y": 2_000_000}, "x"),
        ({"x": 1, "y": 1, "pitch": 0}, "pitch"),
        ({"x": 1, "y": 1, "pitch": -1}, "pitch"),
    ],
)
def test_a_row_is_placed_with_x_and_y_together_and_a_positive_pitch(extra, path):
    fields = fields_of([{"name": "S", "rows": [{"label": "A", "seats": 2, **extra}]}])
    assert list(fields) == [f"sections[0].rows[0].{path}"]


def test_a_placed_row_puts_its_seats_every_pitch_along_x():
    hall = HallFactory()
    layout_replace(
        hall=hall,
        sections=[{"name": "S", "rows": [{"label": "A", "seats": 3, "x": -2, "y": 4.5, "pitch": 2}]}],
    )
    seats = Seat.objects.filter(section__hall=hall).order_by("number")
    assert [(seat.number, seat.x, seat.y) for seat in seats] == [(1, -2, 4.5), (2, 0, 4.5), (3, 2, 4.5)]


@pytest.mark.parametrize("sections", [None, [], "stalls", {"name": "x"}])
def test_a_layout_needs_a_list_of_sections(sections):
    assert "sections" in fields_of(sections)


def test_duplicate_rows_in_a_section_are_refused():
    fields = fields_of([{"name": "S", "rows": [{"label": "A", "seats": 2}, {"label": "A", "seats": 3}]}])
    assert list(fields) == ["sections[0].rows[1].label"]


def test_the_same_row_label_in_two_sections_is_fine():
    layout = layout_validate(sections=simple_layout(sections=2))
    assert [section["name"] for section in layout] == ["Section 1", "Section 2"]


def test_duplicate_section_names_are_refused():
    fields = fields_of([{"name": "S", "rows": [{"label": "A", "seats": 1}]}] * 2)
    assert list(fields) == ["sections[1].name"]


@pytest.mark.parametrize("rows", [[], None, "A"])
def test_empty_sections_are_refused(rows):
    fields = fields_of([{"name": "S", "rows": rows}])
    assert list(fields) == ["sections[0].rows"]


@pytest.mark.parametrize(
    ("row", "path"),
    [
        ({"label": "A", "seats": "10"}, "seats"),
        ({"label": "A", "seats": 2.5}, "seats"),
        ({"label": "A", "seats": True}, "seats"),
        ({"label": "A", "seats": 0}, "seats"),
        ({"label": "A", "seats": 1001}, "seats"),
        ({"label": 7, "seats": 1}, "label"),
        ({"label": "", "seats": 1}, "label"),
        ({"label": "ABCDEFGHIJK", "seats": 1}, "label"),
        ({"label": "A", "seats": 1, "first_number": 0}, "first_number"),
        ({"label": "A", "seats": 10, "first_number": 9995}, "first_number"),
        ({"label": "A", "seats": 1, "category": ""}, "category"),
        ({"label": "A", "seats": 1, "category": ["vip"]}, "category"),
        ({"label": "A", "seats": 3, "accessible": [4]}, "accessible"),
        ({"label": "A", "seats": 3, "accessible": "1"}, "accessible"),
    ],
)
def test_bad_types_and_ranges_name_the_field(row, path):
    fields = fields_of([{"name": "S", "rows": [row]}])
    assert list(fields) == [f"sections[0].rows[0].{path}"]


def test_bad_section_objects_are_refused():
    fields = fields_of(["S", {"name": "", "rows": [{"label": "A", "seats": 1}]}])
    assert set(fields) == {"sections[0]", "sections[1].name"}


def test_more_than_100000_seats_are_refused(settings):
    # 101 sections × 1 row × 1,000 seats = 101,000 seats
    sections = simple_layout(sections=101, rows=1, seats=1000)
    assert "sections" in fields_of(sections)
    # exactly the limit is fine
    layout_validate(sections=simple_layout(sections=100, rows=1, seats=1000))


def test_every_problem_is_reported_at_once():
    fields = fields_of(
        [
            {"name": "S", "rows": [{"label": "A", "seats": 0}, {"label": "B", "seats": 1}]},
            {"name": "T", "rows": []},
        ]
    )
    assert set(fields) == {"sections[0].rows[0].seats", "sections[1].rows"}


def test_layout_replace_writes_sections_and_seats_in_display_order(monkeypatch):
    # given
    hall = HallFactory()
    sections = [
        {"name": "North", "rows": [{"label": "B", "seats": 2, "first_number": 5, "category": "vip"}]},
        {"name": "South", "rows": [{"label": "A", "seats": 3, "accessible": [2]}]},
    ]
    progress = []
    monkeypatch.setattr("venues.services.SEAT_BATCH", 2)
    # when
    summary = layout_replace(hall=hall, sections=sections, progress=lambda done, total: progress.append(done))
    # then
    assert (summary.sections, summary.seats) == (2, 5)
    assert progress == [2, 4, 5]  # after each batch
    seats = Seat.objects.filter(section__hall=hall).order_by("section__position", "row_index", "number")
    assert [(s.section.name, s.row_label, s.number, s.category, s.accessible) for s in seats] == [
        ("North", "B", 5, "vip", False),
        ("North", "B", 6, "vip", False),
        ("South", "A", 1, "standard", False),
        ("South", "A", 2, "standard", True),
        ("South", "A", 3, "standard", False),
    ]


def test_layout_replace_replaces_the_previous_layout():
    hall = HallFactory()
    layout_replace(hall=hall, sections=simple_layout(sections=3))
    layout_replace(hall=hall, sections=simple_layout(sections=1, rows=1, seats=4))
    assert Section.objects.filter(hall=hall).count() == 1
    assert Seat.objects.filter(section__hall=hall).count() == 4


def test_an_invalid_layout_changes_nothing():
    hall = HallFactory()
    layout_replace(hall=hall, sections=simple_layout())
    with pytest.raises(Invalid):
        layout_replace(hall=hall, sections=[{"name": "X", "rows": []}])
    assert Seat.objects.filter(section__hall=hall).count() == 10


def test_a_layout_used_by_an_event_cannot_change():
    event = on_sale_event()
    with pytest.raises(LayoutInUse) as caught:
        layout_replace(hall=event.hall, sections=simple_layout(rows=1))
    assert (caught.value.code, caught.value.http_status) == ("layout_in_use", 409)
    assert Seat.objects.filter(section__hall=event.hall).count() == 10
