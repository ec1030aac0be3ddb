"""Structured logs: JSON lines, a request id on every line, one line per seat state change."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest
from django.db import transaction

from config.logging import JsonFormatter, RequestIdFilter
from tests.conftest import client_for
from tests.world import World, make_world
from ticketing.services.holds import hold_create


@pytest.fixture
def log_lines():
    """Everything logged from now on, as the production handler writes it (parsed JSON)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_a_client_request_id_is_honoured_and_returned(db, anon_client, log_lines):
    response = anon_client.get("/api/v1/events/", HTTP_X_REQUEST_ID="edge-7f3a.42")
    assert response["X-Request-ID"] == "edge-7f3a.42"
    access = [line for line in log_lines() if line["logger"] == "api.access"]
    assert access and all(line["request_id"] == "edge-7f3a.42" for line in access)


@pytest.mark.parametrize("bad", ["", "has space", "new\nline", "x" * 200, "<script>"])
def test_an_unusable_request_id_is_replaced(db, anon_client, bad):
    response = anon_client.get("/api/v1/events/", HTTP_X_REQUEST_ID=bad)
    generated = response["X-Request-ID"]
    assert generated != bad and len(generated) == 32 and int(generated, 16) >= 0


def test_djangos_own_error_line_carries_the_request_id_too(world: World, log_lines, cut_database):
    client = client_for(world.buyer)
    cut_database()
    response = client.get("/api/v1/bookings/", HTTP_X_REQUEST_ID="req-503")
    assert response.status_code == 503
    lines = log_lines()
    assert any(line["logger"] == "django.request" for line in lines)
    assert {line["request_id"] for line in lines} == {"req-503"}


def test_every_response_has_a_request_id_even_errors(db, anon_client):
    for path in ("/api/v1/events/999999/", "/api/v1/nope/", "/healthz"):
        assert len(anon_client.get(path)["X-Request-ID"]) == 32


def test_every_line_of_a_request_is_json_with_its_request_id(world: World, log_lines):
    # given: a request that logs from several places (access log, seat changes)
    buyer = client_for(world.buyer)
    seat_ids = world.free_seat_ids()[:2]
    # when
    response = buyer.post(
        f"/api/v1/events/{world.event.pk}/holds/",
        {"seat_ids": seat_ids},
        format="json",
        HTTP_X_REQUEST_ID="req-hold-1",
    )
    assert response.status_code == 201
    lines = log_lines()
    # then
    assert lines, "the request logged nothing"
    for line in lines:
        assert {"time", "level", "logger", "message", "request_id", "pid"} <= set(line)
        assert line["request_id"] == "req-hold-1", line


@pytest.mark.django_db(transaction=True)
def test_one_log_line_per_seat_state_change_after_commit(log_lines):
    world = make_world()
    buyer = client_for(world.buyer)
    seat_ids = world.free_seat_ids()[:3]
    start = len(log_lines())
    hold = buyer.post(
        f"/api/v1/events/{world.event.pk}/holds/",
        {"seat_ids": seat_ids},
        format="json",
        HTTP_X_REQUEST_ID="r1",
    ).json()
    buyer.delete(f"/api/v1/holds/{hold['id']}/", HTTP_X_REQUEST_ID="r2")
    changes = [line for line in log_lines()[start:] if line["logger"] == "ticketing.seats"]
    held = [c for c in changes if c["action"] == "hold"]
    released = [c for c in changes if c["action"] == "release"]
    assert sorted(c["event_seat_id"] for c in held) == seat_ids
    assert sorted(c["event_seat_id"] for c in released) == seat_ids
    assert all(c["from_status"] == "available" and c["to_status"] == "held" for c in held)
    assert all(c["to_status"] == "available" and c["hold_id"] == hold["id"] for c in released)
    assert {c["request_id"] for c in held} == {"r1"} and {c["request_id"] for c in released} == {"r2"}
    assert all(c["event_id"] == world.event.pk and c["actor_id"] == world.buyer.pk for c in changes)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_logs_no_seat_line(log_lines):
    world = make_world()
    start = len(log_lines())
    with pytest.raises(RuntimeError), transaction.atomic():
        hold_create(buyer=world.other, event=world.event, seat_ids=world.free_seat_ids()[:2])
        raise RuntimeError("the request failed after the change")
    assert not [line for line in log_lines()[start:] if line["logger"] == "ticketing.seats"]
    # control: the same change, committed, is logged
    hold_create(buyer=world.other, event=world.event, seat_ids=world.free_seat_ids()[:2])
    assert len([line for line in log_lines()[start:] if line["logger"] == "ticketing.seats"]) == 2


def test_exceptions_are_one_json_line():
    formatter = JsonFormatter()
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info())
    line = formatter.format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "failed here" and "ValueError: boom" in parsed["exc"]
