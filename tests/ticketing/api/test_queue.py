"""The waiting room over HTTP: POST/GET /events/{id}/queue/, the Queue-Pass on holds, the staff
settings in the event API (real Redis, db 7)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import assert_error, client_for, holds_url
from tests.factories import on_sale_event
from tests.ticketing.helpers import seat_ids
from ticketing import waiting_line
from ticketing.models import Event
from ticketing.services.waiting_room import queue_pass_sign

pytestmark = pytest.mark.django_db

SHAPE = {"status", "token", "position", "ahead", "estimated_wait_s", "waiting", "opens_at", "opened"}


def queue_url(event) -> str:
    return f"/api/v1/events/{event.id}/queue/"


@pytest.fixture
def room(queue_redis):
    """On sale, its waiting room opened a minute ago at a high rate: whoever joins is let through."""
    event = on_sale_event()
    Event.objects.filter(pk=event.pk).update(
        waiting_room_opens_at=timezone.now() - timedelta(minutes=1), waiting_room_admit_per_minute=600
    )
    event.refresh_from_db()
    return event


def admitted(client, event) -> dict:
    body = client.post(queue_url(event)).json()
    assert body["status"] == "admitted", body
    return body


def test_join_and_poll(room, buyer_client, anon_client):
    joined = buyer_client.post(queue_url(room))
    assert joined.status_code == 201, joined.json()
    body = joined.json()
    assert SHAPE | {"pass", "pass_expires_at", "poll_after_s", "requeued", "sold_out"} <= set(body)
    assert body["status"] == "admitted" and body["position"] == 0 and body["requeued"] is False
    # the poll needs the token only, no login
    polled = anon_client.get(queue_url(room), HTTP_QUEUE_TOKEN=body["token"])
    assert polled.status_code == 200
    assert polled.json()["pass"] == body["pass"]


def test_a_waiting_buyer_sees_position_ahead_and_wait(queue_redis, buyer, other_buyer):
    event = on_sale_event()
    Event.objects.filter(pk=event.pk).update(
        waiting_room_opens_at=timezone.now() - timedelta(seconds=1), waiting_room_admit_per_minute=1
    )
    client_for(other_buyer).post(queue_url(event))  # first: admitted
    body = client_for(buyer).post(queue_url(event)).json()
    assert body["status"] == "waiting" and "pass" not in body
    assert (body["position"], body["ahead"]) == (1, 0)
    assert 55 <= body["estimated_wait_s"] <= 60


def test_the_poll_reads_no_database(room, buyer_client, anon_client, django_assert_num_queries):
    token = buyer_client.post(queue_url(room)).json()["token"]  # the first visit mirrored the event
    with django_assert_num_queries(0):
        response = anon_client.get(queue_url(room), HTTP_QUEUE_TOKEN=token)
    assert response.status_code == 200


def test_joining_reads_no_database_once_mirrored(room, buyer, other_buyer, django_assert_num_queries):
    client_for(other_buyer).post(queue_url(room))  # mirrors the event's settings
    client = client_for(buyer)
    with django_assert_num_queries(0):  # the buyer comes from the access token's claims
        response = client.post(queue_url(room))
    assert response.status_code == 201


def test_join_needs_a_login_and_a_waiting_room(room, anon_client, buyer_client, event):
    assert_error(anon_client.post(queue_url(room)), 401, "not_authenticated")
    assert_error(buyer_client.post(queue_url(event)), 404, "not_found")  # no waiting room
    assert_error(buyer_client.post("/api/v1/events/999999/queue/"), 404, "not_found")


def test_poll_refuses_a_missing_forged_or_foreign_token(room, buyer_client, anon_client, queue_redis):
    token = buyer_client.post(queue_url(room)).json()["token"]
    other = on_sale_event()
    assert_error(anon_client.get(queue_url(room)), 400, "invalid")
    assert_error(anon_client.get(queue_url(room), HTTP_QUEUE_TOKEN=token[:-1] + "x"), 400, "invalid")
    assert_error(anon_client.get(queue_url(other), HTTP_QUEUE_TOKEN=token), 400, "invalid")


def test_a_restart_requeues_with_the_notice(queue_redis, buyer, other_buyer, anon_client):
    event = on_sale_event()
    Event.objects.filter(pk=event.pk).update(
        waiting_room_opens_at=timezone.now() - timedelta(seconds=1), waiting_room_admit_per_minute=1
    )
    first = client_for(other_buyer).post(queue_url(event)).json()
    waiting = client_for(buyer).post(queue_url(event)).json()
    assert waiting["status"] == "waiting"
    queue_redis.flushdb()  # Redis restarted, the line is gone
    body = anon_client.get(queue_url(event), HTTP_QUEUE_TOKEN=waiting["token"]).json()
    assert body["requeued"] is True and body["token"] != waiting["token"]
    # the admitted buyer's pass still opens the seat map
    response = client_for(other_buyer).post(
        holds_url(event), {"seat_ids": seat_ids(event)[:1]}, format="json", HTTP_QUEUE_PASS=first["pass"]
    )
    assert response.status_code == 201, response.json()


# --- holds on an event with a waiting room ----------------------------------------------------


def test_a_hold_needs_the_buyers_pass(room, buyer, other_buyer):
    client, other = client_for(buyer), client_for(other_buyer)
    mine = admitted(client, room)["pass"]
    body = {"seat_ids": seat_ids(room)[:1]}
    assert_error(client.post(holds_url(room), body, format="json"), 403, "queue_pass_required")
    # another buyer cannot use it
    assert_error(
        other.post(holds_url(room), body, format="json", HTTP_QUEUE_PASS=mine), 403, "queue_pass_invalid"
    )
    response = client.post(holds_url(room), body, format="json", HTTP_QUEUE_PASS=mine)
    assert response.status_code == 201, response.json()


def test_best_available_needs_the_pass_too(room, buyer_client):
    body = {"best_available": {"count": 2}}
    assert_error(buyer_client.post(holds_url(room), body, format="json"), 403, "queue_pass_required")
    queue_pass = admitted(buyer_client, room)["pass"]
    response = buyer_client.post(holds_url(room), body, format="json", HTTP_QUEUE_PASS=queue_pass)
    assert response.status_code == 201, response.json()


def test_expired_forged_and_foreign_event_passes_are_invalid(room, buyer, queue_redis):
    client, body = client_for(buyer), {"seat_ids": seat_ids(room)[:1]}
    other_room = on_sale_event()
    Event.objects.filter(pk=other_room.pk).update(
        waiting_room_opens_at=timezone.now() - timedelta(minutes=1), waiting_room_admit_per_minute=600
    )
    theirs = admitted(client, other_room)["pass"]
    expired = queue_pass_sign(
        event_id=room.pk, buyer_id=buyer.pk, expires=int(timezone.now().timestamp()) - 1
    )
    good = admitted(client, room)["pass"]
    forged = queue_pass_sign(event_id=room.pk, buyer_id=buyer.pk, expires=10**10).rsplit(".", 1)[0] + ".x"
    for value in (theirs, expired, forged, good + "x", "nonsense"):
        response = client.post(holds_url(room), body, format="json", HTTP_QUEUE_PASS=value)
        assert_error(response, 403, "queue_pass_invalid")


def test_an_event_without_a_waiting_room_is_unaffected(event, buyer_client):
    response = buyer_client.post(holds_url(event), {"seat_ids": seat_ids(event)[:1]}, format="json")
    assert response.status_code == 201


# --- staff settings ------------------------------------------------------------------------


def test_staff_set_show_and_remove_a_waiting_room(queue_redis, staff_client, event, anon_client):
    opens = (timezone.now() + timedelta(hours=2)).replace(microsecond=0)
    room = {"opens_at": opens.isoformat(), "admit_per_minute": 120}
    response = staff_client.patch(f"/api/v1/events/{event.pk}/", {"waiting_room": room}, format="json")
    assert response.status_code == 200, response.json()
    shown = anon_client.get(f"/api/v1/events/{event.pk}/").json()["waiting_room"]
    assert shown["admit_per_minute"] == 120
    assert shown["opens_at"].replace("Z", "+00:00") == opens.isoformat()
    response = staff_client.patch(f"/api/v1/events/{event.pk}/", {"waiting_room": None}, format="json")
    assert response.status_code == 200 and response.json()["waiting_room"] is None


def test_staff_create_an_event_with_a_waiting_room(queue_redis, staff_client, event):
    body = {
        "kind": "show",
        "title": "Queued",
        "hall": event.hall_id,
        "starts_at": (timezone.now() + timedelta(days=3)).isoformat(),
        "waiting_room": {"opens_at": timezone.now().isoformat(), "admit_per_minute": 30},
    }
    response = staff_client.post("/api/v1/events/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["waiting_room"]["admit_per_minute"] == 30


@pytest.mark.parametrize(
    "room",
    [
        {"opens_at": "2031-01-01T10:00:00Z"},
        {"opens_at": "2031-01-01T10:00:00Z", "admit_per_minute": 0},
        {"opens_at": "2031-01-01T10:00:00Z", "admit_per_minute": 100_001},
        {"opens_at": "tomorrow", "admit_per_minute": 10},
        {"opens_at": "2031-01-01T10:00:00Z", "admit_per_minute": 10, "extra": 1},
        "soon",
    ],
)
def test_staff_settings_are_validated(queue_redis, staff_client, event, room):
    response = staff_client.patch(f"/api/v1/events/{event.pk}/", {"waiting_room": room}, format="json")
    assert_error(response, 400, "invalid")


def test_without_redis_a_waiting_room_is_refused_with_the_reason(staff_client, event, settings):
    settings.TICKETING_QUEUE_REDIS_URL = ""
    room = {"opens_at": timezone.now().isoformat(), "admit_per_minute": 10}
    body = assert_error(
        staff_client.patch(f"/api/v1/events/{event.pk}/", {"waiting_room": room}, format="json"),
        400,
        "invalid",
    )
    assert "Redis" in body["fields"]["waiting_room"][0]


def test_a_staff_save_mirrors_the_settings(
    queue_redis, staff_client, event, django_capture_on_commit_callbacks
):
    room = {"opens_at": timezone.now().isoformat(), "admit_per_minute": 42}
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.patch(f"/api/v1/events/{event.pk}/", {"waiting_room": room}, format="json")
    assert queue_redis.hget(waiting_line.key(event.pk, "cfg"), "rate") == b"42"
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.patch(f"/api/v1/events/{event.pk}/", {"waiting_room": None}, format="json")
    assert queue_redis.hget(waiting_line.key(event.pk, "cfg"), "none") == b"1"
    assert not waiting_line.lines_length(now=timezone.now().timestamp())


def test_the_metrics_show_the_line(room, buyer_client, client):
    buyer_client.post(queue_url(room))
    text = client.get("/metrics").content.decode()
    assert f'ticketing_queue_in_line{{event="{room.pk}"}} 1.0' in text
    assert f'ticketing_queue_waiting{{event="{room.pk}"}} 0.0' in text
    assert f'ticketing_queue_admissions_total{{event="{room.pk}"}}' in text


def test_joining_the_waiting_list_needs_the_pass_too(room, buyer, other_buyer):
    # given: two admitted buyers (at the highest rate, both at once); the room's event sold out
    # (its seats held by one of them)
    Event.objects.filter(pk=room.pk).update(waiting_room_admit_per_minute=Event.ADMIT_PER_MINUTE_MAX)
    other, client = client_for(other_buyer), client_for(buyer)
    theirs, mine = admitted(other, room)["pass"], admitted(client, room)["pass"]
    every = {"seat_ids": seat_ids(room)}
    assert other.post(holds_url(room), every, format="json", HTTP_QUEUE_PASS=theirs).status_code == 201
    url = f"/api/v1/events/{room.pk}/waitlist/"
    # then: without a pass, or with another buyer's, nobody joins its waiting list
    assert_error(client.post(url, {"count": 1}, format="json"), 403, "queue_pass_required")
    response = client.post(url, {"count": 1}, format="json", HTTP_QUEUE_PASS=theirs)
    assert_error(response, 403, "queue_pass_invalid")
    # with their own pass, they do
    response = client.post(url, {"count": 1}, format="json", HTTP_QUEUE_PASS=mine)
    assert response.status_code == 201, response.json()
