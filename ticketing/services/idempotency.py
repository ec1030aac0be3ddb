"""The store behind ``Idempotency-Key``: a user's key, its request hash and the stored answer.

The API's ``idempotent`` (ticketing/api/idempotency.py) decides what to store and replay; these
functions are its reads and writes, one statement each. ``key_claim`` is the first lock of the
transaction it runs in, by an upsert (see ``ticketing.locking`` for why that order is safe).
Hand-written: every hold, book and cancel with a key runs them, and the ORM's
``update_or_create`` would take two statements and a savepoint for what one upsert does.
Keys older than TICKETING_IDEMPOTENCY_TTL_HOURS are ignored and purged by
``release_expired_holds``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ticketing.locking import lock_batch_claim
from ticketing.models import IdempotencyKey

TABLE = IdempotencyKey._meta.db_table


class StoredKey(NamedTuple):
    id: int
    request_hash: str
    status: int | None  # None: no answer stored yet (this request is the first)
    body: Any


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


def key_claim(*, user_id: int, key: str, fingerprint: str, now: datetime) -> StoredKey:
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
    return StoredKey(record_id, stored_hash, status, answer_load(body))


def key_answer_store(*, key_id: int, status: int, body: Any) -> None:
    """Inside the operation's transaction: the answer under the claimed key. No indexed column
    changes: PostgreSQL can update the row in place (HOT)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET status_code = %s, response = %s WHERE id = %s",  # noqa: S608
            [status, answer_json(body), key_id],
        )


def key_answer_find(*, user_id: int, key: str, now: datetime) -> StoredKey | None:
    """The answer stored under the user's key and younger than the TTL, read without a lock.
    Every booking request with a key starts here: one hand-written read, no ORM building."""
    cutoff = now - timedelta(hours=settings.TICKETING_IDEMPOTENCY_TTL_HOURS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT id, request_hash, status_code, response FROM {TABLE}
             WHERE user_id = %s AND key = %s AND status_code IS NOT NULL AND created_at > %s
            """,  # noqa: S608 - the table name comes from model metadata, values are parameters
            [user_id, key, connection.ops.adapt_datetimefield_value(cutoff)],
        )
        record = cursor.fetchone()
    if record is None:
        return None
    record_id, stored_hash, status, body = record
    return StoredKey(record_id, stored_hash, status, answer_load(body))


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
