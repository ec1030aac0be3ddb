"""The shape of the background commands (release_expired_holds, send_notifications).

One run by default; ``--every SECONDS`` runs again and again until Ctrl-C or SIGTERM (a compose
service), ``--max-runs N`` stops after N runs. A database error (PostgreSQL down or restarting)
is reported and the next run tries again, with a fresh connection.
"""

from __future__ import annotations

import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection


class PeriodicCommand(BaseCommand):
    default_batch_size: int = 500
    batch_help = "Rows per transaction."
    loop_message = "Running every {every:g} s; Ctrl-C to stop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every", type=float, metavar="SECONDS", help="Run in a loop, sleeping this long between runs."
        )
        parser.add_argument(
            "--max-runs", type=int, metavar="N", help="With --every: stop after N runs (default: never)."
        )
        parser.add_argument("--batch-size", type=int, default=self.default_batch_size, help=self.batch_help)

    def run_once(self, batch_size: int, *, looping: bool) -> None:
        """One run; ``looping``: inside the --every loop (a command may then print less)."""
        raise NotImplementedError

    def handle(self, *args, every: float | None, max_runs: int | None, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if every is None:
            self.run_once(batch_size, looping=False)
            return
        if every <= 0:
            raise CommandError("--every must be a positive number of seconds.")
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
        self.stdout.write(self.loop_message.format(every=every))
        runs = 0
        try:
            while not stop.is_set():
                try:
                    self.run_once(batch_size, looping=True)
                except DatabaseError as error:  # database down or restarting: try again later
                    logging.getLogger(type(self).__module__).warning("%s: %s", self.name, error)
                    self.stderr.write(f"Database error, retrying in {every:g} s: {error}")
                    connection.close()
                runs += 1
                if max_runs is not None and runs >= max_runs:
                    break
                stop.wait(every)
        except KeyboardInterrupt:
            pass
        self.stdout.write(f"Stopped after {runs} runs.")

    @property
    def name(self) -> str:
        return type(self).__module__.rsplit(".", 1)[-1]
