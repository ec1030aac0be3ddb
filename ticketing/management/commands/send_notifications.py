"""send_notifications: deliver the booking emails waiting in the outbox.

One shot by default; ``--every SECONDS`` loops until Ctrl-C or SIGTERM (the compose notifier
service, needed when TICKETING_NOTIFICATIONS_INLINE is off). Several copies may run at once:
they lease disjoint batches with SKIP LOCKED.
"""

from __future__ import annotations

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection

from ticketing.models import Notification
from ticketing.services.notifications import notifications_send

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Send the booking emails waiting in the outbox, once or every N seconds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every", type=float, metavar="SECONDS", help="Run in a loop, sleeping this long between runs."
        )
        parser.add_argument(
            "--max-runs", type=int, metavar="N", help="With --every: stop after N runs (default: never)."
        )
        parser.add_argument("--batch-size", type=int, default=50, help="Emails leased at a time.")

    def handle(self, *args, every: float | None, max_runs: int | None, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if every is None:
            self.send(batch_size, quiet=False)
            return
        if every <= 0:
            raise CommandError("--every must be a positive number of seconds.")
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
        self.stdout.write(f"Sending every {every:g} s; Ctrl-C to stop.")
        runs = 0
        try:
            while not stop.is_set():
                try:
                    self.send(batch_size, quiet=True)
                except DatabaseError as error:  # database down or restarting: try again later
                    logger.warning("send_notifications: %s", error)
                    self.stderr.write(f"Database error, retrying in {every:g} s: {error}")
                    connection.close()
                runs += 1
                if max_runs is not None and runs >= max_runs:
                    break
                stop.wait(every)
        except KeyboardInterrupt:
            pass
        self.stdout.write(f"Stopped after {runs} runs.")

    def send(self, batch_size: int, *, quiet: bool) -> None:
        sent, failed = notifications_send(batch_size=batch_size)
        if sent or failed or not quiet:
            unsent = Notification.objects.filter(sent_at__isnull=True)
            gave_up = unsent.filter(attempts__gte=settings.TICKETING_NOTIFICATION_MAX_ATTEMPTS).count()
            self.stdout.write(
                f"Sent {sent} emails, {failed} failed; {unsent.count() - gave_up} waiting,"
                f" {gave_up} given up after {settings.TICKETING_NOTIFICATION_MAX_ATTEMPTS} attempts."
            )
