"""release_expired_holds: record expired holds as expired, free their seats, purge old keys.

Housekeeping only: an expired hold is already no hold for every reader and writer. One shot by
default; ``--every SECONDS`` loops until Ctrl-C or SIGTERM (the compose sweeper service).
Several copies may run at once on several machines: they lock with SKIP LOCKED, take disjoint
batches and never wait for a buyer.
"""

from __future__ import annotations

import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection

from ticketing.idempotency import idempotency_keys_purge
from ticketing.services.holds import holds_release_expired

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Release expired holds (and purge old idempotency keys), once or every N seconds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every", type=float, metavar="SECONDS", help="Run in a loop, sleeping this long between runs."
        )
        parser.add_argument(
            "--max-runs", type=int, metavar="N", help="With --every: stop after N runs (default: never)."
        )
        parser.add_argument("--batch-size", type=int, default=500, help="Holds per transaction.")

    def handle(self, *args, every: float | None, max_runs: int | None, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if every is None:
            self.sweep(batch_size)
            return
        if every <= 0:
            raise CommandError("--every must be a positive number of seconds.")
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
        self.stdout.write(f"Sweeping every {every:g} s; Ctrl-C to stop.")
        runs = 0
        try:
            while not stop.is_set():
                try:
                    self.sweep(batch_size)
                except DatabaseError as error:  # database down or restarting: try again later
                    logger.warning("release_expired_holds: %s", error)
                    self.stderr.write(f"Database error, retrying in {every:g} s: {error}")
                    connection.close()
                runs += 1
                if max_runs is not None and runs >= max_runs:
                    break
                stop.wait(every)
        except KeyboardInterrupt:
            pass
        self.stdout.write(f"Stopped after {runs} runs.")

    def sweep(self, batch_size: int) -> None:
        holds = holds_release_expired(batch_size=batch_size)
        keys = idempotency_keys_purge()
        self.stdout.write(f"Released {holds} expired holds; purged {keys} old idempotency keys.")
