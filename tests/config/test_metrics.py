"""GET /metrics: the request histogram, holds and bookings by outcome, the sweeper and outbox lag,
for the operators' addresses only."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from prometheus_client import REGISTRY

from tests.factories import on_sale_event
from ticketing.models import EventSeat
from ticketing.services.holds import hold_create

pytestmark = pytest.mark.django_db


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def metrics(client, address: str = "127.0.0.1", **headers):
    return client.get("/metrics", REMOTE_ADDR=address, headers=headers)


def test_holds_are_counted_by_outcome_and_requests_timed_by_route(buyer_client, other_buyer, event):
    # given: one seat another buyer holds, one free
    taken, free = EventSeat.objects.filter(event=event).order_by("id").values_list("id", flat=True)[:2]
    hold_create(buyer=other_buyer, event=event, seat_ids=[taken])
    created = sample("ticketing_holds_total", outcome="created")
    refused = sample("ticketing_holds_total", outcome="seats_unavailable")
    timed = sample("http_request_duration_seconds_count", route="event-holds", method="POST", status="409")
    # when
    url = f"/api/v1/events/{event.pk}/holds/"
    assert buyer_client.post(url, {"seat_ids": [taken]}, format="json").status_code == 409
    assert buyer_client.post(url, {"seat_ids": [free]}, format="json").status_code == 201
    # then
    assert sample("ticketing_holds_total", outcome="created") == created + 1
    assert sample("ticketing_holds_total", outcome="seats_unavailable") == refused + 1
    assert sample(
        "http_request_duration_seconds_count", route="event-holds", method="POST", status="409"
    ) == (timed + 1)
    # ...and the page says so, in the Prometheus text format
    response = metrics(buyer_client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    assert 'ticketing_holds_total{outcome="seats_unavailable"}' in text
    assert (
        'http_request_duration_seconds_bucket{le="0.1",method="POST",route="event-holds",status="201"}'
        in text
    )


def test_the_sweeper_lag_and_the_outbox_backlog_are_read_at_scrape_time(anon_client, buyer, event):
    # given: a hold that expired 30 s ago and is still marked active (the sweeper has not run)
    seat = EventSeat.objects.filter(event=event).values_list("id", flat=True).first()
    hold = hold_create(buyer=buyer, event=event, seat_ids=[seat], now=timezone.now() - timedelta(minutes=10))
    lag = (timezone.now() - hold.expires_at).total_seconds()
    # when
    text = metrics(anon_client).content.decode()
    # then
    line = next(line for line in text.splitlines() if line.startswith("ticketing_sweeper_lag_seconds "))
    assert float(line.split()[1]) == pytest.approx(lag, abs=5)
    assert "ticketing_outbox_backlog 0.0" in text


@pytest.mark.django_db(transaction=True)  # the publisher reads committed changes only
def test_the_stream_publishers_figures_are_read_at_scrape_time(anon_client, buyer, event):
    # given: a publisher that ran and made a message the proxy has not taken (none configured)
    from ticketing.services.stream import stream_run

    stream_run(pusher=None, me="m")
    stream_run(pusher=None, me="m")
    seat = EventSeat.objects.filter(event=event).values_list("id", flat=True).first()
    hold_create(buyer=buyer, event=event, seat_ids=[seat])
    stream_run(pusher=None, me="m")
    # when
    text = metrics(anon_client).content.decode()
    # then
    values = {
        line.split()[0]: float(line.split()[1])
        for line in text.splitlines()
        if line.startswith("ticketing_stream")
    }
    assert values["ticketing_stream_unpublished_messages"] == 1
    assert 0 <= values["ticketing_stream_unpublished_oldest_seconds"] < 30
    assert 0 <= values["ticketing_stream_publisher_idle_seconds"] < 30


def test_another_address_is_told_nothing(anon_client):
    assert metrics(anon_client, "203.0.113.9").status_code == 404


def test_behind_a_proxy_the_client_is_the_address_it_forwarded(anon_client):
    # given: one proxy in front (NUM_PROXIES=1), on loopback, forwarding an outside client
    with override_settings(REST_FRAMEWORK={"NUM_PROXIES": 1}):
        refused = metrics(anon_client, "127.0.0.1", **{"X-Forwarded-For": "203.0.113.9"})
        allowed = metrics(anon_client, "127.0.0.1", **{"X-Forwarded-For": "127.0.0.1"})
    # then
    assert refused.status_code == 404
    assert allowed.status_code == 200


@override_settings(METRICS_ALLOWED_CIDRS=["10.0.0.0/8"])
def test_the_operators_network_is_set_by_cidr(anon_client):
    assert metrics(anon_client, "10.20.30.40").status_code == 200
    assert metrics(anon_client, "127.0.0.1").status_code == 404


def test_bookings_are_counted_by_outcome(buyer_client):
    event = on_sale_event()
    expired = sample("ticketing_bookings_total", outcome="not_found")
    assert buyer_client.post("/api/v1/bookings/", {"hold_id": 999_999}, format="json").status_code == 404
    assert sample("ticketing_bookings_total", outcome="not_found") == expired + 1
    assert event  # the event exists, the hold does not


def test_sentry_is_off_without_a_dsn_and_on_with_one():
    import os
    import subprocess
    import sys

    import sentry_sdk

    assert not sentry_sdk.get_client().is_active()
    code = (
        "import django, sentry_sdk; django.setup(); c = sentry_sdk.get_client();"
        "print(c.is_active(), c.options['send_default_pii'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "SENTRY_DSN": "https://public@127.0.0.1:9/1",  # never contacted: nothing is raised
    }
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "False"]
