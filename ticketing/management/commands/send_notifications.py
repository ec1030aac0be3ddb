"""send_notifications: deliver the booking emails waiting in the outbox.

One shot by default; ``--every SECONDS`` loops until Ctrl-C or SIGTERM (the compose notifier
service, needed when TICKETING_NOTIFICATIONS_INLINE is off). Several copies may run at once:
they lease disjoint batches with SKIP LOCKED.
"""

from __future__ import annotations

from django.conf import settings

from ticketing.management.periodic import PeriodicCommand
from ticketing.models import Notification
from ticketing.services.notifications import notifications_send


class Command(PeriodicCommand):
    help = "Send the booking emails waiting in the outbox, once or every N seconds."
    default_batch_size = 50
    batch_help = "Emails leased at a time."
    loop_message = "Sending every {every:g} s; Ctrl-C to stop."

    def run_once(self, batch_size: int, *, looping: bool) -> None:
        sent, failed = notifications_send(batch_size=batch_size)
        if sent or failed or not looping:
            unsent = Notification.objects.filter(sent_at__isnull=True)
            gave_up = unsent.filter(attempts__gte=settings.TICKETING_NOTIFICATION_MAX_ATTEMPTS).count()
            self.stdout.write(
                f"Sent {sent} emails, {failed} failed; {unsent.count() - gave_up} waiting,"
                f" {gave_up} given up after {settings.TICKETING_NOTIFICATION_MAX_ATTEMPTS} attempts."
            )
