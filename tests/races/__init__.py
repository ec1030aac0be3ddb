"""Concurrency proofs with real threads: the one place for them.

Each test releases real threads together (``harness.race``: a Barrier, one database connection
per thread, real transactions) against the services or the API, and checks that exactly one
outcome wins and the inventory stays clean. Most need PostgreSQL's row locks and are skipped on
SQLite (``harness.requires_postgres``); the busy and Idempotency-Key races also run on SQLite
(its write lock). All carry the ``race`` marker: ``pytest -m race`` runs just them, and with
``DATABASE_URL=postgres://...`` all of them run.

- ``test_one_seat_race``: many buyers, one seat, exactly one hold (and the negative control);
- ``test_protocol_races``: opposite lock orders, expiry against booking, cancel against re-hold,
  the sweeper against a late booking;
- ``test_block_races``: staff blocking, and best available's waiting attempt, against a claim;
- ``test_best_available_race``: many best-available requests, distinct seats, no 5xx;
- ``test_busy``: a lock wait that times out is 503 busy with Retry-After;
- ``test_idempotency_races``: identical requests with one Idempotency-Key, one operation;
- ``test_checkin_race``, ``test_checkin_cancel_race``: two gates, and a gate against a cancel;
- ``test_refresh_races``: a refresh token works exactly once (accounts).

The tests of lock order itself (no threads) are in ``tests/ticketing/locking/``.
"""
