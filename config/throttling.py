"""Scoped rate limits (login, register, hold, book) that never take the sale down.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (env: THROTTLE_*), read on every
request so that a settings override applies at once. Counters live in the default cache: locmem
per process for the demo, a shared Redis (``CACHE_URL=redis://...``) when gunicorn runs several
workers or machines, otherwise each worker counts alone and the effective rate is multiplied.
If the cache is unreachable the request is let through (and logged): a rate limit is a guard,
not a reason to refuse every buyer.
"""

from __future__ import annotations

import logging

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle as DrfScopedRateThrottle

logger = logging.getLogger(__name__)


class ScopedRateThrottle(DrfScopedRateThrottle):
    """DRF's scoped throttle; clients are told to wait with ``429 throttled`` + Retry-After."""

    @property
    def THROTTLE_RATES(self) -> dict[str, str | None]:  # DRF reads this name
        return api_settings.DEFAULT_THROTTLE_RATES

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:  # the cache (Redis) is down: fail open
            logger.warning("throttle cache unavailable; request allowed", exc_info=True)
            return True
