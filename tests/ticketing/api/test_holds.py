"""The holds endpoints (POST /events/{id}/holds/, /holds/): happy paths, permissions, errors."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import assert_error, client_for, holds_url
from tests.factories import on_sale_event
from tests.ticketing.helpers import booked, held, seat_ids, statuses
from ticketing.models import Event, Hold

pytestmark = pytest.mark.django_db


# --- POST /events/{id}/holds/ -----------------------------------------------------------------


def test_hold_created(event, buyer_client):
    ids = [seat_ids(event)[0], seat_ids(event)[5]]
    response = buyer_client.post(holds_url(event), {"seat_ids": ids}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) >= {"id", "event", "seats", "total", "expires_at", "seconds_left"}
    assert body["event"] == event.id and body["total"] == "115.00"
    assert [(s["id"], s["category"], s["price"]) for s in body["seats"]] == [
        (ids[0], "vip", "80.00"),
        (ids[1], "standard", "35.00"),
    ]
    assert {"section", "row", "number"} <= set(body["seats"][0])
    assert 595 <= body["seconds_left"] <= 600
    assert statuses(ids) == ["held", "held"]


def test_hold_needs_a_login(event, anon_client):
    assert_error(
        anon_client.post(holds_url(event), {"seat_ids": [1]}, format="json"), 401, "not_authenticated"
    )


def test_hold_with_a_bad_token_is_token_not_valid(event):
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert_error(client.post(holds_url(event), {"seat_ids": [1]}, format="json"), 401, "token_not_valid")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="missing"),
        pytest.param({"seat_ids": []}, id="empty"),
        pytest.param({"seat_ids": "1"}, id="not-a-list"),
        pytest.param({"seat_ids": ["x"]}, id="not-ints"),
        pytest.param({"seat_ids": list(range(1, 12))}, id="oversized"),
        pytest.param({"seat_ids": [1], "extra": 1}, id="unknown-field"),
    ],
)
def test_hold_with_a_malformed_body_is_invalid(event, buyer_client, body):
    response = buyer_client.post(holds_url(event), body, format="json")
    assert "fields" in assert_error(response, 400, "invalid")


def test_hold_with_a_body_that_is_not_json_is_invalid(event, buyer_client):
    response = buyer_client.post(holds_url(event), "{nope", content_type="application/json")
    assert_error(response, 400, "invalid")


def test_hold_of_duplicate_unknown_or_other_event_seats_is_invalid(event, buyer_client):
    other = on_sale_event()
    first = seat_ids(event, 1)[0]
    for ids in ([first, first], [first, 10**9], [first, seat_ids(other, 1)[0]]):
        body = assert_error(
            buyer_client.post(holds_url(event), {"seat_ids": ids}, format="json"), 400, "invalid"
        )
        assert "seat_ids" in body["fields"]
    assert statuses([first]) == ["available"]


def test_hold_of_taken_seats_is_seats_unavailable_naming_them(event, buyer_client, other_buyer):
    ids = seat_ids(event, 3)
    held(other_buyer, event, ids[:1])
    booked(other_buyer, event, ids[1:2])
    response = buyer_client.post(holds_url(event), {"seat_ids": ids}, format="json")
    body = assert_error(response, 409, "seats_unavailable")
    assert body["seats"] == [{"id": ids[0], "status": "held"}, {"id": ids[1], "status": "booked"}]


def test_hold_over_the_buyer_limit_is_seat_limit_exceeded(buyer_client):
    event = on_sale_event(max_seats_per_buyer=1)
    body = assert_error(
        buyer_client.post(holds_url(event), {"seat_ids": seat_ids(event, 2)}, format="json"),
        409,
        "seat_limit_exceeded",
    )
    assert body["limit"] == 1


def test_hold_on_a_closed_or_started_event_is_event_not_on_sale(buyer_client):
    closed = on_sale_event()
    Event.objects.filter(pk=closed.pk).update(status=Event.Status.CLOSED)
    started = on_sale_event()
    Event.objects.filter(pk=started.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    for event in (closed, started):
        response = buyer_client.post(holds_url(event), {"seat_ids": seat_ids(event, 1)}, format="json")
        assert_error(response, 409, "event_not_on_sale")


def test_hold_on_a_draft_or_unknown_event_is_not_found(buyer_client):
    draft = on_sale_event(status=Event.Status.DRAFT)
    assert_error(
        buyer_client.post(holds_url(draft), {"seat_ids": seat_ids(draft, 1)}, format="json"), 404, "not_found"
    )
    for unknown in (999999, 2**63, 10**30, -1):  # past 2**63 SQLite would overflow
        assert_error(
            buyer_client.post(f"/api/v1/events/{unknown}/holds/", {"seat_ids": [1]}, format="json"),
            404,
            "not_found",
        )


# --- /holds/ ------------------------------------------------------------------------------------


def test_holds_list_shows_my_live_holds_only(event, buyer, buyer_client, other_buyer):
    ids = seat_ids(event, 4)
    mine = held(buyer, event, ids[:1])
    held(other_buyer, event, ids[1:2])
    Hold.objects.filter(pk=held(buyer, event, ids[2:3]).pk).update(
        created_at=timezone.now() - timedelta(hours=2), expires_at=timezone.now() - timedelta(hours=1)
    )
    response = buyer_client.get("/api/v1/holds/")
    assert response.status_code == 200
    assert [h["id"] for h in response.json()["results"]] == [mine.id]


def test_hold_retrieve_and_release(event, buyer, buyer_client, other_buyer):
    ids = seat_ids(event, 2)
    hold = held(buyer, event, ids)
    assert buyer_client.get(f"/api/v1/holds/{hold.id}/").json()["id"] == hold.id
    assert buyer_client.delete(f"/api/v1/holds/{hold.id}/").status_code == 204
    assert statuses(ids) == ["available", "available"]
    # the seats are free at once
    assert client_for(other_buyer).post(holds_url(event), {"seat_ids": ids}, format="json").status_code == 201
    # and releasing again is hold_expired
    assert_error(buyer_client.delete(f"/api/v1/holds/{hold.id}/"), 409, "hold_expired")


def test_another_buyers_hold_is_not_found_for_every_verb(event, buyer, other_client):
    hold = held(buyer, event, seat_ids(event, 1))
    assert_error(other_client.get(f"/api/v1/holds/{hold.id}/"), 404, "not_found")
    assert_error(other_client.delete(f"/api/v1/holds/{hold.id}/"), 404, "not_found")
    assert_error(
        other_client.post("/api/v1/bookings/", {"hold_id": hold.id}, format="json"), 404, "not_found"
    )
    assert other_client.get("/api/v1/holds/").json()["results"] == []
    assert Hold.objects.get(pk=hold.pk).status == Hold.Status.ACTIVE


def test_holds_need_a_login(anon_client):
    assert_error(anon_client.get("/api/v1/holds/"), 401, "not_authenticated")
    assert_error(anon_client.delete("/api/v1/holds/1/"), 401, "not_authenticated")
