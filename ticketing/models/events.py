from django.db import models
from django.db.models import Q


class EventKind(models.TextChoices):
    MATCH = "match", "Match"
    SHOW = "show", "Show"


class EventStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ON_SALE = "on_sale", "On sale"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class Event(models.Model):
    """A match or a show in a hall. Its inventory is one EventSeat per seat of the hall."""

    Kind = EventKind

    Status = EventStatus

    kind = models.CharField(max_length=8, choices=Kind.choices)
    title = models.CharField(max_length=200, blank=True)
    home_team = models.CharField(max_length=120, blank=True)
    away_team = models.CharField(max_length=120, blank=True)
    hall = models.ForeignKey("venues.Hall", on_delete=models.PROTECT, related_name="events")
    starts_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    hold_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Hold time for this event; empty = the default."
    )
    max_seats_per_buyer = models.PositiveIntegerField(
        null=True, blank=True, help_text="Held plus booked seats per buyer; empty = the default."
    )
    # The waiting room (DESIGN.md, "Waiting room"): both set, or neither (no waiting room).
    waiting_room_opens_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Waiting room: when its line opens (who joined before gets a random place). "
        "Empty = no waiting room.",
    )
    waiting_room_admit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="Waiting room: buyers let through to the seat map per minute."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    #: The bounds of ``waiting_room_admit_per_minute`` (the constraint below, the API, the admin).
    ADMIT_PER_MINUTE_MAX = 100_000

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="event_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=EventStatus.values), name="event_status_valid"),
            models.CheckConstraint(
                condition=~Q(kind="match") | (~Q(home_team="") & ~Q(away_team="")),
                name="event_match_has_teams",
            ),
            models.CheckConstraint(condition=~Q(kind="show") | ~Q(title=""), name="event_show_has_title"),
            models.CheckConstraint(
                condition=Q(hold_seconds__isnull=True)
                | (Q(hold_seconds__gte=10) & Q(hold_seconds__lte=3600)),
                name="event_hold_seconds_range",
            ),
            models.CheckConstraint(
                condition=Q(max_seats_per_buyer__isnull=True)
                | (Q(max_seats_per_buyer__gte=1) & Q(max_seats_per_buyer__lte=100)),
                name="event_max_seats_per_buyer_range",
            ),
            models.CheckConstraint(
                condition=(
                    Q(waiting_room_opens_at__isnull=True) & Q(waiting_room_admit_per_minute__isnull=True)
                )
                | (
                    Q(waiting_room_opens_at__isnull=False)
                    & Q(waiting_room_admit_per_minute__gte=1)
                    & Q(waiting_room_admit_per_minute__lte=100_000)
                ),
                name="event_waiting_room_complete",
            ),
        ]
        indexes = [
            # The public catalogue lists on-sale events by start time.
            models.Index(fields=["status", "starts_at"], name="event_status_starts_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_waiting_room(self) -> bool:
        return self.waiting_room_opens_at is not None

    @property
    def name(self) -> str:
        if self.kind == self.Kind.MATCH:
            return f"{self.home_team} vs {self.away_team}"
        return self.title


class EventPrice(models.Model):
    """The price of one seat category at one event."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="prices")
    category = models.CharField(max_length=40)
    amount = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["event_id", "category"]
        constraints = [
            models.UniqueConstraint(fields=["event", "category"], name="event_price_unique_per_category"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="event_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.amount}"
