"""Throttles hold across gunicorn workers when they share a cache (CACHE_URL=redis).

The burst goes to register with an empty body: throttled before anything else, then a cheap
400 (a login would spend a password hash on each request).

With the default per-process locmem cache, each worker counts on its own and N workers let
N times the rate through: the control shows that this test sees that difference.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.live_server import gunicorn

REDIS_URL = "redis://127.0.0.1:6379/15"
LIMIT = 3
REQUESTS = 12


def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


def burst(url: str) -> list[int]:
    """REQUESTS logins at once, each on its own connection, so that every worker gets some."""

    def register(_: int) -> int:
        return httpx.post(f"{url}/api/v1/auth/register/", json={}, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        return list(pool.map(register, range(REQUESTS)))


def workers_that_answered(log: str) -> set[int]:
    pids = set()
    for line in log.splitlines():
        if line.startswith("{") and '"api.access"' in line and "/api/v1/auth/register/" in line:
            pids.add(json.loads(line)["pid"])
    return pids


def run(cache_url: str) -> tuple[list[int], set[int]]:
    env = {"CACHE_URL": cache_url, "CACHE_KEY_PREFIX": uuid.uuid4().hex, "THROTTLE_REGISTER": f"{LIMIT}/min"}
    with gunicorn(workers=3, env=env) as server:
        statuses = burst(server.url)
        return statuses, workers_that_answered(server.log())


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not redis_available(), reason="needs Redis on 127.0.0.1:6379")
def test_a_shared_cache_enforces_the_rate_across_workers():
    statuses, workers = run(REDIS_URL)
    assert len(workers) >= 2, "the burst should have reached several workers"
    assert statuses.count(400) == LIMIT  # let through (and refused as invalid)
    assert statuses.count(429) == REQUESTS - LIMIT


@pytest.mark.django_db(transaction=True)
def test_control_per_process_counters_multiply_the_rate():
    statuses, workers = run("locmemcache://")
    if len(workers) < 2:
        pytest.skip("the burst reached one worker only; the control cannot show anything")
    assert statuses.count(400) > LIMIT
