"""Race harness: real threads released together by a Barrier, each on its own connection."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import DatabaseError, connection

from config.errors import ApiError

requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrency proof on PostgreSQL row locks (SQLite serialises every writer with"
    " IMMEDIATE transactions, so this race cannot happen there); set DATABASE_URL=postgres://...",
)


@dataclass
class RaceResult:
    results: list[Any]  # each worker's return value, or the exception it raised
    wall_seconds: float  # first worker released → last worker done


def race(workers: list[Callable[[], Any]], *, timeout: float = 20.0) -> RaceResult:
    """Run each worker in its own thread; all start together once every thread is connected.

    Every thread closes its own database connection when done. Bounded: a thread still alive
    after ``timeout`` seconds fails the test instead of hanging it.
    """
    barrier = threading.Barrier(len(workers), timeout=timeout)
    results: list[Any] = [None] * len(workers)
    started: list[float] = [0.0] * len(workers)
    finished: list[float] = [0.0] * len(workers)

    def run(index: int, work: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()  # connect before the start line, not after it
            barrier.wait()
            started[index] = time.perf_counter()
            results[index] = work()
        except BaseException as error:
            results[index] = error
        finally:
            finished[index] = time.perf_counter()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w), daemon=True) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "a racing thread hung"
    wall = max(finished) - min(t for t in started if t) if any(started) else 0.0
    return RaceResult(results=results, wall_seconds=wall)


def outcome(result: Any) -> str:
    """A short name for what a worker got: ``ok``, an API error code, or a database error."""
    if isinstance(result, ApiError):
        return result.code
    if isinstance(result, DatabaseError):
        return f"db:{getattr(result.__cause__, 'sqlstate', None) or type(result).__name__}"
    if isinstance(result, BaseException):
        return f"error:{type(result).__name__}: {result}"
    return "ok"
