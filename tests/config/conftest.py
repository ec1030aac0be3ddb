"""Fixtures of the API plumbing tests (defined with the World in tests/world.py)."""

from tests.world import cut_database, keep_connection_open, world  # noqa: F401
