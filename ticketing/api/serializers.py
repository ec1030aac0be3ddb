"""Input and output serializers of the ticketing API (no business rules here)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.serializers import ChoiceField
from ticketing.models import Booking, Event, EventSeat, Hold, Ticket
from ticketing.selectors.ticket_types import ticket_types_of
from ticketing.services.seasons import season_price_shares
from venues.models import Hall


class StrictSerializer(serializers.Serializer):
    """Refuses unknown fields instead of silently ignoring them."""

    refuses_unknown_fields = True  # the schema says additionalProperties: false (config/openapi.py)

    def validate(self, attrs):
        unknown = set(getattr(self, "initial_data", {}) or {}) - set(self.fields)
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
        return attrs


class AvailabilitySerializer(serializers.Serializer):
    available = serializers.IntegerField()
    held = serializers.IntegerField()
    booked = serializers.IntegerField()
    blocked = serializers.IntegerField()


class WaitingRoomSerializer(StrictSerializer):
    opens_at = serializers.DateTimeField(
        help_text="When the line opens: who joined before gets a random place then, later ones queue behind."
    )
    admit_per_minute = serializers.IntegerField(
        min_value=1, max_value=Event.ADMIT_PER_MINUTE_MAX, help_text="Buyers let through per minute."
    )

    def to_internal_value(self, data):
        # nested, it has no initial_data of its own: unknown keys are refused here
        if isinstance(data, dict) and (unknown := set(data) - set(self.fields)):
            raise serializers.ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
        return super().to_internal_value(data)


WAITING_ROOM_HELP = "The event's waiting room (buyers queue at POST /events/{id}/queue/); null: none."


def waiting_room_fields(data: dict) -> dict:
    """The input's ``waiting_room`` (an object or null) as the model's two fields, if given."""
    if "waiting_room" not in data:
        return data
    room = data.pop("waiting_room") or {}
    return {
        **data,
        "waiting_room_opens_at": room.get("opens_at"),
        "waiting_room_admit_per_minute": room.get("admit_per_minute"),
    }


class TicketTypeSerializer(StrictSerializer):
    code = serializers.CharField(max_length=20, help_text="1-20 of a-z, 0-9, _ and -; never `full`.")
    name = serializers.CharField(max_length=60)
    prices = serializers.DictField(
        child=serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0),
        help_text="Per seat category; a category left out is not sold at this type.",
    )
    max_per_booking = serializers.IntegerField(
        min_value=1,
        max_value=100,
        required=False,
        allow_null=True,
        help_text="At most this many per booking.",
    )

    def to_internal_value(self, data):
        # nested, it has no initial_data of its own: unknown keys are refused here
        if isinstance(data, dict) and (unknown := set(data) - set(self.fields)):
            raise serializers.ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
        return super().to_internal_value(data)


TICKET_TYPES_HELP = "Ticket types beside the full price (replaces the event's list when given)."


class EventSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    venue = serializers.IntegerField(source="hall.venue_id", read_only=True)
    venue_name = serializers.CharField(source="hall.venue.name", read_only=True)
    venue_kind = serializers.CharField(source="hall.venue.kind", read_only=True)
    venue_time_zone = serializers.CharField(
        source="hall.venue.time_zone",
        read_only=True,
        help_text="IANA time zone of the venue (e.g. Europe/Paris): show `starts_at` in it, labelled.",
    )
    city = serializers.CharField(source="hall.venue.city", read_only=True)
    hall_name = serializers.CharField(source="hall.name", read_only=True)
    prices = serializers.SerializerMethodField()
    ticket_types = serializers.SerializerMethodField(
        help_text="`full` (the event's `prices`) first, then the event's other ticket types."
    )
    availability = serializers.SerializerMethodField()
    waiting_room = serializers.SerializerMethodField(help_text=WAITING_ROOM_HELP)

    class Meta:
        model = Event
        fields = [
            "id",
            "kind",
            "name",
            "title",
            "home_team",
            "away_team",
            "hall",
            "hall_name",
            "venue",
            "venue_name",
            "venue_kind",
            "venue_time_zone",
            "city",
            "starts_at",
            "status",
            "prices",
            "ticket_types",
            "hold_seconds",
            "max_seats_per_buyer",
            "waiting_room",
            "availability",
        ]
        read_only_fields = fields

    @extend_schema_field(TicketTypeSerializer(many=True))
    def get_ticket_types(self, event: Event) -> list[dict]:
        return ticket_types_of(event=event)

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_prices(self, event: Event) -> dict[str, str]:
        return {price.category: str(price.amount) for price in event.prices.all()}

    @extend_schema_field(WaitingRoomSerializer(allow_null=True))
    def get_waiting_room(self, event: Event) -> dict | None:
        if event.waiting_room_opens_at is None:
            return None
        return {
            "opens_at": serializers.DateTimeField().to_representation(event.waiting_room_opens_at),
            "admit_per_minute": event.waiting_room_admit_per_minute,
        }

    @extend_schema_field(AvailabilitySerializer)
    def get_availability(self, event: Event) -> dict[str, int] | None:
        return self.context.get("availability", {}).get(event.pk)


class EventInputSerializer(StrictSerializer):
    kind = ChoiceField(choices=Event.Kind.choices)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    home_team = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    away_team = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    hall = serializers.PrimaryKeyRelatedField(queryset=Hall.objects.all())
    starts_at = serializers.DateTimeField()
    status = ChoiceField(
        choices=[(s.value, s.label) for s in (Event.Status.DRAFT, Event.Status.ON_SALE)],
        required=False,
        default=Event.Status.DRAFT,
    )
    prices = serializers.DictField(
        child=serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0),
        required=False,
        default=dict,
    )
    hold_seconds = serializers.IntegerField(min_value=10, max_value=3600, required=False, allow_null=True)
    max_seats_per_buyer = serializers.IntegerField(
        min_value=1, max_value=100, required=False, allow_null=True
    )
    waiting_room = WaitingRoomSerializer(required=False, allow_null=True, help_text=WAITING_ROOM_HELP)
    ticket_types = TicketTypeSerializer(many=True, required=False, help_text=TICKET_TYPES_HELP)


class EventUpdateSerializer(StrictSerializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    home_team = serializers.CharField(max_length=120, required=False, allow_blank=True)
    away_team = serializers.CharField(max_length=120, required=False, allow_blank=True)
    starts_at = serializers.DateTimeField(required=False)
    status = ChoiceField(choices=Event.Status.choices, required=False)
    prices = serializers.DictField(
        child=serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0), required=False
    )
    hold_seconds = serializers.IntegerField(min_value=10, max_value=3600, required=False, allow_null=True)
    max_seats_per_buyer = serializers.IntegerField(
        min_value=1, max_value=100, required=False, allow_null=True
    )
    waiting_room = WaitingRoomSerializer(required=False, allow_null=True, help_text=WAITING_ROOM_HELP)
    ticket_types = TicketTypeSerializer(many=True, required=False, help_text=TICKET_TYPES_HELP)


class EventFilterSerializer(serializers.Serializer):
    kind = ChoiceField(choices=Event.Kind.choices, required=False)
    status = ChoiceField(choices=Event.Status.choices, required=False)
    venue = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)  # a bigint id
    starts_after = serializers.DateTimeField(required=False)
    starts_before = serializers.DateTimeField(required=False)


class SeatIdsInputSerializer(StrictSerializer):
    seat_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False)


class BlockInputSerializer(SeatIdsInputSerializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class BlockResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField()


class SeatMapSeatSerializer(serializers.Serializer):
    """Documentation of the seat map's shape (the view renders rows directly)."""

    id = serializers.IntegerField()
    section = serializers.CharField()
    row = serializers.CharField()
    number = serializers.IntegerField()
    category = serializers.CharField()
    price = serializers.CharField(allow_null=True)
    status = ChoiceField(choices=EventSeat.Status.choices)
    mine = serializers.BooleanField(required=False)
    accessible = serializers.BooleanField(required=False)
    x = serializers.FloatField(required=False, help_text="On the hall's plan, where the layout places it.")
    y = serializers.FloatField(required=False)


class SeatMapSectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SeatMapSerializer(serializers.Serializer):
    event = serializers.IntegerField()
    sections = SeatMapSectionSerializer(many=True)
    seats = SeatMapSeatSerializer(many=True)


class SeatMapSummarySectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    total = serializers.IntegerField()
    available = serializers.IntegerField()
    held = serializers.IntegerField()
    booked = serializers.IntegerField()
    blocked = serializers.IntegerField()
    left = serializers.DictField(child=serializers.IntegerField(), help_text="Available seats by category.")
    accessible_left = serializers.IntegerField(help_text="Available wheelchair spaces.")
    accessible_total = serializers.IntegerField(help_text="Wheelchair spaces, whatever their status.")
    from_price = serializers.CharField(allow_null=True, help_text="The lowest price of an available seat.")
    box = serializers.ListField(
        child=serializers.FloatField(),
        allow_null=True,
        help_text="[min x, min y, max x, max y] of its seats on the hall's plan (null: not placed).",
    )


class SeatMapSummarySerializer(serializers.Serializer):
    """Documentation of the seat map's summary (the view renders it directly)."""

    event = serializers.IntegerField()
    sections = SeatMapSummarySectionSerializer(many=True)


class HeldSeatSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.IntegerField(source="event_id", help_text="Its event (a season hold spans several).")
    hall_seat = serializers.IntegerField(source="seat_id")
    section = serializers.CharField(source="seat.section.name")
    row = serializers.CharField(source="seat.row_label")
    number = serializers.IntegerField(source="seat.number")
    category = serializers.CharField(source="seat.category")


class HoldSerializer(serializers.ModelSerializer):
    seats = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    seconds_left = serializers.SerializerMethodField()
    event_name = serializers.CharField(source="event.name", read_only=True, allow_null=True)
    season_name = serializers.CharField(source="season.name", read_only=True, allow_null=True)

    class Meta:
        model = Hold
        fields = [
            "id",
            "event",
            "event_name",
            "season",
            "season_name",
            "status",
            "seats",
            "total",
            "created_at",
            "expires_at",
            "seconds_left",
        ]
        read_only_fields = fields

    @extend_schema_field(HeldSeatSerializer(many=True))
    def get_seats(self, hold: Hold) -> list[dict]:
        seats = HeldSeatSerializer(hold.seats.all(), many=True).data
        for seat in seats:
            seat["price"] = hold.prices.get(seat["category"])
        if hold.season_id is not None:  # a season price is for all its events: each seat its share
            events = sorted({seat["event"] for seat in seats})
            for seat in seats:
                if seat["price"] is not None:
                    shares = season_price_shares(Decimal(seat["price"]), len(events))
                    seat["price"] = str(shares[events.index(seat["event"])])
        return seats

    @extend_schema_field(serializers.ChoiceField(choices=Hold.Status.choices))
    def get_status(self, hold: Hold) -> str:
        return hold.status_at(self._now())

    def get_seconds_left(self, hold: Hold) -> int:
        now = self._now()
        if not hold.is_live(now):
            return 0
        return max(0, int((hold.expires_at - now).total_seconds()))

    def _now(self) -> datetime:
        """One ``now`` per rendering, so that status and seconds_left always agree."""
        if "now" not in self.context:
            self.context["now"] = timezone.now()
        return self.context["now"]


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string", "maxLength": 20}})
class SeatTicketTypesField(serializers.DictField):
    """``{"<event seat id>": "<ticket type code>"}``: the keys become ints."""

    child = serializers.CharField(max_length=20)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        out, bad = {}, []
        for key, code in value.items():
            if not (key.isascii() and key.isdigit() and 0 < len(key) < 19 and int(key) > 0):
                bad.append(key)
            else:
                out[int(key)] = code
        if bad:
            raise serializers.ValidationError(
                f"Keys are event seat ids: {', '.join(sorted(bad))[:200]} are not."
            )
        return out


class BookingInputSerializer(StrictSerializer):
    hold_id = serializers.IntegerField(min_value=1)
    payment_token = serializers.CharField(
        max_length=200, required=False, help_text="From the payment provider (fake gateway default: tok_ok)."
    )
    ticket_types = SeatTicketTypesField(
        required=False,
        help_text="The ticket type of each seat of the hold, by event seat id (`GET /events/{id}/`"
        " lists the event's `ticket_types`); seats left out are `full`.",
    )


class BookingCancelInputSerializer(StrictSerializer):
    void_checked_in = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Staff only: void the booking although a ticket of it was checked in at the gate"
        " (the seat of that ticket stays blocked). Without it such a cancel is 409 ticket_checked_in.",
    )


class TicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.IntegerField(
        source="event_seat.event_id", help_text="Its event (a season's span several)."
    )
    event_name = serializers.CharField(source="event_seat.event.name")
    starts_at = serializers.DateTimeField(source="event_seat.event.starts_at")
    seat = serializers.IntegerField(source="event_seat_id")
    section = serializers.CharField(source="event_seat.seat.section.name")
    row = serializers.CharField(source="event_seat.seat.row_label")
    number = serializers.IntegerField(source="event_seat.seat.number")
    category = serializers.CharField(source="event_seat.seat.category")
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    type = serializers.CharField(source="ticket_type", help_text="The ticket type's code (`full`, ...).")
    code = serializers.CharField()
    status = ChoiceField(choices=Ticket.Status.choices)


class BookingSerializer(serializers.ModelSerializer):
    event_name = serializers.CharField(source="event.name", read_only=True, allow_null=True)
    starts_at = serializers.DateTimeField(source="event.starts_at", read_only=True, allow_null=True)
    season_name = serializers.CharField(source="season.name", read_only=True, allow_null=True)
    venue_time_zone = serializers.SerializerMethodField(
        help_text="IANA time zone of the event's (or season's) venue: show `starts_at` in it, labelled.",
    )
    seats = serializers.SerializerMethodField()
    tickets = TicketSerializer(many=True, read_only=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "event",
            "event_name",
            "season",
            "season_name",
            "starts_at",
            "venue_time_zone",
            "buyer",
            "status",
            "seats",
            "total",
            "created_at",
            "cancelled_at",
            "tickets",
        ]
        read_only_fields = fields

    def get_venue_time_zone(self, booking: Booking) -> str:
        return (booking.event or booking.season).hall.venue.time_zone

    @extend_schema_field({"type": "array", "items": {"type": "integer"}})
    def get_seats(self, booking: Booking) -> list[int]:
        # once each: a seat's ticket transferred and its successor are two tickets of one seat
        return list(dict.fromkeys(ticket.event_seat_id for ticket in booking.tickets.all()))


class BookingFilterSerializer(serializers.Serializer):
    event = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)  # a bigint id
    status = ChoiceField(choices=Booking.Status.choices, required=False)


# --- best available, check-in, event cancellation, the sales report ---------------------------


class BestAvailableSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=settings.TICKETING_MAX_SEATS_PER_HOLD)
    category = serializers.CharField(max_length=40, required=False)
    section = serializers.CharField(max_length=100, required=False)
    together = serializers.BooleanField(required=False, default=True)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class BestAvailableHoldInputSerializer(StrictSerializer):
    best_available = BestAvailableSerializer()


class HoldRequestSerializer(StrictSerializer):
    """Documentation of POST /events/{id}/holds/: exactly one of the two fields."""

    seat_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, help_text="These seats (event-seat ids)."
    )
    best_available = BestAvailableSerializer(
        required=False, help_text="Or: the best `count` seats, together unless `together` is false."
    )


class BestAvailableHoldSerializer(HoldSerializer):
    adjacent = serializers.BooleanField(
        read_only=True, help_text="Best available only: whether the seats are side by side in one row."
    )

    class Meta(HoldSerializer.Meta):
        fields = [*HoldSerializer.Meta.fields, "adjacent"]
        read_only_fields = fields


class CheckInInputSerializer(StrictSerializer):
    code = serializers.CharField(max_length=200, trim_whitespace=True)
    event = serializers.IntegerField(
        min_value=1, required=False, help_text="The event this gate serves: a ticket for another is refused."
    )


class CheckInSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(source="pk")
    booking = serializers.IntegerField(source="booking_id")
    event = serializers.IntegerField(source="event_seat.event_id")
    event_name = serializers.CharField(source="event_seat.event.name")
    starts_at = serializers.DateTimeField(source="event_seat.event.starts_at")
    section = serializers.CharField(source="event_seat.seat.section.name")
    row = serializers.CharField(source="event_seat.seat.row_label")
    seat = serializers.IntegerField(source="event_seat.seat.number")
    category = serializers.CharField(source="event_seat.seat.category")
    checked_in_at = serializers.DateTimeField()


class PublicKeySerializer(serializers.Serializer):
    algorithm = serializers.CharField()
    public_key = serializers.CharField(help_text="Raw 32-byte Ed25519 public key, base64.")
    code_format = serializers.CharField()


class EventCancelSerializer(serializers.Serializer):
    event = serializers.IntegerField()
    event_status = serializers.CharField()
    state = ChoiceField(choices=["not_cancelled", "in_progress", "done"])
    bookings_confirmed = serializers.IntegerField(help_text="Still to cancel.")
    bookings_cancelled = serializers.IntegerField()
    holds_active = serializers.IntegerField()
    refunds_due = serializers.IntegerField(help_text="Refunds decided but not yet confirmed by the gateway.")
    refunds_done = serializers.IntegerField()
    checked_in_voided = serializers.IntegerField(
        help_text="Tickets checked in at the gate that the cancellation voided (and refunded)."
    )


class ReportQuerySerializer(serializers.Serializer):
    part = ChoiceField(choices=["inventory", "sales", "types"], required=False, default="inventory")
    bucket = ChoiceField(choices=["hour", "day"], required=False)


# --- the waiting room --------------------------------------------------------------------------


class QueueAnswerSerializer(serializers.Serializer):
    """Documentation of the waiting room's answer (``QueueAnswer.as_dict``)."""

    status = ChoiceField(choices=[("waiting", "Waiting"), ("admitted", "Admitted")])
    token = serializers.CharField(help_text="Send it in the Queue-Token header to poll.")
    position = serializers.IntegerField(
        allow_null=True,
        help_text="1: you are next; 0 once admitted; null before opening (places are drawn then).",
    )
    ahead = serializers.IntegerField(allow_null=True, help_text="Buyers ahead of you still waiting.")
    estimated_wait_s = serializers.IntegerField(
        help_text="Seconds until your turn (before opening: until it opens)."
    )
    waiting = serializers.IntegerField(help_text="Buyers still waiting in all.")
    opens_at = serializers.DateTimeField()
    opened = serializers.BooleanField()
    admit_per_minute = serializers.IntegerField()
    poll_after_s = serializers.IntegerField(help_text="Poll again after this many seconds.")
    requeued = serializers.BooleanField(
        help_text="Your place was lost (the line restarted): you were queued again."
    )
    pass_expired = serializers.BooleanField(help_text="Your pass ran out: you are back in the line.")
    sold_out = serializers.BooleanField(help_text="No seat is left to sell.")
    pass_ = serializers.CharField(
        required=False, help_text="Admitted: send it in the Queue-Pass header of your holds."
    )
    pass_expires_at = serializers.DateTimeField(required=False)

    def get_fields(self):  # "pass" is a Python keyword: declared as pass_
        fields = super().get_fields()
        fields["pass"] = fields.pop("pass_")
        fields["pass_expires_at"] = fields.pop("pass_expires_at")
        return fields


# --- tickets and their transfer -------------------------------------------------------------


class OwnedTicketSerializer(TicketSerializer):
    booking = serializers.IntegerField(source="booking_id")
    event_name = serializers.CharField(source="event_seat.event.name")
    starts_at = serializers.DateTimeField(source="event_seat.event.starts_at")
    venue_time_zone = serializers.CharField(source="event_seat.event.hall.venue.time_zone")
    checked_in_at = serializers.DateTimeField(allow_null=True)
    received = serializers.SerializerMethodField(help_text="Whether another account transferred it to you.")

    def get_received(self, ticket: Ticket) -> bool:
        return ticket.owner_id is not None and ticket.owner_id != ticket.booking.buyer_id


class TicketFilterSerializer(serializers.Serializer):
    status = ChoiceField(choices=Ticket.Status.choices, required=False)
    event = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)


class TicketTransferInputSerializer(StrictSerializer):
    to = serializers.CharField(
        max_length=254, help_text="The username or email of the account to give it to."
    )
