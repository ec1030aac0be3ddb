"""``Idempotency-Key`` for hold, book and cancel: a retry gets the first answer back.

The key row is inserted (or found) and locked inside the same transaction as the operation, so
the stored answer commits if and only if the operation does. It is the first lock of that
transaction (see ``ticketing.locking`` for why that order is safe). Two identical requests
arriving together: the second's INSERT waits on the first's uncommitted key row (bounded by
the lock timeout, set before the INSERT) and then replays the stored answer; it never runs the
operation a second time. If the first takes longer than the timeout, the second gets 503 busy
and its retry replays. Domain errors (4xx) are stored like successes; ``busy`` and unexpected
errors are not (nothing happened: retry). Keys older than TICKETING_IDEMPOTENCY_TTL_HOURS are
ignored and purged by ``release_expired_holds``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from config.errors import ApiError, Busy, Invalid
from ticketing.errors import IdempotencyKeyReused
from ticketing.locking import bound_lock_wait, lock_rows
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
    if not key.strip() or len(key) > 255 or not key.isprintable():
        message = "Idempotency-Key must be 1 to 255 printable characters."
        raise Invalid(message, fields={"Idempotency-Key": [message]})
    fingerprint = request_fingerprint(request)
    now = timezone.now()
    with transaction.atomic():
        bound_lock_wait()
        IdempotencyKey.objects.bulk_create(
            [IdempotencyKey(user=request.user, key=key, request_hash=fingerprint, created_at=now)],
            ignore_conflicts=True,
        )
        records = lock_rows(IdempotencyKey.objects.filter(user=request.user, key=key))
        if not records:  # purged between our INSERT and our lock: nothing happened, retry
            raise Busy()
        record = records[0]
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


def idempotency_keys_purge(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Delete stored answers older than TICKETING_IDEMPOTENCY_TTL_HOURS; return how many.

    Per batch, locks the old key rows with SKIP LOCKED (a request replaying or reusing one
    right now is left alone) and deletes them. Never waits, safe on several machines at once.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.TICKETING_IDEMPOTENCY_TTL_HOURS)
    purged = 0
    while True:
        ids = list(
            IdempotencyKey.objects.filter(created_at__lt=cutoff)
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            return purged
        with transaction.atomic():
            old = IdempotencyKey.objects.filter(id__in=ids, created_at__lt=cutoff)
            locked = lock_rows(old, skip_locked=True)
            IdempotencyKey.objects.filter(id__in=[row.id for row in locked]).delete()
        purged += len(locked)
        if len(ids) < batch_size or not locked:
            return purged


def idempotent_replay(request: Request) -> Response | None:
    """The stored answer to this request's Idempotency-Key, read without a lock, or None.

    For an operation with a step that must run before its transaction (the payment of a
    booking): a retry of a finished request replays here, before that step could run again.
    The same checks as ``idempotent``: a different body is IdempotencyKeyReused.
    """
    key = request.headers.get("Idempotency-Key")
    if key is None or not key.strip() or len(key) > 255 or not key.isprintable():
        return None  # no key, or a bad one that ``idempotent`` reports
    ttl = timedelta(hours=settings.TICKETING_IDEMPOTENCY_TTL_HOURS)
    record = IdempotencyKey.objects.filter(
        user=request.user, key=key, status_code__isnull=False, created_at__gt=timezone.now() - ttl
    ).first()
    if record is None:
        return None
    if record.request_hash != request_fingerprint(request):
        raise IdempotencyKeyReused()
    return Response(record.response, status=record.status_code, headers={"Idempotent-Replayed": "true"})
