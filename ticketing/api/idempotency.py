"""``Idempotency-Key`` for hold, book and cancel: a retry gets the first answer back.

The key row is inserted (or found) and locked inside the same transaction as the operation, so
the stored answer commits if and only if the operation does. It is the first lock of that
transaction (see ``ticketing.locking`` for why that order is safe). Two identical requests
arriving together: the second's INSERT waits on the first's uncommitted key row (bounded by
the lock timeout, set before the INSERT) and then replays the stored answer; it never runs the
operation a second time. If the first takes longer than the timeout, the second gets 503 busy
and its retry replays. Domain errors (4xx) are stored like successes; ``busy`` and unexpected
errors are not (nothing happened: retry). Keys older than TICKETING_IDEMPOTENCY_TTL_HOURS are
ignored and purged by ``release_expired_holds``. The store is ticketing/services/idempotency.py.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import orjson
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response

from config.errors import ApiError, Busy, IdempotencyKeyReused, Invalid
from ticketing.locking import bound_lock_wait
from ticketing.services.idempotency import key_answer_find, key_answer_store, key_claim, key_record_refusal

Operation = Callable[[], tuple[int, Any]]

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Retry-safe key (up to 255 characters): a repeat returns the first answer.",
)


def request_fingerprint(request: Request) -> str:
    """A hash of the method, path and parsed body. Never raises: the parse step
    (config/parsers.py) already bounds what a body holds, and should anything it lets through
    be refused by orjson (integers past 64 bits, lone surrogates), the standard library's
    escaping serialisation, as deterministic, is used instead."""
    try:
        body = orjson.dumps(request.data, option=orjson.OPT_SORT_KEYS, default=str)
    except TypeError:
        body = json.dumps(request.data, sort_keys=True, default=str).encode()
    return hashlib.sha256(f"{request.method} {request.path}\n".encode() + body).hexdigest()


def idempotent(
    request: Request, operation: Operation, *, precheck: Callable[[], Any] | None = None
) -> Response:
    """Run ``operation`` (returns status, body) at most once per user and Idempotency-Key.

    ``precheck``: read-only checks that may refuse the request (raise an ApiError) before any
    transaction. A refusal under a new key is recorded in one INSERT, with no transaction
    around it, and answered: in an on-sale most hold requests lose the race for their seats,
    and this is their whole cost. When the key is already known (a retry, a reuse, an answer
    past the TTL) the refusal is not used: the key decides, as below.
    """
    key = request.headers.get("Idempotency-Key")
    if key is None:
        if precheck is not None:
            precheck()
        status, body = operation()
        return Response(body, status=status)
    if not key.strip() or len(key) > 255 or not key.isprintable():
        message = "Idempotency-Key must be 1 to 255 printable characters."
        raise Invalid(message, fields={"Idempotency-Key": [message]})
    fingerprint = request_fingerprint(request)
    now = timezone.now()
    if precheck is not None:
        try:
            precheck()
        except Busy:
            raise
        except ApiError as refusal:
            status, body = refusal.http_status, refusal.as_body()
            if key_record_refusal(
                user_id=request.user.pk, key=key, fingerprint=fingerprint, now=now, status=status, body=body
            ):
                return Response(body, status=status)
    with transaction.atomic():
        bound_lock_wait()
        stored = key_claim(user_id=request.user.pk, key=key, fingerprint=fingerprint, now=now)
        if stored.status is not None:
            if stored.request_hash != fingerprint:
                raise IdempotencyKeyReused()
            return Response(stored.body, status=stored.status, headers={"Idempotent-Replayed": "true"})
        try:
            # No savepoint of its own: every operation is a service whose writes are one atomic
            # block, rolled back to its own savepoint when it raises; an ApiError raised outside
            # a service comes from checks made before any write.
            status, body = operation()
        except Busy:
            raise
        except ApiError as error:
            status, body = error.http_status, error.as_body()
        key_answer_store(key_id=stored.id, status=status, body=body)
    return Response(body, status=status)


def idempotent_replay(request: Request) -> Response | None:
    """The stored answer to this request's Idempotency-Key, read without a lock, or None.

    For an operation with a step that must run before its transaction (the payment of a
    booking): a retry of a finished request replays here, before that step could run again.
    The same checks as ``idempotent``: a different body is IdempotencyKeyReused.
    """
    key = request.headers.get("Idempotency-Key")
    if key is None or not key.strip() or len(key) > 255 or not key.isprintable():
        return None  # no key, or a bad one that ``idempotent`` reports
    stored = key_answer_find(user_id=request.user.pk, key=key, now=timezone.now())
    if stored is None:
        return None
    if stored.request_hash != request_fingerprint(request):
        raise IdempotencyKeyReused()
    return Response(stored.body, status=stored.status, headers={"Idempotent-Replayed": "true"})
