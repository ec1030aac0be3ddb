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
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from config.errors import ApiError, Busy, Invalid
from ticketing.errors import IdempotencyKeyReused
from ticketing.locking import bound_lock_wait, lock_batch_claim
from ticketing.models import IdempotencyKey

Operation = Callable[[], tuple[int, Any]]


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
        record_id, stored_hash, stored_status, stored_body = key_claim(
            user_id=request.user.pk, key=key, fingerprint=fingerprint, now=now
        )
        if stored_status is not None:
            if stored_hash != fingerprint:
                raise IdempotencyKeyReused()
            return Response(stored_body, status=stored_status, headers={"Idempotent-Replayed": "true"})
        try:
            # No savepoint of its own: every operation is a service whose writes are one atomic
            # block, rolled back to its own savepoint when it raises; an ApiError raised outside
            # a service comes from checks made before any write.
            status, body = operation()
        except Busy:
            raise
        except ApiError as error:
            status, body = error.http_status, error.as_body()
        with connection.cursor() as cursor:
            # No indexed column changes: PostgreSQL can update the row in place (HOT).
            cursor.execute(
                f"UPDATE {TABLE} SET status_code = %s, response = %s WHERE id = %s",  # noqa: S608
                [status, answer_json(body), record_id],
            )
    return Response(body, status=status)


TABLE = IdempotencyKey._meta.db_table


def answer_json(body: Any) -> str:
    """A stored answer's body as the JSON text both databases take for the ``response`` column."""
    return orjson.dumps(body, default=str).decode()


def answer_load(stored: Any) -> Any:
    """The ``response`` column as read by a hand-written query: JSON text on SQLite, and on
    PostgreSQL as Django configures psycopg."""
    return orjson.loads(stored) if isinstance(stored, str) else stored


def key_record_refusal(
    *, user_id: int, key: str, fingerprint: str, now: datetime, status: int, body: Any
) -> bool:
    """Store an answer under a key nobody has used yet, in one statement; False (and nothing
    written) when the key exists. A concurrent first use of the same key makes this wait for
    it, bounded, then find it."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {TABLE} (user_id, key, request_hash, created_at, status_code, response)
            VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (user_id, key) DO NOTHING RETURNING id
            """,  # noqa: S608 - the table name comes from model metadata, values are parameters
            [
                user_id,
                key,
                fingerprint,
                connection.ops.adapt_datetimefield_value(now),
                status,
                answer_json(body),
            ],
        )
        return cursor.fetchone() is not None


def key_claim(*, user_id: int, key: str, fingerprint: str, now: datetime) -> tuple[int, str, int | None, Any]:
    """Insert the (user, key) row, or lock the existing one, in one statement; return its id
    and its request hash, status and body: those of a stored answer younger than the TTL, else
    this request's hash and None (an older answer is forgotten: the row starts again as new).
    The key is the transaction's first lock: a concurrent request with the same key waits here
    (bounded) until the first one commits, then sees its answer.
    """
    adapt = connection.ops.adapt_datetimefield_value
    cutoff = adapt(now - timedelta(hours=settings.TICKETING_IDEMPOTENCY_TTL_HOURS))
    fresh = f"{TABLE}.created_at > %s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {TABLE} (user_id, key, request_hash, created_at) VALUES (%s, %s, %s, %s)
            ON CONFLICT (user_id, key) DO UPDATE SET
                request_hash = CASE WHEN {fresh} THEN {TABLE}.request_hash ELSE excluded.request_hash END,
                status_code = CASE WHEN {fresh} THEN {TABLE}.status_code END,
                response = CASE WHEN {fresh} THEN {TABLE}.response END,
                created_at = CASE WHEN {fresh} THEN {TABLE}.created_at ELSE excluded.created_at END
            RETURNING id, request_hash, status_code, response
            """,  # noqa: S608 - the table name comes from model metadata, values are parameters
            [user_id, key, fingerprint, adapt(now), cutoff, cutoff, cutoff, cutoff],
        )
        record_id, stored_hash, status, body = cursor.fetchone()
    return record_id, stored_hash, status, answer_load(body)


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
            locked = lock_batch_claim(old)
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
    cutoff = timezone.now() - timedelta(hours=settings.TICKETING_IDEMPOTENCY_TTL_HOURS)
    with connection.cursor() as cursor:  # every booking request starts here: no ORM building
        cursor.execute(
            f"""
            SELECT request_hash, status_code, response FROM {TABLE}
             WHERE user_id = %s AND key = %s AND status_code IS NOT NULL AND created_at > %s
            """,  # noqa: S608 - the table name comes from model metadata, values are parameters
            [request.user.pk, key, connection.ops.adapt_datetimefield_value(cutoff)],
        )
        record = cursor.fetchone()
    if record is None:
        return None
    stored_hash, status, body = record
    if stored_hash != request_fingerprint(request):
        raise IdempotencyKeyReused()
    return Response(answer_load(body), status=status, headers={"Idempotent-Replayed": "true"})
