"""POST /events/{id}/holds/ with best_available: thin API checks."""

import pytest

from tests.ticketing.helpers import booked, event_with_rows, labels, seat_id

pytestmark = pytest.mark.django_db


def url(event) -> str:
    return f"/api/v1/events/{event.id}/holds/"


def test_best_available_holds_adjacent_seats(buyer_client):
    event = event_with_rows(8, 8)
    response = buyer_client.post(url(event), {"best_available": {"count": 3}}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["adjacent"] is True
    assert labels(seat["id"] for seat in body["seats"]) == ["A3", "A4", "A5"]
    assert body["total"] == "30.00" and body["seconds_left"] > 0


def test_the_answer_is_the_same_as_reading_the_hold_back(buyer_client, other_buyer):
    event = event_with_rows(8, 8)
    body = buyer_client.post(url(event), {"best_available": {"count": 2}}, format="json").json()
    # rendered from what the service attached, not read back
    again = buyer_client.get(f"/api/v1/holds/{body['id']}/").json()
    assert {**again, "seconds_left": body["seconds_left"], "adjacent": True} == body


def test_together_false_answers_adjacent_false(buyer_client, other_buyer):
    event = event_with_rows(4)
    booked(other_buyer, event, [seat_id(event, "A2")])
    response = buyer_client.post(
        url(event), {"best_available": {"count": 3, "together": False}}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["adjacent"] is False


def test_no_block_is_409_no_adjacent_seats(buyer_client, other_buyer):
    event = event_with_rows(4)
    booked(other_buyer, event, [seat_id(event, "A2")])
    response = buyer_client.post(url(event), {"best_available": {"count": 3}}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "no_adjacent_seats"


@pytest.mark.parametrize(
    "body",
    [
        {"best_available": {"count": 2}, "seat_ids": [1]},
        {"best_available": {"count": 0}},
        {"best_available": {"count": 2, "colour": "red"}},
        {"best_available": {"count": 2, "section": "Nowhere"}},
        {"best_available": "two please"},
        {"best_available": {"count": 2}, "extra": 1},
    ],
)
def test_invalid_bodies_are_400_invalid(buyer_client, body):
    event = event_with_rows(4)
    response = buyer_client.post(url(event), body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"


def test_needs_a_buyer(anon_client):
    event = event_with_rows(4)
    response = anon_client.post(url(event), {"best_available": {"count": 2}}, format="json")
    assert response.status_code == 401


def test_idempotency_key_replays_the_same_seats(buyer_client):
    event = event_with_rows(8)
    body = {"best_available": {"count": 2}}
    first = buyer_client.post(url(event), body, format="json", HTTP_IDEMPOTENCY_KEY="ba-1")
    again = buyer_client.post(url(event), body, format="json", HTTP_IDEMPOTENCY_KEY="ba-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
