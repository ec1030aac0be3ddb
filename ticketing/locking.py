"""Every row lock in the project goes through here.

The protocol (DESIGN.md, "Locking"): one short transaction per use case; locks are taken with
``SELECT ... FOR UPDATE OF <table>`` **ordered by primary key**, in the fixed table order

    idempotency key → buyer (user row) → event seats → hold → booking

and every wait is bounded by ``lock_timeout`` (TICKETING_LOCK_TIMEOUT_MS, set on each connection;
``SET LOCAL`` when the setting differs, as tests do). A timeout or deadlock surfaces as a
database error that ``config.errors`` turns into ``503 busy`` with ``Retry-After``.

The idempotency key comes first and that is safe: a key row belongs to one (user, key), and
every transaction that touches it takes it before any other lock, so a transaction waiting for
a key row holds nothing another one could be waiting for.

A transaction that only ever locks with SKIP LOCKED never waits, so it cannot be part of a
deadlock whatever its order: the sweeper uses that to claim a batch of expired holds first
(a work queue shared by several sweepers), then their seats. Everything that waits follows
the order above.

On SQLite ``select_for_update()`` is a no-op: IMMEDIATE transactions already serialise writers.

``TICKETING_LOCKING_ENABLED = False`` switches the row locks off. It exists only so that the
race tests' negative controls can show that the tests see a race; never set it in production.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction


def locking_enabled() -> bool:
    return getattr(settings, "TICKETING_LOCKING_ENABLED", True)


def _lock_wait_bound() -> None:
    """Marker registered with on_commit: this transaction has run SET LOCAL lock_timeout.

    Django drops on_commit callbacks on rollback and on rollback to the savepoint they were
    registered in, exactly when PostgreSQL forgets a SET LOCAL, so the marker is present if
    and only if the setting is in force. It never does anything when called.
    """


def bound_lock_wait(using: str = "default") -> None:
    """Assert we are inside a transaction and bound this transaction's lock waits (once)."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        raise RuntimeError("Row locks must be taken inside transaction.atomic().")
    if connection.vendor != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE waits at most the connection's busy timeout.
    timeout_ms = int(settings.TICKETING_LOCK_TIMEOUT_MS)
    if timeout_ms == connection.settings_dict.get("LOCK_TIMEOUT_MS"):
        return  # the connection was opened with this lock_timeout (config/settings.py)
    if any(func is _lock_wait_bound for _, func, _ in connection.run_on_commit):
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = {timeout_ms}")
    connection.on_commit(_lock_wait_bound)


def lock_rows[M: models.Model](
    queryset: models.QuerySet[M], *, skip_locked: bool = False, no_key: bool = False, limit: int | None = None
) -> list[M]:
    """Lock the rows of ``queryset`` (its own table only) in primary-key order; return them.

    ``skip_locked``: rows another transaction holds right now are left out instead of waited
    for (the caller treats them as taken). ``no_key``: FOR NO KEY UPDATE, which does not block
    inserts that reference the row. ``limit``: at most this many rows, the first in pk order
    (with ``skip_locked``, the first free ones: a work queue).
    """
    bound_lock_wait(queryset.db)
    queryset = queryset.order_by("pk")
    if locking_enabled():
        queryset = queryset.select_for_update(of=("self",), skip_locked=skip_locked, no_key=no_key)
    return list(queryset if limit is None else queryset[:limit])


def lock_clause(*, of: str, skip_locked: bool = False, no_key: bool = False, using: str = "default") -> str:
    """The locking tail for a hand-written SELECT of the hot paths, ``lock_rows`` in raw SQL.

    Bounds this transaction's lock waits like ``lock_rows``, then returns
    ``FOR [NO KEY] UPDATE OF <of> [SKIP LOCKED]`` on PostgreSQL and nothing on SQLite (IMMEDIATE
    transactions serialise writers) or with locking switched off. The caller's SELECT must be
    ordered by primary key, as every lock here is.
    """
    bound_lock_wait(using)
    connection = transaction.get_connection(using)
    if connection.vendor != "postgresql" or not locking_enabled():
        return ""
    strength = "NO KEY UPDATE" if no_key else "UPDATE"
    return f" FOR {strength} OF {of}" + (" SKIP LOCKED" if skip_locked else "")
