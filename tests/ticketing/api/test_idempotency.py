"""Idempotency-Key on hold, book and cancel: a retry gets the first answer and changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import client_for
from tests.ticketing.helpers import booked, held, seat_ids, statuses
from ticketing.models import Booking, Hold, IdempotencyKey, SeatAudit
from ticketing.services.idempotency import idempotency_keys_purge

pytestmark = pytest.mark.django_db


def post(client, url, body=None, key="key-1"):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_repeated_hold_replays_the_first_answer_and_changes_nothing(event, buyer_client):
    url = f"/api/v1/events/{event.id}/holds/"
    body = {"seat_ids": seat_ids(event, 2)}
    first = post(buyer_client, url, body)
    audit = SeatAudit.objects.count()
    again = post(buyer_client, url, body)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Hold.objects.count() == 1 and SeatAudit.objects.count() == audit


def test_the_same_key_with_another_body_is_idempotency_key_reused(event, buyer_client):
    url = f"/api/v1/events/{event.id}/holds/"
    post(buyer_client, url, {"seat_ids": seat_ids(event, 1)})
    response = post(buyer_client, url, {"seat_ids": seat_ids(event, 1, offset=1)})
    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"
    assert Hold.objects.count() == 1 and statuses(seat_ids(event, 1, offset=1)) == ["available"]


def test_the_same_key_on_another_endpoint_is_idempotency_key_reused(event, buyer, buyer_client):
    hold = held(buyer, event, seat_ids(event, 1))
    post(buyer_client, "/api/v1/bookings/", {"hold_id": hold.id}, key="k")
    response = post(
        buyer_client, f"/api/v1/events/{event.id}/holds/", {"seat_ids": seat_ids(event, 1, offset=1)}, key="k"
    )
    assert response.status_code == 422


def test_keys_are_per_user(event, buyer_client, other_client):
    url = f"/api/v1/events/{event.id}/holds/"
    assert post(buyer_client, url, {"seat_ids": seat_ids(event, 1)}).status_code == 201
    assert post(other_client, url, {"seat_ids": seat_ids(event, 1, offset=1)}).status_code == 201


def test_a_stored_409_is_replayed_even_once_the_seats_are_free(event, buyer_client, other_buyer):
    ids = seat_ids(event, 1)
    hold = held(other_buyer, event, ids)
    url = f"/api/v1/events/{event.id}/holds/"
    first = post(buyer_client, url, {"seat_ids": ids})
    client_for(other_buyer).delete(f"/api/v1/holds/{hold.id}/")
    again = post(buyer_client, url, {"seat_ids": ids})
    assert first.status_code == again.status_code == 409
    assert again.json() == first.json() and again.json()["code"] == "seats_unavailable"
    assert statuses(ids) == ["available"]


def test_a_repeated_booking_replays_and_books_once(event, buyer, buyer_client):
    hold = held(buyer, event, seat_ids(event, 2))
    first = post(buyer_client, "/api/v1/bookings/", {"hold_id": hold.id})
    again = post(buyer_client, "/api/v1/bookings/", {"hold_id": hold.id})
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert Booking.objects.count() == 1


def test_a_repeated_cancel_replays_the_200(event, buyer, buyer_client):
    booking = booked(buyer, event, seat_ids(event, 1))
    first = post(buyer_client, f"/api/v1/bookings/{booking.id}/cancel/")
    again = post(buyer_client, f"/api/v1/bookings/{booking.id}/cancel/")
    assert first.status_code == again.status_code == 200 and again.json() == first.json()
    # without the key, a second cancel is already_cancelled
    assert buyer_client.post(f"/api/v1/bookings/{booking.id}/cancel/").json()["code"] == "already_cancelled"


@pytest.mark.parametrize("key", ["", "   ", "x" * 256])
def test_a_bad_key_is_invalid(event, buyer_client, key):
    response = post(
        buyer_client, f"/api/v1/events/{event.id}/holds/", {"seat_ids": seat_ids(event, 1)}, key=key
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert not Hold.objects.exists()


def test_a_key_older_than_the_ttl_runs_again(event, buyer_client, settings):
    url = f"/api/v1/events/{event.id}/holds/"
    post(buyer_client, url, {"seat_ids": seat_ids(event, 1)})
    IdempotencyKey.objects.update(
        created_at=timezone.now() - timedelta(hours=settings.TICKETING_IDEMPOTENCY_TTL_HOURS, seconds=1)
    )
    response = post(buyer_client, url, {"seat_ids": seat_ids(event, 1, offset=1)})
    assert response.status_code == 201 and Hold.objects.count() == 2
    again = post(buyer_client, url, {"seat_ids": seat_ids(event, 1, offset=1)})  # the new answer is kept
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == response.json()
    assert IdempotencyKey.objects.get().created_at > timezone.now() - timedelta(minutes=1)


def test_purge_deletes_only_keys_older_than_the_ttl(event, buyer_client, settings):
    url = f"/api/v1/events/{event.id}/holds/"
    post(buyer_client, url, {"seat_ids": seat_ids(event, 1)}, key="old")
    post(buyer_client, url, {"seat_ids": seat_ids(event, 1, offset=1)}, key="new")
    now = timezone.now()
    IdempotencyKey.objects.filter(key="old").update(
        created_at=now - timedelta(hours=settings.TICKETING_IDEMPOTENCY_TTL_HOURS, seconds=1)
    )
    assert idempotency_keys_purge(now=now, batch_size=1) == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_a_key_with_control_characters_is_invalid_not_a_500(event, buyer, buyer_client):
    url = f"/api/v1/events/{event.id}/holds/"
    response = post(buyer_client, url, {"seat_ids": seat_ids(event, 1)}, key="a\x00b")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    hold = held(buyer, event, seat_ids(event, 1, offset=1))
    response = post(buyer_client, "/api/v1/bookings/", {"hold_id": hold.id}, key="a\x00b")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_the_fingerprint_never_raises_on_what_orjson_refuses():
    # the parse step keeps such bodies out; should one get through, the key must not 500
    from types import SimpleNamespace

    from ticketing.api.idempotency import request_fingerprint

    def request(data):
        return SimpleNamespace(method="POST", path="/api/v1/bookings/", data=data)

    huge, surrogate = request({"hold_id": 2**64}), request({"note": "\ud800"})
    assert request_fingerprint(huge) == request_fingerprint(request({"hold_id": 2**64}))
    assert request_fingerprint(huge) != request_fingerprint(request({"hold_id": 2**64 + 1}))
    assert len(request_fingerprint(surrogate)) == 64
