from django.db import models
from django.db.models import Q

#: The code of the full price: every event has it, priced by its ``EventPrice`` rows (no row here).
FULL = "full"


class TicketType(models.Model):
    """A kind of ticket sold beside the full price (reduced, child, member...): its own price per
    seat category. A category it has no price for cannot be sold at this type. ``Ticket.ticket_type``
    keeps the code. A type staff remove is retired (``active`` false: no longer offered), never
    deleted, so every ticket's type stays known by name, even one booked from a price quoted just
    before the removal."""

    event = models.ForeignKey("ticketing.Event", on_delete=models.CASCADE, related_name="ticket_types")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=60)
    #: {"<category>": "40.00"}: validated against the hall's categories by the service
    prices = models.JSONField(default=dict, blank=True)
    max_per_booking = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="At most this many tickets of this type in one booking; empty = no limit.",
    )
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(
        default=True, help_text="Offered to buyers; a removed type is kept, inactive."
    )

    class Meta:
        ordering = ["event_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "code"], name="ticket_type_unique_per_event"),
            models.CheckConstraint(
                condition=~Q(code=FULL) & ~Q(code=""),
                name="ticket_type_code_not_full",
                violation_error_message="full is the event's own prices: it cannot be a ticket type.",
            ),
            models.CheckConstraint(
                condition=Q(max_per_booking__isnull=True)
                | (Q(max_per_booking__gte=1) & Q(max_per_booking__lte=100)),
                name="ticket_type_max_per_booking_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
