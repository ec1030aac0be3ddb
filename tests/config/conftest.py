"""Fixtures of the API plumbing tests: the shared world, direct WSGI calls, a cut database."""

from __future__ import annotations

import pytest
from django.core import signals
from django.db import OperationalError, close_old_connections
from django.db.backends.utils import CursorWrapper

from tests.world import World, make_world


@pytest.fixture
def world(db) -> World:
    return make_world()


@pytest.fixture
def keep_connection_open():
    """For tests that call the WSGI application directly (not Django's test client).

    Django closes a database connection at the end of each request when it is not in
    autocommit mode, which is always the case inside a test's transaction; the test client
    disconnects those signal handlers while it runs, and so does this fixture.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def cut_database(db):
    """Call it, and from then on every statement fails the way a dropped connection does.

    Restored before the test database is rolled back (this fixture depends on ``db``).
    """
    originals = CursorWrapper.execute, CursorWrapper.executemany

    def lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    def cut() -> None:
        CursorWrapper.execute = CursorWrapper.executemany = lost

    yield cut
    CursorWrapper.execute, CursorWrapper.executemany = originals
