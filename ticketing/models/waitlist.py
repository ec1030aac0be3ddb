from django.db import models
from django.db.models import Q


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Offered"
    FULFILLED = "fulfilled", "Fulfilled"
    EXPIRED = "expired", "Expired"
    LEFT = "left", "Left"


#: The statuses of an entry still in the list: a buyer has at most one such entry per event.
WAITLIST_OPEN = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


class WaitlistEntry(models.Model):
    """A buyer waiting for ``count`` seats (of ``category``, or any when blank) of a sold-out event.

    ``waiting`` → ``offered`` (seats came back: a hold was made for this buyer, ``Hold.waitlist_entry``
    points here) → ``fulfilled`` (the offer was booked) or ``expired`` (its hold ended unbooked);
    ``waiting``/``offered`` → ``left`` (the buyer left, or released the offer's hold). First come,
    first served: the order is the id. ``ticketing/services/waitlist.py`` is the only writer.
    """

    Status = WaitlistStatus

    event = models.ForeignKey("ticketing.Event", on_delete=models.CASCADE, related_name="waitlist")
    buyer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="waitlist_entries")
    count = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=WaitlistStatus.values), name="waitlist_status_valid"
            ),
            models.CheckConstraint(condition=Q(count__gte=1, count__lte=10), name="waitlist_count_range"),
            # One open entry per buyer and event: joining twice is refused (the lock gives the
            # good error, this is the backstop).
            models.UniqueConstraint(
                fields=["event", "buyer"],
                condition=Q(status__in=WAITLIST_OPEN),
                name="waitlist_one_open_entry",
            ),
        ]
        indexes = [
            # The offer's search: the first waiting entries of an event, in id order.
            models.Index(
                fields=["event", "id"],
                name="waitlist_waiting_idx",
                condition=Q(status=WaitlistStatus.WAITING),
            ),
            # "My waiting list".
            models.Index(fields=["buyer", "id"], name="waitlist_buyer_idx"),
        ]

    def __str__(self) -> str:
        return f"waitlist entry {self.pk} ({self.status})"
