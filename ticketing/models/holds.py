from django.db import models
from django.db.models import Q


class HoldStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RELEASED = "released", "Released"
    BOOKED = "booked", "Booked"
    EXPIRED = "expired", "Expired"


class Hold(models.Model):
    """A buyer's all-or-nothing temporary claim on event seats, until ``expires_at``.

    ``active`` and ``expires_at > now`` is a live hold; ``active`` past ``expires_at`` is
    expired already (the sweeper only records it as ``expired``). ``prices`` captures the
    category prices when the hold was made: the booking charges those.
    """

    Status = HoldStatus

    buyer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="holds")
    # One event, or a season (its seats in every event of the season): exactly one of the two.
    event = models.ForeignKey(
        "ticketing.Event", on_delete=models.CASCADE, related_name="holds", null=True, blank=True
    )
    season = models.ForeignKey(
        "ticketing.Season", on_delete=models.PROTECT, related_name="holds", null=True, blank=True
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    seat_count = models.PositiveIntegerField()
    total = models.DecimalField(max_digits=12, decimal_places=2)
    prices = models.JSONField(default=dict)
    # A hold made as a waiting-list offer (services/waitlist.py): at most one per entry.
    waitlist_entry = models.OneToOneField(
        "ticketing.WaitlistEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="offer"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=HoldStatus.values), name="hold_status_valid"),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="hold_expires_after_created"
            ),
            models.CheckConstraint(condition=Q(seat_count__gte=1), name="hold_has_seats"),
            models.CheckConstraint(
                condition=Q(event__isnull=False, season__isnull=True)
                | Q(event__isnull=True, season__isnull=False),
                name="hold_event_or_season",
            ),
        ]
        indexes = [
            # The seat map's ETag needs the next expiry of an event's live holds;
            # the sweeper finds active holds past their expiry.
            models.Index(fields=["event", "status", "expires_at"], name="hold_event_status_exp_idx"),
            models.Index(fields=["status", "expires_at"], name="hold_status_expires_idx"),
            # "My holds".
            models.Index(fields=["buyer", "status"], name="hold_buyer_status_idx"),
        ]

    def __str__(self) -> str:
        return f"hold {self.pk} ({self.status})"

    # The one rule of a live hold, in its two forms: Python for a loaded hold, ORM for a query.
    # An expired hold is the same as no hold, for every reader, at once: no sweeper needed.

    def is_live(self, now) -> bool:
        return self.status == self.Status.ACTIVE and self.expires_at > now

    @staticmethod
    def live_q(now, prefix: str = "") -> Q:
        """Holds live at ``now``; ``prefix`` reaches them through a relation (``"hold__"``)."""
        return Q(**{f"{prefix}status": HoldStatus.ACTIVE, f"{prefix}expires_at__gt": now})

    def status_at(self, now) -> str:
        """The status a reader is told at ``now``: an active hold past its expiry is expired."""
        if self.status == self.Status.ACTIVE and not self.is_live(now):
            return self.Status.EXPIRED
        return self.status
