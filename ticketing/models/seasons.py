from django.db import models
from django.db.models import Q


class SeasonStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ON_SALE = "on_sale", "On sale"
    CLOSED = "closed", "Closed"


class SeasonRefundRule(models.TextChoices):
    NONE = "none", "No refund"
    PRO_RATA = "pro_rata", "Pro rata of the events not started"


class Season(models.Model):
    """A season ticket offer: the same hall seats for every event of ``events`` (all in ``hall``).

    A season hold (``Hold.season``) holds one event seat per (event, hall seat); its booking
    (``Booking.season``) has one ticket per (event, hall seat). ``prices``: the season price of a
    hall seat per category, for all the events together (``SeasonPrice``). The events cannot
    change once the season has holds or bookings (``season_events_set``).
    """

    Status = SeasonStatus
    RefundRule = SeasonRefundRule

    name = models.CharField(max_length=200)
    hall = models.ForeignKey("venues.Hall", on_delete=models.PROTECT, related_name="seasons")
    events = models.ManyToManyField("ticketing.Event", related_name="seasons", through="SeasonEvent")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    refund_rule = models.CharField(
        max_length=10,
        choices=RefundRule.choices,
        default=RefundRule.PRO_RATA,
        help_text="Cancelling a season booking: refund the tickets of the events not started, or nothing.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=SeasonStatus.values), name="season_status_valid"),
            models.CheckConstraint(
                condition=Q(refund_rule__in=SeasonRefundRule.values), name="season_refund_rule_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SeasonEvent(models.Model):
    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="season_events")
    event = models.ForeignKey("ticketing.Event", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["event_id"]
        constraints = [models.UniqueConstraint(fields=["season", "event"], name="season_event_unique")]

    def __str__(self) -> str:
        return f"season {self.season_id} event {self.event_id}"


class SeasonPrice(models.Model):
    """The season price of one hall seat of ``category``: for all the season's events together."""

    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="prices")
    category = models.CharField(max_length=40)
    amount = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["category"]
        constraints = [
            models.UniqueConstraint(fields=["season", "category"], name="season_price_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="season_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.amount}"
