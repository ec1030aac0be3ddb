"""Scoped throttling on login, register, hold and book: 429 `throttled` with Retry-After.

config/settings_test.py raises every rate so that other tests never meet a limit; each test
here sets its own low rate (the throttle reads the rates on every request).
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.conftest import client_for
from tests.world import World


@pytest.fixture
def rates(settings):
    """Set throttle rates for one test: ``rates(login="3/min")``; counters start from zero."""
    cache.clear()

    def set_rates(**scoped: str) -> None:
        current = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**current, **scoped},
        }

    yield set_rates
    cache.clear()


def assert_throttled(response) -> None:
    assert response.status_code == 429, response.content
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) >= 1


def test_login_is_throttled_per_client_address(rates, world: World, anon_client):
    rates(login="3/min")
    body = {"username": world.buyer.username, "password": "wrong"}
    answers = [anon_client.post("/api/v1/auth/token/", body, format="json").status_code for _ in range(3)]
    assert answers == [401, 401, 401]
    assert_throttled(anon_client.post("/api/v1/auth/token/", body, format="json"))
    # the right password does not jump the queue either
    good = {"username": world.buyer.username, "password": "buyer-pass-123"}
    assert_throttled(anon_client.post("/api/v1/auth/token/", good, format="json"))


def test_a_forged_x_forwarded_for_does_not_buy_a_fresh_bucket(rates, world: World, anon_client):
    rates(login="2/min")
    body = {"username": world.buyer.username, "password": "wrong"}
    statuses = [
        anon_client.post(
            "/api/v1/auth/token/", body, format="json", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"
        ).status_code
        for n in range(5)
    ]
    assert statuses == [401, 401, 429, 429, 429]


def test_token_refresh_shares_the_login_budget(rates, world: World, anon_client):
    rates(login="1/min")
    anon_client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json")
    assert_throttled(anon_client.post("/api/v1/auth/token/refresh/", {"refresh": "x"}, format="json"))


def test_register_is_throttled(rates, anon_client, db):
    rates(register="2/hour")
    for n in range(2):
        body = {"username": f"new{n}", "email": f"new{n}@example.com", "password": "pw-Longer-9876"}
        assert anon_client.post("/api/v1/auth/register/", body, format="json").status_code == 201
    body = {"username": "new9", "email": "new9@example.com", "password": "pw-Longer-9876"}
    response = anon_client.post("/api/v1/auth/register/", body, format="json")
    assert_throttled(response)
    assert int(response["Retry-After"]) > 60  # an hourly rate asks for a long wait


def test_hold_is_throttled_per_buyer(rates, world: World):
    rates(hold="2/min")
    buyer, other = client_for(world.buyer), client_for(world.other)
    url = f"/api/v1/events/{world.event.pk}/holds/"
    free = world.free_seat_ids()
    assert buyer.post(url, {"seat_ids": [free[0]]}, format="json").status_code == 201
    assert buyer.post(url, {"seat_ids": [free[1]]}, format="json").status_code == 201
    assert_throttled(buyer.post(url, {"seat_ids": [free[2]]}, format="json"))
    # another buyer has a budget of their own
    assert other.post(url, {"seat_ids": [free[2]]}, format="json").status_code == 201


def test_book_and_cancel_are_throttled(rates, world: World):
    rates(book="1/min")
    buyer = client_for(world.buyer)
    assert buyer.post("/api/v1/bookings/", {"hold_id": world.hold.pk}, format="json").status_code == 201
    assert_throttled(buyer.post("/api/v1/bookings/", {"hold_id": world.hold.pk}, format="json"))
    assert_throttled(buyer.post(f"/api/v1/bookings/{world.booking.pk}/cancel/"))


def test_reads_are_not_throttled(rates, world: World):
    rates(login="1/min", hold="1/min", book="1/min")
    buyer = client_for(world.buyer)
    for _ in range(5):
        assert buyer.get(f"/api/v1/events/{world.event.pk}/seats/").status_code == 200
        assert buyer.get("/api/v1/bookings/").status_code == 200


def test_an_unreachable_throttle_cache_lets_requests_through(rates, world: World, anon_client, monkeypatch):
    rates(login="1/min")

    def down(*args, **kwargs):
        raise ConnectionError("cache is down")

    for method in ("get", "set", "add", "incr"):
        monkeypatch.setattr(cache, method, down)
    body = {"username": world.buyer.username, "password": "buyer-pass-123"}
    for _ in range(3):
        assert anon_client.post("/api/v1/auth/token/", body, format="json").status_code == 200


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")
def test_on_redis_a_check_is_one_round_trip_and_the_limit_holds(rates, settings, world: World, monkeypatch):
    import uuid

    from redis.client import Pipeline, Redis

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": uuid.uuid4().hex,
        }
    }
    rates(hold="3/min")
    trips = []
    execute = Pipeline.execute
    monkeypatch.setattr(
        Pipeline, "execute", lambda self, *a, **k: trips.append(len(self)) or execute(self, *a, **k)
    )
    single = Redis.execute_command
    commands = []
    monkeypatch.setattr(
        Redis, "execute_command", lambda self, *a, **k: commands.append(a[0]) or single(self, *a, **k)
    )
    client = client_for(world.buyer)
    url = f"/api/v1/events/{world.event.id}/holds/"
    seat = world.free_seat_ids()[0]
    answers = [client.post(url, {"seat_ids": [seat]}, format="json") for _ in range(4)]
    assert [a.status_code != 429 for a in answers] == [True, True, True, False]
    assert_throttled(answers[-1])
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60
    assert trips == [2, 2, 2, 2]  # one pipeline (INCR, EXPIRE NX) a request
    assert commands == ["TTL"]  # and no other command but the refusal's time left
