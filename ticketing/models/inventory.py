from django.db import models
from django.db.models import Q


class SeatStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    HELD = "held", "Held"
    BOOKED = "booked", "Booked"
    BLOCKED = "blocked", "Blocked"


class EventSeat(models.Model):
    """One seat of one event: the inventory row every lock is taken on.

    ``status`` with ``hold``/``booking`` is the state. A ``held`` seat whose hold has expired
    is available: readers compare ``hold.expires_at`` with their ``now``, no sweeper needed.
    The seat map reads only the seats that are not available (``event_seat_taken_idx``) and
    derives its ETag from them.
    """

    Status = SeatStatus

    # No index of its own: event_seat_unique (event, seat) leads with the event and serves every
    # lookup by event; one index less makes a 40,000-seat inventory ~25% faster to create.
    event = models.ForeignKey(
        "ticketing.Event", on_delete=models.CASCADE, related_name="seats", db_index=False
    )
    seat = models.ForeignKey("venues.Seat", on_delete=models.PROTECT, related_name="event_seats")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.AVAILABLE)
    hold = models.ForeignKey(
        "ticketing.Hold", null=True, blank=True, on_delete=models.PROTECT, related_name="seats"
    )
    booking = models.ForeignKey(
        "ticketing.Booking", null=True, blank=True, on_delete=models.PROTECT, related_name="seats"
    )
    block_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "seat"], name="event_seat_unique"),
            models.CheckConstraint(condition=Q(status__in=SeatStatus.values), name="event_seat_status_valid"),
            # Each status carries exactly the reference it needs and no other.
            models.CheckConstraint(
                condition=(
                    Q(status="available", hold__isnull=True, booking__isnull=True)
                    | Q(status="held", hold__isnull=False, booking__isnull=True)
                    | Q(status="booked", hold__isnull=True, booking__isnull=False)
                    | Q(status="blocked", hold__isnull=True, booking__isnull=True)
                ),
                name="event_seat_status_references",
            ),
        ]
        indexes = [
            # The seat map and its ETag read only the seats that are not available: at on-sale
            # time a few hundred rows of a 40,000-seat event, found without touching the others.
            models.Index(
                fields=["event", "id"], condition=~Q(status="available"), name="event_seat_taken_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"event {self.event_id} seat {self.seat_id}: {self.status}"
