"""check_inventory: verify the invariant of SPEC section 2 from the raw tables.

Prints a summary per event and exits 0 when every rule holds; otherwise lists each violation
and exits 1. Read-only; safe to run against production at any time.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ticketing.models import Event
from ticketing.selectors.invariants import inventory_check


class Command(BaseCommand):
    help = "Check that no seat is sold twice, held twice or lost (exit 1 listing violations)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--event", type=int, metavar="ID", help="Check this event only.")

    def handle(self, *args, event: int | None, **options) -> None:
        if event is not None and not Event.objects.filter(pk=event).exists():
            raise CommandError(f"No event {event}.")
        report = inventory_check(event_id=event)
        for c in report.counts:
            self.stdout.write(
                f"event {c.event_id}: {c.seats} seats: {c.available} available, {c.held} held,"
                f" {c.booked} booked, {c.blocked} blocked; {c.live_holds} live holds,"
                f" {c.confirmed_bookings} confirmed bookings, {c.active_tickets} active tickets"
            )
        seats = sum(c.seats for c in report.counts)
        scope = f"{len(report.counts)} events, {seats} seats"
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"check_inventory: OK ({scope}, no violation)"))
            return
        for violation in report.violations:
            self.stdout.write(self.style.ERROR(f"VIOLATION {violation}"))
        raise CommandError(f"{len(report.violations)} violations ({scope}).", returncode=1)
