"""cancel_event: cancel a whole event, cancelling and refunding every booking, in batches.

Resumable: interrupt it (Ctrl-C, a crash, a deploy) and run it again; it continues from the
database state (bookings still confirmed, refunds still due). Prints progress after each batch.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from ticketing.models import Event
from ticketing.services.event_cancel import EventCancelProgress, event_cancel


class Command(BaseCommand):
    help = "Cancel an event: off sale, holds released, every booking cancelled and refunded (resumable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("event_id", type=int)
        parser.add_argument("--actor", required=True, help="Username of the staff member cancelling.")
        parser.add_argument("--batch-size", type=int, default=200, help="Bookings per transaction.")

    def handle(self, *args, event_id: int, actor: str, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        event = Event.objects.filter(pk=event_id).first()
        if event is None:
            raise CommandError(f"No event {event_id}.")
        staff = User.objects.filter(username=actor, is_staff=True).first()
        if staff is None:
            raise CommandError(f"No staff user {actor!r}.")
        self.stdout.write(f"Cancelling {event} (event {event.pk})...")
        progress = event_cancel(event=event, actor=staff, batch_size=batch_size, on_progress=self.report)
        if not progress.done:
            raise CommandError("Not finished (some refunds failed?): run the command again to continue.")
        self.stdout.write(self.style.SUCCESS("Done."))

    def report(self, progress: EventCancelProgress) -> None:
        total = progress.bookings_cancelled + progress.bookings_confirmed
        self.stdout.write(
            f"  bookings cancelled {progress.bookings_cancelled}/{total}, "
            f"refunds done {progress.refunds_done}, due {progress.refunds_due}, "
            f"holds active {progress.holds_active}, checked-in tickets voided {progress.checked_in_voided}"
        )
