"""retry_refunds: send again every refund an interrupted process or a gateway outage left due.

Safe to run any time and on several machines: each refund carries the same idempotency key
every time it is sent, so the gateway never refunds twice.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser

from ticketing.services.payments import payments_refund_due


class Command(BaseCommand):
    help = "Refund every payment left in 'refunding' (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=60.0,
            metavar="SECONDS",
            help="Only refunds due for at least this long (default 60: leave in-flight ones alone).",
        )

    def handle(self, *args, older_than: float, **options) -> None:
        refunded = payments_refund_due(older_than=timedelta(seconds=older_than))
        self.stdout.write(f"{refunded} refunds sent.")
