"""The seat map's summary: per section, its counts, what is left by category, and from what price."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import HallFactory, hall_with_layout, on_sale_event
from ticketing.models import EventSeat
from ticketing.services.holds import hold_create
from ticketing.services.inventory import seats_block
from venues.services import layout_replace

pytestmark = pytest.mark.django_db


def summary(client, event, **headers):
    return client.get(f"/api/v1/events/{event.pk}/seats/summary/", headers=headers)


def seat_ids(event, section: str, category: str) -> list[int]:
    seats = EventSeat.objects.filter(event=event, seat__section__name=section, seat__category=category)
    return list(seats.order_by("id").values_list("id", flat=True))


@pytest.fixture
def two_sections():
    """Two sections of 2 rows × 5 seats: row A vip (80.00), row B standard (35.00)."""
    return on_sale_event(hall=hall_with_layout(sections=2))


def test_a_fresh_event_has_everything_left_from_its_lowest_price(anon_client, two_sections):
    response = summary(anon_client, two_sections)
    assert response.status_code == 200
    body = response.json()
    assert body["event"] == two_sections.pk
    first = body["sections"][0]
    assert first == {
        "id": first["id"],
        "name": "Section 1",
        "total": 10,
        "available": 10,
        "held": 0,
        "booked": 0,
        "blocked": 0,
        "left": {"vip": 5, "standard": 5},
        "accessible_left": 0,
        "accessible_total": 0,
        "from_price": "35.00",
        "box": None,
    }
    assert [section["name"] for section in body["sections"]] == ["Section 1", "Section 2"]


def test_holds_blocks_and_expiries_move_the_counts_and_the_lowest_price(
    anon_client, buyer_client, buyer, other_buyer, staff, two_sections
):
    # given: every standard seat of section 1 taken (3 held, 1 held long ago, 1 blocked)
    standard = seat_ids(two_sections, "Section 1", "standard")
    hold_create(buyer=buyer, event=two_sections, seat_ids=standard[:3])
    hold_create(
        buyer=other_buyer, event=two_sections, seat_ids=standard[3:4], now=timezone.now() - timedelta(hours=1)
    )
    seats_block(event=two_sections, seat_ids=standard[4:], actor=staff)
    # when
    first, second = summary(anon_client, two_sections).json()["sections"]
    # then: the expired hold's seat is available again; only vip is left, so from 80.00
    assert (first["available"], first["held"], first["blocked"], first["booked"]) == (6, 3, 1, 0)
    assert first["left"] == {"vip": 5, "standard": 1}
    assert first["from_price"] == "35.00"
    assert second["available"] == 10
    # and the buyer's own hold does not change what the buyer is told
    assert summary(buyer_client, two_sections).json()["sections"][0] == first
    # when the last standard seat goes too
    hold_create(buyer=other_buyer, event=two_sections, seat_ids=standard[3:4])
    first = summary(anon_client, two_sections).json()["sections"][0]
    assert first["left"] == {"vip": 5, "standard": 0}
    assert first["from_price"] == "80.00"


def test_a_sold_out_section_has_no_price(anon_client, staff, two_sections):
    section = seat_ids(two_sections, "Section 2", "vip") + seat_ids(two_sections, "Section 2", "standard")
    seats_block(event=two_sections, seat_ids=section, actor=staff)
    second = summary(anon_client, two_sections).json()["sections"][1]
    assert (second["available"], second["from_price"]) == (0, None)


def test_an_unchanged_summary_is_a_304_and_a_change_gives_a_new_etag(anon_client, buyer, two_sections):
    first = summary(anon_client, two_sections)
    etag = first["ETag"]
    assert etag.startswith('"summary-')
    assert summary(anon_client, two_sections, **{"If-None-Match": etag}).status_code == 304
    hold_create(buyer=buyer, event=two_sections, seat_ids=seat_ids(two_sections, "Section 2", "vip")[:1])
    changed = summary(anon_client, two_sections, **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["sections"][1]["held"] == 1


def test_the_summary_of_an_unknown_event_is_a_404(anon_client):
    assert summary(anon_client, type("E", (), {"pk": 999_999})).status_code == 404


def test_a_placed_layout_gives_each_seat_its_x_y_and_each_section_its_box(anon_client):
    # given: a hall whose rows the layout places on the plan (row B is two seats further right)
    hall = HallFactory()
    layout_replace(
        hall=hall,
        sections=[
            {
                "name": "Stalls",
                "rows": [
                    {"label": "A", "seats": 3, "category": "vip", "x": 10, "y": 5, "pitch": 1.5},
                    {"label": "B", "seats": 3, "x": 13, "y": 7},
                ],
            }
        ],
    )
    event = on_sale_event(hall=hall)
    # when
    seats = anon_client.get(f"/api/v1/events/{event.pk}/seats/").json()["seats"]
    section = summary(anon_client, event).json()["sections"][0]
    # then
    assert [(seat["row"], seat["x"], seat["y"]) for seat in seats] == [
        ("A", 10, 5),
        ("A", 11.5, 5),
        ("A", 13, 5),
        ("B", 13, 7),
        ("B", 14, 7),
        ("B", 15, 7),
    ]
    assert section["box"] == [10, 5, 15, 7]
