from django.db import models
from django.db.models import Q


class Notification(models.Model):
    """An email owed to a buyer, written in the transaction that made it due (the outbox).

    Sent after commit by ``notifications_send``: in the request when
    TICKETING_NOTIFICATIONS_INLINE, else by the ``send_notifications`` worker. ``sent_at`` is
    set once sent; a failed attempt counts in ``attempts`` and is retried until
    TICKETING_NOTIFICATION_MAX_ATTEMPTS. ``claimed_until``: a sender's lease on the row while
    it talks to the mail server (outside any transaction).
    """

    class Kind(models.TextChoices):
        CONFIRMED = "confirmed", "Booking confirmed"
        CANCELLED = "cancelled", "Booking cancelled"
        TICKET_GIVEN = "given", "Ticket transferred away"  # to the old owner; ``ticket``: the old one
        TICKET_RECEIVED = "received", "Ticket received"  # to the new owner; ``ticket``: the new one
        WAITLIST_OFFER = "waitlist_offer", "Waiting list: seats held for you"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    booking = models.ForeignKey(
        "ticketing.Booking", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ticket = models.ForeignKey(
        "ticketing.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The subject of a waiting-list email (``waitlist_offer``), which has no booking.
    waitlist_entry = models.ForeignKey(
        "ticketing.WaitlistEntry", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["id"], name="notification_pending_idx", condition=Q(sent_at__isnull=True)),
        ]

    def __str__(self) -> str:
        if self.waitlist_entry_id:
            return f"{self.kind} email of waitlist entry {self.waitlist_entry_id}"
        return f"{self.kind} email of booking {self.booking_id}"
