from django.db import models


class SeatAudit(models.Model):
    """Append-only trail of every seat state change, written in the same transaction."""

    event = models.ForeignKey("ticketing.Event", on_delete=models.CASCADE, related_name="+")
    event_seat = models.ForeignKey("ticketing.EventSeat", on_delete=models.CASCADE, related_name="audit")
    from_status = models.CharField(max_length=10)
    to_status = models.CharField(max_length=10)
    action = models.CharField(max_length=20)
    hold = models.ForeignKey(
        "ticketing.Hold", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    booking = models.ForeignKey(
        "ticketing.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["event", "-at"], name="seat_audit_event_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_seat_id}: {self.from_status} → {self.to_status} ({self.action})"
