"""The events API: catalogue with filters and availability, staff writes, permissions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import client_for
from tests.factories import (
    HallFactory,
    StaffFactory,
    UserFactory,
    VenueFactory,
    hall_with_layout,
    on_sale_event,
    simple_layout,
)
from ticketing.models import Event, EventSeat
from ticketing.services.events import event_create
from ticketing.services.holds import hold_create
from ticketing.services.inventory import seats_block
from venues.services import layout_replace

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    return [event["id"] for event in response.json()["results"]]


def draft_show(hall=None, **fields):
    return event_create(
        kind=Event.Kind.SHOW,
        title=fields.pop("title", "Draft show"),
        hall=hall or hall_with_layout(),
        starts_at=fields.pop("starts_at", timezone.now() + timedelta(days=2)),
        **fields,
    )


# --- The permission matrix of every event write endpoint ---------------------------------------


def event_writes(event, seat_id):
    return [
        (
            "post",
            "/api/v1/events/",
            {"kind": "show", "title": "New", "hall": event.hall_id, "starts_at": "2031-01-01T20:00:00Z"},
        ),
        ("patch", f"/api/v1/events/{event.pk}/", {"title": "Renamed"}),
        ("post", f"/api/v1/events/{event.pk}/seats/block/", {"seat_ids": [seat_id], "reason": "camera"}),
        ("post", f"/api/v1/events/{event.pk}/seats/unblock/", {"seat_ids": [seat_id]}),
    ]


@pytest.mark.parametrize("index", range(4), ids=["create", "update", "block", "unblock"])
@pytest.mark.parametrize(
    ("who", "status", "code"),
    [("anonymous", 401, "not_authenticated"), ("buyer", 403, "permission_denied"), ("staff", 200, None)],
)
def test_event_writes_permission_matrix(event, index, who, status, code):
    seat_id = EventSeat.objects.filter(event=event).order_by("id").values_list("id", flat=True)[0]
    method, path, body = event_writes(event, seat_id)[index]
    user = {"anonymous": None, "buyer": UserFactory(), "staff": StaffFactory()}[who]
    response = getattr(client_for(user), method)(path, body, format="json")
    if who == "staff":
        assert response.status_code in (200, 201), response.json()
    else:
        assert (response.status_code, response.json()["code"]) == (status, code)


# --- Catalogue -------------------------------------------------------------------------------


def test_an_event_has_the_contract_fields(anon_client, event):
    body = anon_client.get(f"/api/v1/events/{event.pk}/").json()
    assert {"id", "kind", "title", "home_team", "away_team", "hall", "starts_at", "status"} <= set(body)
    assert body["prices"] == {"standard": "35.00", "vip": "80.00"}
    assert body["availability"] == {"available": 10, "held": 0, "booked": 0, "blocked": 0}
    assert body["venue"] == event.hall.venue_id


def test_an_event_says_its_venues_time_zone(anon_client):
    # given: an event at a venue in Paris, and one at a venue nobody gave a zone
    paris = HallFactory(venue=VenueFactory(time_zone="Europe/Paris"))
    layout_replace(hall=paris, sections=simple_layout())
    event, elsewhere = on_sale_event(hall=paris), on_sale_event()
    # when / then: detail and list carry it, read-only, next to the venue's name and kind
    body = anon_client.get(f"/api/v1/events/{event.pk}/").json()
    assert body["venue_time_zone"] == "Europe/Paris"
    listed = {
        item["id"]: item["venue_time_zone"] for item in anon_client.get("/api/v1/events/").json()["results"]
    }
    assert listed == {event.pk: "Europe/Paris", elsewhere.pk: "UTC"}


def test_availability_counts_effective_states(anon_client, event, buyer, staff):
    seat_ids = list(EventSeat.objects.filter(event=event).order_by("id").values_list("id", flat=True))
    hold_create(buyer=buyer, event=event, seat_ids=seat_ids[:2])
    seats_block(event=event, seat_ids=seat_ids[2:5], actor=staff)
    # an expired hold counts as available
    hold_create(buyer=staff, event=event, seat_ids=seat_ids[5:6], now=timezone.now() - timedelta(hours=1))
    body = anon_client.get(f"/api/v1/events/{event.pk}/").json()
    assert body["availability"] == {"available": 5, "held": 2, "booked": 0, "blocked": 3}


def test_staff_see_drafts_and_others_do_not(anon_client, buyer_client, staff_client, event):
    draft = draft_show()
    assert ids(anon_client.get("/api/v1/events/")) == [event.pk]
    assert ids(buyer_client.get("/api/v1/events/")) == [event.pk]
    assert set(ids(staff_client.get("/api/v1/events/"))) == {event.pk, draft.pk}
    assert anon_client.get(f"/api/v1/events/{draft.pk}/").status_code == 404
    assert buyer_client.get(f"/api/v1/events/{draft.pk}/").json()["code"] == "not_found"
    assert staff_client.get(f"/api/v1/events/{draft.pk}/").status_code == 200


def test_list_filters(anon_client):
    # given
    now = timezone.now()
    stadium = hall_with_layout()
    cinema_venue = VenueFactory(kind="cinema")
    cinema = HallFactory(venue=cinema_venue)
    layout_replace(hall=cinema, sections=simple_layout())
    match = on_sale_event(hall=stadium, starts_in=timedelta(days=1))
    show = on_sale_event(hall=cinema, kind="show", title="Film", starts_in=timedelta(days=5))
    closed = on_sale_event(hall=cinema, kind="show", title="Old film", starts_in=timedelta(days=9))
    closed.status = Event.Status.CLOSED
    closed.save()

    def listed(query):
        response = anon_client.get(f"/api/v1/events/?{query}")
        assert response.status_code == 200, response.json()
        return set(ids(response))

    # then
    assert listed("kind=match") == {match.pk}
    assert listed("kind=show") == {show.pk, closed.pk}
    assert listed("status=closed") == {closed.pk}
    assert listed(f"venue={cinema_venue.pk}") == {show.pk, closed.pk}
    after = (now + timedelta(days=3)).isoformat().replace("+00:00", "Z")
    before = (now + timedelta(days=7)).isoformat().replace("+00:00", "Z")
    assert listed(f"starts_after={after}") == {show.pk, closed.pk}
    assert listed(f"starts_before={before}") == {match.pk, show.pk}
    assert listed(f"starts_after={after}&starts_before={before}&kind=show") == {show.pk}


@pytest.mark.parametrize(
    "query", ["kind=concert", "status=sold", "venue=abc", f"venue={10**30}", "starts_after=tomorrow"]
)
def test_bad_filters_are_invalid(anon_client, query):
    response = anon_client.get(f"/api/v1/events/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert query.split("=")[0] in response.json()["fields"]


def test_the_list_is_paginated(anon_client):
    hall = hall_with_layout(rows=1, seats=1)
    for _ in range(3):
        on_sale_event(hall=hall, prices={"vip": 1})
    body = anon_client.get("/api/v1/events/?page_size=2").json()
    assert (body["count"], len(body["results"])) == (3, 2)
    assert body["next"] and body["previous"] is None


def _events(count: int) -> None:
    hall = hall_with_layout(rows=1, seats=3)
    for _ in range(count):
        on_sale_event(hall=hall, prices={"vip": 1})


@pytest.mark.parametrize("count", [1, 5])
def test_the_event_list_runs_a_constant_number_of_queries(anon_client, django_assert_num_queries, count):
    _events(count)
    # count, events with hall and venue, prices, ticket types, availability
    with django_assert_num_queries(5):
        response = anon_client.get("/api/v1/events/")
    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("seats", [3, 300])
def test_event_detail_runs_a_constant_number_of_queries(anon_client, django_assert_num_queries, seats):
    event = on_sale_event(hall=hall_with_layout(rows=1, seats=seats), prices={"vip": 1})
    # event with hall and venue, prices, ticket types, availability
    with django_assert_num_queries(4):
        anon_client.get(f"/api/v1/events/{event.pk}/")


# --- Staff writes ----------------------------------------------------------------------------


def test_staff_create_an_event_with_its_inventory(staff_client):
    hall = hall_with_layout(sections=2)
    response = staff_client.post(
        "/api/v1/events/",
        {
            "kind": "match",
            "home_team": "Lyon",
            "away_team": "Tours",
            "hall": hall.pk,
            "starts_at": "2031-05-01T18:00:00Z",
            "prices": {"vip": "50.00", "standard": "20"},
            "status": "on_sale",
            "max_seats_per_buyer": 4,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "on_sale"
    assert body["prices"] == {"standard": "20.00", "vip": "50.00"}
    assert body["availability"]["available"] == 20
    assert EventSeat.objects.filter(event_id=body["id"]).count() == 20


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "match", "home_team": "Lyon"}, "away_team"),
        ({"kind": "show", "title": "X", "status": "on_sale", "prices": {"vip": 1}}, "prices"),
        ({"kind": "show", "title": "X", "prices": {"balcony": 1}}, "prices"),
        ({"kind": "show", "title": "X", "prices": {"vip": -1}}, "prices"),
        ({"kind": "show", "title": "X", "status": "closed"}, "status"),
        ({"kind": "show", "title": "X", "colour": "red"}, "colour"),
        ({"kind": "show", "title": "X", "hold_seconds": 1}, "hold_seconds"),
    ],
)
def test_invalid_event_creation_is_400_with_fields(staff_client, body, field):
    hall = hall_with_layout()
    response = staff_client.post(
        "/api/v1/events/", {"hall": hall.pk, "starts_at": "2031-05-01T18:00:00Z", **body}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    assert not Event.objects.exists()


def test_staff_update_prices_and_open_sales(staff_client):
    event = draft_show(prices={"vip": 10})
    refused = staff_client.patch(f"/api/v1/events/{event.pk}/", {"status": "on_sale"}, format="json")
    assert refused.status_code == 400
    assert "prices" in refused.json()["fields"]
    response = staff_client.patch(
        f"/api/v1/events/{event.pk}/", {"prices": {"standard": "12.50"}, "status": "on_sale"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "on_sale"
    assert response.json()["prices"] == {"standard": "12.50", "vip": "10.00"}


def test_an_impossible_transition_is_400(staff_client, event):
    response = staff_client.patch(f"/api/v1/events/{event.pk}/", {"status": "draft"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()["fields"]


def test_put_on_an_event_is_not_allowed(staff_client, event):
    response = staff_client.put(f"/api/v1/events/{event.pk}/", {}, format="json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
