"""Scoped rate limits (login, register, hold, book) that never take the sale down.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (env: THROTTLE_*), read on every
request so that a settings override applies at once. Counters live in the default cache: locmem
per process for the demo, a shared Redis (``CACHE_URL=redis://...``) when gunicorn runs several
workers or machines, otherwise each worker counts alone and the effective rate is multiplied.
If the cache is unreachable the request is let through (and logged): a rate limit is a guard,
not a reason to refuse every buyer.

On Redis a check is one round trip (INCR and EXPIRE NX in one pipeline) through one client per
process; the time left is asked (TTL) only after a refusal.
"""

from __future__ import annotations

import logging
import os

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils.connection import ConnectionProxy
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle as DrfScopedRateThrottle

logger = logging.getLogger(__name__)


class ScopedRateThrottle(DrfScopedRateThrottle):
    """DRF's scoped throttle, counted atomically; clients are told to wait with ``429 throttled``
    + Retry-After.

    DRF keeps a list of timestamps per client and writes it back after reading it: two workers
    reading at once both let their request through, so a burst over several workers passed the
    rate. Here a bucket per client and scope opens at its first request (``cache.add``) and
    counts with ``cache.incr`` (Redis INCR, locmem under its lock), and closes ``duration``
    seconds later: never more than the rate per bucket, whatever the concurrency.
    """

    @property
    def THROTTLE_RATES(self) -> dict[str, str | None]:  # DRF reads this name
        return api_settings.DEFAULT_THROTTLE_RATES

    def allow_request(self, request, view) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.get_cache_key(request, view) if self.rate else None
        if self.key is None:
            return True
        try:
            return self.count(self.key) <= self.num_requests
        except Exception:  # the cache (Redis) is down: fail open
            logger.warning("throttle cache unavailable; request allowed", exc_info=True)
            return True

    def count(self, key: str) -> int:
        """This request's number in its client's current bucket."""
        self.now = self.timer()
        client = redis_client(self.cache)
        if client is not None:
            self.redis_key = self.cache.make_and_validate_key(key)
            pipe = client.pipeline(transaction=False)
            pipe.incr(self.redis_key)
            pipe.expire(self.redis_key, self.duration, nx=True)  # the bucket's first request opens it
            number, _ = pipe.execute()
            return number
        for _ in range(3):
            if self.cache.add(key, 1, self.duration):
                self.cache.set(f"{key}:opened", self.now, self.duration)
                return 1
            try:
                return self.cache.incr(key)
            except ValueError:  # the bucket closed between add and incr: open a new one
                continue
        return 1

    def wait(self) -> float:
        """Seconds until the client's bucket closes (asked only after a refusal)."""
        client = redis_client(self.cache)
        if client is not None:
            try:
                left = client.ttl(self.redis_key)
            except Exception:
                left = -1
            return float(self.duration if left is None or left < 0 else max(1, left))
        try:
            opened = self.cache.get(f"{self.key}:opened")
        except Exception:
            opened = None
        return self.duration if opened is None else max(1.0, self.duration - (self.now - opened))


_clients: dict[tuple[int, tuple[str, ...]], object] = {}


def redis_client(cache):
    """One redis-py client per process and Redis server set, shared by the process's threads
    (redis-py's clients are thread-safe; Django builds one per call, and keeps a cache object per
    thread), None for any other cache. Made in the worker, after the fork: never shared across
    processes."""
    if isinstance(cache, ConnectionProxy):  # django.core.cache.cache, DRF's default
        cache = caches[cache._alias]
    if not isinstance(cache, RedisCache):
        return None
    key = (os.getpid(), tuple(cache._servers))
    client = _clients.get(key)
    if client is None:
        client = _clients[key] = cache._cache.get_client(write=True)
    return client
