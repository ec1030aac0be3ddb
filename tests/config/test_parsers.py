"""Hostile input found from outside: each defect of the second black-box probe, as a request.

Every case answers a 4xx JSON envelope ``{"code", "detail"}``: never a 500, never a field said
missing when it was sent, never a Python repr where a sentence belongs.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import assert_error, client_for
from tests.world import World
from ticketing.models import Hold

DEEP = "[" * 1000 + "]" * 1000
TOO_BIG = 2**64


def post_raw(client, path: str, body: str, **headers):
    return client.post(path, body, content_type="application/json", **headers)


# --- 1. deeply nested JSON ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/auth/token/", "/api/v1/auth/register/"])
def test_deeply_nested_json_is_invalid_for_anyone(db, path):
    response = post_raw(client_for(), path, DEEP)
    body = assert_error(response, 400, "invalid")
    assert "nested" in body["detail"]


def test_deeply_nested_json_is_invalid_on_holds_and_bookings(world: World):
    client = client_for(world.buyer)
    assert_error(post_raw(client, f"/api/v1/events/{world.event.pk}/holds/", DEEP), 400, "invalid")
    assert_error(post_raw(client, "/api/v1/bookings/", DEEP), 400, "invalid")


def test_nesting_at_the_limit_is_parsed(world: World, settings):
    # a body nested exactly as deep as allowed reaches validation (and is refused there)
    depth = settings.API_JSON_MAX_DEPTH
    body = '{"seat_ids": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"
    response = post_raw(client_for(world.buyer), f"/api/v1/events/{world.event.pk}/holds/", body)
    assert_error(response, 400, "invalid")
    assert "seat_ids" in response.json()["fields"]


# --- 2. odd bodies under an Idempotency-Key ----------------------------------------------------


@pytest.mark.parametrize("key", [None, "probe-key-1"])
@pytest.mark.parametrize(
    ("target", "body"),
    [
        ("hold", f'{{"seat_ids": [{TOO_BIG}]}}'),
        ("hold", f'{{"seat_ids": [{2**63}]}}'),
        ("hold", f'{{"seat_ids": [-{2**63 + 1}]}}'),
        ("book", f'{{"hold_id": {TOO_BIG}}}'),
        ("cancel", '{"note": "\\ud800"}'),
        ("cancel", f'{{"note": {2**70}}}'),
        ("cancel", '{"note": "\\udfff tail"}'),
    ],
)
def test_odd_bodies_are_400_with_and_without_an_idempotency_key(world: World, target, body, key):
    paths = {
        "hold": f"/api/v1/events/{world.event.pk}/holds/",
        "book": "/api/v1/bookings/",
        "cancel": f"/api/v1/bookings/{world.booking.pk}/cancel/",
    }
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    response = post_raw(client_for(world.buyer), paths[target], body, **headers)
    assert_error(response, 400, "invalid")
    world.booking.refresh_from_db()
    assert world.booking.status == "confirmed"


def test_the_largest_storable_integer_is_an_unknown_seat_not_an_overflow(world: World):
    body = f'{{"seat_ids": [{2**63 - 1}]}}'
    headers = {"HTTP_IDEMPOTENCY_KEY": "max-int"}
    response = post_raw(client_for(world.buyer), f"/api/v1/events/{world.event.pk}/holds/", body, **headers)
    assert_error(response, 400, "invalid")
    assert "seat_ids" in response.json()["fields"]


def test_non_finite_numbers_are_invalid(world: World):
    for literal in ("NaN", "Infinity", "-Infinity", "1e400"):
        response = post_raw(
            client_for(world.buyer), f"/api/v1/events/{world.event.pk}/holds/", f'{{"seat_ids": [{literal}]}}'
        )
        assert_error(response, 400, "invalid")


# --- 6. an expired hold says it is expired -----------------------------------------------------


def test_an_expired_hold_reads_as_expired(world: World):
    Hold.objects.filter(pk=world.hold.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1), created_at=timezone.now() - timedelta(minutes=11)
    )
    client = client_for(world.buyer)
    detail = client.get(f"/api/v1/holds/{world.hold.pk}/").json()
    assert detail["status"] == "expired"
    assert detail["seconds_left"] == 0
    assert world.hold.pk not in [hold["id"] for hold in client.get("/api/v1/holds/").json()["results"]]


def test_a_live_hold_reads_as_active(world: World):
    detail = client_for(world.buyer).get(f"/api/v1/holds/{world.hold.pk}/").json()
    assert detail["status"] == "active"
    assert detail["seconds_left"] > 0


# --- 7. auth errors are sentences --------------------------------------------------------------


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer  ", "Bearer \t"])
def test_a_malformed_authorization_header_is_a_sentence(db, header):
    response = client_for().get("/api/v1/auth/me/", HTTP_AUTHORIZATION=header)
    body = assert_error(response, 401, "not_authenticated")
    assert "ErrorDetail" not in body["detail"] and "{" not in body["detail"]


def test_the_token_of_a_deleted_user_is_a_sentence(db):
    from tests.factories import UserFactory

    user = UserFactory()
    client = client_for(user)
    user.delete()
    response = client.get("/api/v1/auth/me/")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] in {"not_authenticated", "token_not_valid"}
    assert "ErrorDetail" not in body["detail"] and "{" not in body["detail"]


# --- 8. chunked bodies -------------------------------------------------------------------------


def test_a_chunked_body_is_411_json_not_a_missing_field(world: World):
    response = post_raw(
        client_for(world.buyer),
        f"/api/v1/events/{world.event.pk}/holds/",
        '{"seat_ids": [1]}',
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert_error(response, 411, "length_required")


# --- found by the long fuzzing profile: a choice field quoting a JSON object ---------------------


@pytest.mark.parametrize("value", [{"": None}, [1, 2], {"a": [1]}])
def test_a_choice_given_an_object_is_refused_in_a_sentence(world: World, value):
    response = client_for(world.staff).patch(
        f"/api/v1/venues/{world.spare_venue_id}/", {"kind": value}, format="json"
    )
    body = assert_error(response, 400, "invalid")
    assert "{'" not in body["detail"] and "[" not in body["detail"], body
    assert body["detail"].startswith("kind: Must be one of:")
