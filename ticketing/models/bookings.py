from django.db import models
from django.db.models import Q


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"


class Booking(models.Model):
    """A confirmed purchase made from a hold. It never disappears; cancelling frees its seats."""

    Status = BookingStatus

    buyer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="bookings")
    # One event, or a season (a ticket per event and hall seat): exactly one of the two.
    event = models.ForeignKey(
        "ticketing.Event", on_delete=models.PROTECT, related_name="bookings", null=True, blank=True
    )
    season = models.ForeignKey(
        "ticketing.Season", on_delete=models.PROTECT, related_name="bookings", null=True, blank=True
    )
    hold = models.OneToOneField(
        "ticketing.Hold", on_delete=models.PROTECT, related_name="booking", null=True, blank=True
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=BookingStatus.values), name="booking_status_valid"),
            models.CheckConstraint(
                condition=Q(status="confirmed", cancelled_at__isnull=True)
                | Q(status="cancelled", cancelled_at__isnull=False),
                name="booking_cancelled_has_time",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="booking_total_not_negative"),
            models.CheckConstraint(
                condition=Q(event__isnull=False, season__isnull=True)
                | Q(event__isnull=True, season__isnull=False),
                name="booking_event_or_season",
            ),
        ]
        indexes = [
            models.Index(fields=["buyer", "-created_at"], name="booking_buyer_created_idx"),
            models.Index(fields=["event", "status"], name="booking_event_status_idx"),
        ]

    def __str__(self) -> str:
        return f"booking {self.pk} ({self.status})"


class TicketStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    VOID = "void", "Void"
    TRANSFERRED = "transferred", "Transferred"  # replaced by the new owner's ticket (``replaced_by``)


class Ticket(models.Model):
    """One booked seat. ``code`` is unguessable. At most one active ticket per event seat.

    A transfer (services/transfers.py) ends a ticket as ``transferred`` and gives its seat a new
    active ticket in the same booking, with a new code, owned by the other account: ``owner``
    (null: the booking's buyer, which every ticket a booking made has) and ``replaces``.
    """

    Status = TicketStatus

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="tickets")
    event_seat = models.ForeignKey("ticketing.EventSeat", on_delete=models.PROTECT, related_name="tickets")
    code = models.CharField(max_length=200, unique=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    #: the ticket type's code (``full``, or a ``TicketType`` of the event); ``price`` is its price
    ticket_type = models.CharField(max_length=20, default="full", db_default="full")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets_received",
        help_text="Who holds the ticket after a transfer; empty: the booking's buyer.",
    )
    replaces = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
        help_text="The ticket this one replaced by a transfer (at most one successor each).",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            # The backstop: the database refuses a double sale even if code had a bug.
            models.UniqueConstraint(
                fields=["event_seat"],
                condition=Q(status="active"),
                name="ticket_one_active_per_event_seat",
            ),
            models.CheckConstraint(condition=Q(status__in=TicketStatus.values), name="ticket_status_valid"),
            models.CheckConstraint(condition=Q(price__gte=0), name="ticket_price_not_negative"),
        ]
        indexes = [
            # GET /tickets/: the tickets a buyer received by transfer (the others by their booking).
            models.Index(fields=["owner"], name="ticket_owner_idx", condition=Q(owner__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"ticket {self.pk} ({self.status})"
