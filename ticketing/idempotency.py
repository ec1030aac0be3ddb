"""``Idempotency-Key`` for hold, book and cancel: a retry gets the first answer back.

The key row is inserted (or found) and locked inside the same transaction as the operation, so
the stored answer commits if and only if the operation does. Two identical requests arriving
together: the second waits on the first's key row (bounded by the lock timeout) and then
replays the stored answer; it never runs the operation a second time. Domain errors (409s) are
stored like successes; ``busy`` and unexpected errors are not (nothing happened: retry).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from config.errors import ApiError, Busy, Invalid
from ticketing.errors import IdempotencyKeyReused
from ticketing.locking import lock_rows
from ticketing.models import IdempotencyKey

Operation = Callable[[], tuple[int, Any]]


def request_fingerprint(request: Request) -> str:
    body = orjson.dumps(request.data, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n".encode() + body).hexdigest()


def idempotent(request: Request, operation: Operation) -> Response:
    """Run ``operation`` (returns status, body) at most once per user and Idempotency-Key."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        status, body = operation()
        return Response(body, status=status)
    if not key.strip() or len(key) > 255:
        message = "Idempotency-Key must be 1 to 255 characters."
        raise Invalid(message, fields={"Idempotency-Key": [message]})
    fingerprint = request_fingerprint(request)
    now = timezone.now()
    with transaction.atomic():
        IdempotencyKey.objects.bulk_create(
            [IdempotencyKey(user=request.user, key=key, request_hash=fingerprint, created_at=now)],
            ignore_conflicts=True,
        )
        record = lock_rows(IdempotencyKey.objects.filter(user=request.user, key=key))[0]
        ttl = timedelta(hours=settings.TICKETING_IDEMPOTENCY_TTL_HOURS)
        if record.status_code is not None and record.created_at > now - ttl:
            if record.request_hash != fingerprint:
                raise IdempotencyKeyReused()
            return Response(
                record.response, status=record.status_code, headers={"Idempotent-Replayed": "true"}
            )
        try:
            with transaction.atomic():
                status, body = operation()
        except Busy:
            raise
        except ApiError as error:
            status, body = error.http_status, error.as_body()
        record.request_hash, record.created_at = fingerprint, now
        record.status_code, record.response = status, body
        record.save(update_fields=["request_hash", "created_at", "status_code", "response"])
    return Response(body, status=status)
