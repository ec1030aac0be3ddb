"""Venues, halls and layouts through the API: thin tests of status, code and shape."""

import pytest

from tests.factories import HallFactory, VenueFactory, hall_with_layout, on_sale_event, simple_layout
from venues.models import Hall, Seat, Venue

pytestmark = pytest.mark.django_db


# --- The permission matrix of every write endpoint -------------------------------------------

WRITES = [
    # (method, path, body), each a function of the ids of fresh rows (see the ``ids`` fixture)
    ("post", lambda ids: "/api/v1/venues/", lambda ids: {"name": "Arena", "kind": "arena", "city": "Nantes"}),
    ("patch", lambda ids: f"/api/v1/venues/{ids['venue']}/", lambda ids: {"city": "Rennes"}),
    ("delete", lambda ids: f"/api/v1/venues/{ids['empty_venue']}/", lambda ids: None),
    ("post", lambda ids: "/api/v1/halls/", lambda ids: {"venue": ids["venue"], "name": "Screen 9"}),
    ("patch", lambda ids: f"/api/v1/halls/{ids['hall']}/", lambda ids: {"name": "Renamed"}),
    ("delete", lambda ids: f"/api/v1/halls/{ids['hall']}/", lambda ids: None),
    ("put", lambda ids: f"/api/v1/halls/{ids['hall']}/layout/", lambda ids: {"sections": simple_layout()}),
]
WRITE_IDS = [
    "create venue",
    "update venue",
    "delete venue",
    "create hall",
    "update hall",
    "delete hall",
    "layout",
]


@pytest.fixture
def ids():
    hall = HallFactory()
    return {"venue": hall.venue_id, "hall": hall.pk, "empty_venue": VenueFactory().pk}


def call(client, method, path, body):
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, body, format="json")


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=WRITE_IDS)
def test_anonymous_writers_get_401(anon_client, ids, method, path, body):
    response = call(anon_client, method, path(ids), body(ids))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=WRITE_IDS)
def test_buyers_get_403(buyer_client, ids, method, path, body):
    response = call(buyer_client, method, path(ids), body(ids))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=WRITE_IDS)
def test_staff_may_write(staff_client, ids, method, path, body):
    response = call(staff_client, method, path(ids), body(ids))
    assert 200 <= response.status_code < 300, response.content


# --- Venues ----------------------------------------------------------------------------------


def test_anyone_lists_venues(anon_client):
    VenueFactory(name="B"), VenueFactory(name="A")
    response = anon_client.get("/api/v1/venues/")
    assert response.status_code == 200
    assert [venue["name"] for venue in response.json()["results"]] == ["A", "B"]
    assert set(response.json()) == {"count", "next", "previous", "results"}


def test_staff_create_a_venue(staff_client):
    response = staff_client.post(
        "/api/v1/venues/", {"name": " Arena ", "kind": "arena", "city": "Lyon"}, format="json"
    )
    assert response.status_code == 201
    assert response.json() == {
        "id": response.json()["id"],
        "name": "Arena",
        "kind": "arena",
        "city": "Lyon",
        "address": "",
        "time_zone": "UTC",  # the default until staff say where the venue is
    }


def test_staff_create_a_venue_in_its_time_zone(staff_client):
    body = {"name": "Arena", "kind": "arena", "city": "Montréal", "time_zone": "America/Toronto"}
    response = staff_client.post("/api/v1/venues/", body, format="json")
    assert response.status_code == 201
    assert response.json()["time_zone"] == "America/Toronto"
    assert Venue.objects.get().time_zone == "America/Toronto"


@pytest.mark.parametrize("method", ["post", "patch"])
def test_an_unknown_time_zone_is_invalid(staff_client, method):
    venue = VenueFactory(time_zone="Europe/Paris")
    path = "/api/v1/venues/" if method == "post" else f"/api/v1/venues/{venue.pk}/"
    body = {"name": "Arena", "kind": "arena", "city": "Lyon", "time_zone": "Europe/Lyon"}
    response = getattr(staff_client, method)(path, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "Europe/Lyon" in response.json()["fields"]["time_zone"][0]
    venue.refresh_from_db()
    assert venue.time_zone == "Europe/Paris" and Venue.objects.count() == 1


def test_a_duplicate_venue_name_is_invalid(staff_client):
    VenueFactory(name="Arena")
    response = staff_client.post(
        "/api/v1/venues/", {"name": "arena", "kind": "arena", "city": "X"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "name" in response.json()["fields"]


def test_an_unknown_venue_kind_is_invalid(staff_client):
    response = staff_client.post(
        "/api/v1/venues/", {"name": "Barn", "kind": "barn", "city": "X"}, format="json"
    )
    assert response.status_code == 400
    assert "kind" in response.json()["fields"]


def test_staff_update_a_venue(staff_client):
    venue = VenueFactory()
    response = staff_client.patch(f"/api/v1/venues/{venue.pk}/", {"city": "Nice"}, format="json")
    assert response.json()["city"] == "Nice"
    venue.refresh_from_db()
    assert venue.city == "Nice"


def test_a_venue_with_halls_cannot_be_deleted(staff_client):
    hall = HallFactory()
    response = staff_client.delete(f"/api/v1/venues/{hall.venue_id}/")
    assert response.status_code == 409
    assert response.json()["code"] == "venue_in_use"
    assert Venue.objects.filter(pk=hall.venue_id).exists()


def test_deleting_a_venue_without_halls(staff_client):
    venue = VenueFactory()
    assert staff_client.delete(f"/api/v1/venues/{venue.pk}/").status_code == 204
    assert not Venue.objects.filter(pk=venue.pk).exists()


# --- Halls -----------------------------------------------------------------------------------


def test_halls_list_with_seat_counts_and_a_venue_filter(anon_client):
    hall = hall_with_layout(sections=2)
    HallFactory()
    response = anon_client.get(f"/api/v1/halls/?venue={hall.venue_id}")
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": hall.pk,
            "venue": hall.venue_id,
            "venue_name": hall.venue.name,
            "name": hall.name,
            "seat_count": 20,
        }
    ]


@pytest.mark.parametrize("venue", ["abc", str(10**30)])  # past 2**63 SQLite would overflow
def test_a_bad_venue_filter_is_invalid(anon_client, venue):
    response = anon_client.get(f"/api/v1/halls/?venue={venue}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_staff_create_a_hall(staff_client):
    venue = VenueFactory()
    response = staff_client.post("/api/v1/halls/", {"venue": venue.pk, "name": "Screen 1"}, format="json")
    assert response.status_code == 201
    assert response.json()["seat_count"] == 0
    again = staff_client.post("/api/v1/halls/", {"venue": venue.pk, "name": "screen 1"}, format="json")
    assert again.status_code == 400
    assert "name" in again.json()["fields"]


def test_a_hall_of_an_unknown_venue_is_invalid(staff_client):
    response = staff_client.post("/api/v1/halls/", {"venue": 999999, "name": "X"}, format="json")
    assert response.status_code == 400
    assert "venue" in response.json()["fields"]


def test_put_on_a_hall_itself_is_not_allowed(staff_client):
    hall = HallFactory()
    response = staff_client.put(
        f"/api/v1/halls/{hall.pk}/", {"name": "X", "venue": hall.venue_id}, format="json"
    )
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_a_hall_used_by_an_event_cannot_be_deleted(staff_client):
    event = on_sale_event()
    response = staff_client.delete(f"/api/v1/halls/{event.hall_id}/")
    assert response.status_code == 409
    assert response.json()["code"] == "hall_in_use"


def test_deleting_a_hall_deletes_its_layout(staff_client):
    hall = hall_with_layout()
    assert staff_client.delete(f"/api/v1/halls/{hall.pk}/").status_code == 204
    assert not Hall.objects.filter(pk=hall.pk).exists()
    assert not Seat.objects.filter(section__hall_id=hall.pk).exists()


# --- Layouts ---------------------------------------------------------------------------------


def test_put_layout_answers_the_counts_and_get_returns_it(staff_client, anon_client):
    hall = HallFactory()
    layout = [{"name": "Stalls", "rows": [{"label": "A", "seats": 2, "category": "vip", "accessible": [2]}]}]
    put = staff_client.put(f"/api/v1/halls/{hall.pk}/layout/", {"sections": layout}, format="json")
    assert put.status_code == 200
    assert put.json() == {"sections": 1, "seats": 2}
    got = anon_client.get(f"/api/v1/halls/{hall.pk}/layout/").json()
    assert got["hall"] == hall.pk
    [section] = got["sections"]
    assert section["name"] == "Stalls"
    assert [
        (row["label"], [(s["number"], s["category"], s["accessible"]) for s in row["seats"]])
        for row in section["rows"]
    ] == [("A", [(1, "vip", False), (2, "vip", True)])]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"sections": [{"name": "S", "rows": [{"label": "A", "seats": 1}, {"label": "A", "seats": 1}]}]},
            "sections[0].rows[1].label",
        ),
        ({"sections": [{"name": "S", "rows": []}]}, "sections[0].rows"),
        ({"sections": simple_layout(sections=101, rows=1, seats=1000)}, "sections"),
        (
            {"sections": [{"name": "S", "rows": [{"label": "A", "seats": "ten"}]}]},
            "sections[0].rows[0].seats",
        ),
        ({"sections": "all of them"}, "sections"),
        ({}, "sections"),
        ([1, 2], "sections"),
    ],
    ids=[
        "duplicate-row",
        "empty-section",
        "too-many-seats",
        "bad-type",
        "not-a-list",
        "missing",
        "not-an-object",
    ],
)
def test_invalid_layouts_are_400_with_fields(staff_client, body, field):
    hall = HallFactory()
    response = staff_client.put(f"/api/v1/halls/{hall.pk}/layout/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    assert not Seat.objects.filter(section__hall=hall).exists()


def test_a_layout_in_use_is_409(staff_client):
    event = on_sale_event()
    response = staff_client.put(
        f"/api/v1/halls/{event.hall_id}/layout/", {"sections": simple_layout(rows=1)}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "layout_in_use"


def test_layout_of_an_unknown_hall_is_404(anon_client):
    response = anon_client.get("/api/v1/halls/999999/layout/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
