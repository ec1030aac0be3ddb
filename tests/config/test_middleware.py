"""Abuse limits: body size, malformed and unknown input, absurd values, seat limits."""

from __future__ import annotations

import json

import pytest

from tests.conftest import client_for
from tests.world import World
from ticketing.models import EventSeat


def holds_url(world: World) -> str:
    return f"/api/v1/events/{world.event.pk}/holds/"


def assert_invalid(response, field: str | None = None) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    if field is not None:
        assert field in body["fields"], body
    return body


# --- body size ---------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_json_before_it_is_read(world: World, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    payload = json.dumps({"seat_ids": list(range(1, 400))})
    assert len(payload) > 1000
    response = client_for(world.buyer).post(holds_url(world), payload, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "payload_too_large"
    assert not EventSeat.objects.filter(hold__buyer=world.buyer).exclude(hold=world.hold).exists()


def test_the_default_limit_is_two_megabytes(world: World):
    payload = '{"seat_ids": [' + "1," * (1024 * 1024) + "1]}"
    response = client_for(world.buyer).post(holds_url(world), payload, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_a_body_just_under_the_limit_is_parsed(world: World, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(world.buyer).post(holds_url(world), {"seat_ids": [999999]}, format="json")
    assert_invalid(response, "seat_ids")  # got through to validation: an unknown seat


def test_a_bad_content_length_is_400_json(world: World):
    response = client_for(world.buyer).post(
        holds_url(world), "{}", content_type="application/json", CONTENT_LENGTH="abc"
    )
    assert_invalid(response)


# --- malformed and unknown input ---------------------------------------------------------------


def test_malformed_json_is_invalid(world: World):
    response = client_for(world.buyer).post(holds_url(world), "{not json", content_type="application/json")
    assert_invalid(response)


def test_a_body_that_is_not_json_is_415_json(world: World):
    response = client_for(world.buyer).post(holds_url(world), "seat_ids=1", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    ("method", "path", "body", "role"),
    [
        (
            "post",
            "/api/v1/auth/register/",
            {"username": "u1", "email": "u1@x.org", "password": "pw-Longer-9876"},
            None,
        ),
        ("post", "/api/v1/auth/token/", {"username": "u", "password": "p"}, None),
        ("post", "/api/v1/auth/token/refresh/", {"refresh": "r"}, None),
        ("post", "/api/v1/auth/logout/", {"refresh": "r"}, "buyer"),
        ("post", "HOLDS", {"seat_ids": [1]}, "buyer"),
        ("post", "/api/v1/bookings/", {"hold_id": 1}, "buyer"),
        ("post", "/api/v1/venues/", {"name": "V", "kind": "arena", "city": "C"}, "staff"),
        (
            "post",
            "/api/v1/events/",
            {"kind": "show", "title": "T", "hall": "HALL", "starts_at": "2030-01-01T00:00Z"},
            "staff",
        ),
    ],
)
def test_unknown_fields_are_refused(world: World, method, path, body, role):
    client = client_for(getattr(world, role)) if role else client_for()
    path = holds_url(world) if path == "HOLDS" else path
    body = {name: world.event.hall_id if value == "HALL" else value for name, value in body.items()}
    response = getattr(client, method)(path, {**body, "is_staff": True}, format="json")
    assert_invalid(response, "is_staff")


@pytest.mark.parametrize(
    "body",
    [
        {"seat_ids": []},
        {"seat_ids": "1,2"},
        {"seat_ids": [True]},
        {"seat_ids": [1.5]},
        {"seat_ids": [-1]},
        {"seat_ids": [0]},
        {"seat_ids": [2**63]},
        {"seat_ids": [10**30]},
        {"seat_ids": [None]},
        {"seat_ids": [[1]]},
        [1, 2],
        "seats",
        None,
    ],
    ids=repr,
)
def test_absurd_seat_ids_are_invalid(world: World, body):
    response = client_for(world.buyer).post(
        holds_url(world), json.dumps(body), content_type="application/json"
    )
    assert_invalid(response)


@pytest.mark.parametrize(
    "patch",
    [
        {"starts_at": "not a date"},
        {"starts_at": "99999-01-01T00:00:00Z"},
        {"hold_seconds": 10**9},
        {"hold_seconds": -5},
        {"max_seats_per_buyer": 0},
        {"prices": {"vip": "-1"}},
        {"prices": {"vip": "1e400"}},
        {"prices": {"vip": "NaN"}},
        {"prices": {"no-such-category": "10"}},
        {"title": "x" * 10_000},
        {"title": "nul\x00byte"},
        {"status": "sold_out"},
    ],
    ids=repr,
)
def test_absurd_event_values_are_invalid(world: World, patch):
    response = client_for(world.staff).patch(f"/api/v1/events/{world.event.pk}/", patch, format="json")
    assert_invalid(response)


@pytest.mark.parametrize("query", ["page_size=abc", "page_size=-1", "page_size=0", "starts_after=yesterday"])
def test_absurd_query_values_are_invalid(world: World, query):
    assert_invalid(client_for().get(f"/api/v1/events/?{query}"))


def test_a_huge_page_size_is_capped(world: World):
    response = client_for().get("/api/v1/events/?page_size=1000000000")
    assert response.status_code == 200


@pytest.mark.parametrize("key", ["", " ", "k" * 256])
def test_a_bad_idempotency_key_is_invalid(world: World, key):
    response = client_for(world.buyer).post(
        holds_url(world), {"seat_ids": world.free_seat_ids()[:1]}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert_invalid(response)


# --- seat limits -------------------------------------------------------------------------------


def test_more_seats_than_a_hold_may_take_is_invalid(world: World, settings):
    settings.TICKETING_MAX_SEATS_PER_HOLD = 3
    response = client_for(world.other).post(
        holds_url(world), {"seat_ids": world.free_seat_ids()[:4]}, format="json"
    )
    assert_invalid(response, "seat_ids")


def test_a_buyer_over_the_per_event_limit_gets_409_with_the_limit(world: World):
    # given: the event allows 5 seats per buyer; the buyer holds 2 and has booked 2
    world.event.max_seats_per_buyer = 5
    world.event.save(update_fields=["max_seats_per_buyer"])
    buyer = client_for(world.buyer)
    free = world.free_seat_ids()
    # when: 2 more seats (would be 6)
    response = buyer.post(holds_url(world), {"seat_ids": free[:2]}, format="json")
    # then
    assert response.status_code == 409
    assert response.json()["code"] == "seat_limit_exceeded"
    assert response.json()["limit"] == 5
    # one more is fine, and then the buyer is at the limit
    assert buyer.post(holds_url(world), {"seat_ids": free[:1]}, format="json").status_code == 201
    assert buyer.post(holds_url(world), {"seat_ids": free[1:2]}, format="json").status_code == 409


def test_a_released_hold_gives_its_seats_back_to_the_buyer_limit(world: World):
    world.event.max_seats_per_buyer = 4
    world.event.save(update_fields=["max_seats_per_buyer"])
    buyer = client_for(world.buyer)
    free = world.free_seat_ids()
    assert buyer.post(holds_url(world), {"seat_ids": free[:1]}, format="json").status_code == 409
    assert buyer.delete(f"/api/v1/holds/{world.hold.pk}/").status_code == 204
    assert buyer.post(holds_url(world), {"seat_ids": free[:2]}, format="json").status_code == 201
