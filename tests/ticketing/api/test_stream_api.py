"""GET /events/{id}/seats/stream/ (SPEC §8): 204 without a GRIP proxy, the GRIP hold behind one,
and, end to end through a real Pushpin, a committed hold reaching a subscriber."""

from __future__ import annotations

import queue
import threading
import time

import httpx
import jwt
import orjson
import pytest
from django.utils import timezone

from tests.factories import UserFactory, on_sale_event
from tests.pushpin import SIG_KEY, pushpin, requires_pushpin
from tests.ticketing.helpers import held, seat_ids
from ticketing.selectors.seat_map import seat_map_state
from ticketing.services.stream import stream_run
from ticketing.stream_proxy import grip_pusher

E = "/api/v1/events/"


def grip_sig(key: str = SIG_KEY, *, expires_in: int = 60) -> str:
    return jwt.encode({"iss": "pushpin", "exp": int(time.time()) + expires_in}, key, algorithm="HS256")


@pytest.fixture
def grip(settings):
    settings.GRIP_URL = f"http://127.0.0.1:5611?key={SIG_KEY}"


@pytest.mark.django_db
def test_without_a_grip_proxy_the_stream_is_204_and_the_client_polls(anon_client):
    event = on_sale_event()
    response = anon_client.get(f"{E}{event.pk}/seats/stream/", HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 204
    assert "Grip-Hold" not in response


@pytest.mark.django_db
def test_a_request_with_a_forged_or_expired_grip_sig_is_not_held(anon_client, grip):
    event = on_sale_event()
    for sig in (grip_sig("not-the-key"), grip_sig(expires_in=-10)):
        response = anon_client.get(f"{E}{event.pk}/seats/stream/", HTTP_GRIP_SIG=sig)
        assert response.status_code == 204


@pytest.mark.django_db
def test_behind_the_proxy_the_stream_is_held_on_the_events_channel(anon_client, grip):
    event = on_sale_event()
    response = anon_client.get(f"{E}{event.pk}/seats/stream/", HTTP_GRIP_SIG=grip_sig())
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Grip-Hold"] == "stream"
    assert response["Grip-Channel"] == f"seats-{event.pk}"
    body = response.content.decode()
    assert body.startswith("retry: 3000\n\nid: 0\nevent: seats\ndata: ")
    data = orjson.loads(body.split("data: ", 1)[1])
    assert data == {"seq": 0, "etag": anon_client.get(f"{E}{event.pk}/seats/")["ETag"], "changes": []}


@pytest.mark.django_db
def test_an_unknown_or_draft_event_has_no_stream(anon_client, grip):
    assert anon_client.get(f"{E}999999/seats/stream/", HTTP_GRIP_SIG=grip_sig()).status_code == 404
    draft = on_sale_event(status="draft")
    assert anon_client.get(f"{E}{draft.pk}/seats/stream/", HTTP_GRIP_SIG=grip_sig()).status_code == 404


def read_messages(response, into: queue.Queue) -> None:
    """SSE messages of ``response`` as dicts {"id", "event", "data"}, put on ``into``."""
    message: dict = {}
    try:
        for line in response.iter_lines():
            if not line:
                if "data" in message:
                    into.put(message)
                message = {}
            elif not line.startswith(":") and ": " in line:
                field, value = line.split(": ", 1)
                message[field] = value
    except httpx.HTTPError:
        pass


@requires_pushpin
@pytest.mark.django_db(transaction=True)
def test_through_pushpin_a_committed_hold_reaches_a_subscriber_within_a_second(live_server, settings):
    event, buyer = on_sale_event(), UserFactory()
    origin = "127.0.0.1:" + live_server.url.rsplit(":", 1)[1]
    with pushpin(origin) as proxy:
        settings.GRIP_URL = proxy.grip_url
        pusher = grip_pusher()
        stream_run(pusher=pusher, me="t")
        stream_run(pusher=pusher, me="t")
        got: queue.Queue = queue.Queue()
        with httpx.Client(timeout=httpx.Timeout(10, read=30)) as client:
            url = f"{proxy.url}{E}{event.pk}/seats/stream/"
            for _ in range(3):  # a Pushpin just started may answer 500 while its parts connect
                with client.stream("GET", url) as probe:
                    if probe.status_code == 200:
                        break
                time.sleep(1)
            with client.stream("GET", url, headers={"Accept": "text/event-stream"}) as response:
                assert response.status_code == 200, proxy.log()
                assert response.headers["content-type"].startswith("text/event-stream")
                reader = threading.Thread(target=read_messages, args=(response, got), daemon=True)
                reader.start()
                opening = got.get(timeout=5)
                assert (opening["id"], opening["event"]) == ("0", "seats")
                time.sleep(1.0)  # Pushpin subscribes the connection to its channel meanwhile
                ids = seat_ids(event, 2)
                held(buyer, event, ids)
                committed = time.monotonic()
                stream_run(pusher=pusher, me="t")
                message = got.get(timeout=5)
                delay = time.monotonic() - committed
                response.close()
        pusher.close()
    assert (message["id"], message["event"]) == ("1", "seats")
    data = orjson.loads(message["data"])
    assert data["changes"] == [{"id": i, "status": "held"} for i in ids]
    assert data["etag"] == seat_map_state(event=event, user_id=None, now=timezone.now()).etag
    assert delay < 2.0  # SPEC §8's 1 s, with room for a loaded CI box (the benchmark measures it)
