"""Every row lock in the project goes through here.

The protocol (DESIGN.md, "Locking"): one short transaction per use case; locks are taken with
``SELECT ... FOR UPDATE OF <table>`` **ordered by primary key**, in the fixed table order

    buyer (user row) → event seats → hold → booking → idempotency key

and every wait is bounded by ``SET LOCAL lock_timeout``. A timeout or deadlock surfaces as a
database error that ``config.errors`` turns into ``503 busy`` with ``Retry-After``.

On SQLite ``select_for_update()`` is a no-op: IMMEDIATE transactions already serialise writers.

``TICKETING_LOCKING_ENABLED = False`` switches the row locks off. It exists only so that the
race tests' negative controls can show that the tests see a race; never set it in production.
"""

from __future__ import annotations

from typing import TypeVar

from django.conf import settings
from django.db import models, transaction

M = TypeVar("M", bound=models.Model)


def locking_enabled() -> bool:
    return getattr(settings, "TICKETING_LOCKING_ENABLED", True)


def bound_lock_wait(using: str = "default") -> None:
    """Assert we are inside a transaction and bound this transaction's lock waits."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        raise RuntimeError("Row locks must be taken inside transaction.atomic().")
    outermost = connection.atomic_blocks[0] if connection.atomic_blocks else None
    if (
        connection.vendor == "postgresql"
        and getattr(connection, "_lock_wait_bound_for", None) is not outermost
    ):
        # Once per transaction; the session default (settings: DB_LOCK_TIMEOUT_MS) is the
        # fallback should this marker ever be wrong.
        connection._lock_wait_bound_for = outermost
        timeout_ms = int(settings.TICKETING_LOCK_TIMEOUT_MS)
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = {timeout_ms}")


def lock_rows(queryset: models.QuerySet[M], *, skip_locked: bool = False, no_key: bool = False) -> list[M]:
    """Lock the rows of ``queryset`` (its own table only) in primary-key order; return them.

    ``skip_locked``: rows another transaction holds right now are left out instead of waited
    for (the caller treats them as taken). ``no_key``: FOR NO KEY UPDATE, which does not block
    inserts that reference the row.
    """
    bound_lock_wait(queryset.db)
    queryset = queryset.order_by("pk")
    if locking_enabled():
        queryset = queryset.select_for_update(of=("self",), skip_locked=skip_locked, no_key=no_key)
    return list(queryset)
