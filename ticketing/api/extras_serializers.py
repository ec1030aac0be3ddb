"""Input and output serializers of best available, check-in, event cancellation and reports."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from ticketing.api.serializers import HoldSerializer, StrictSerializer


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
    event = serializers.IntegerField(source="booking.event_id")
    event_name = serializers.CharField(source="booking.event.name")
    starts_at = serializers.DateTimeField(source="booking.event.starts_at")
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
    state = serializers.ChoiceField(choices=["not_cancelled", "in_progress", "done"])
    bookings_confirmed = serializers.IntegerField(help_text="Still to cancel.")
    bookings_cancelled = serializers.IntegerField()
    holds_active = serializers.IntegerField()
    refunds_due = serializers.IntegerField(help_text="Refunds decided but not yet confirmed by the gateway.")
    refunds_done = serializers.IntegerField()
    checked_in_voided = serializers.IntegerField(
        help_text="Tickets checked in at the gate that the cancellation voided (and refunded)."
    )


class ReportQuerySerializer(serializers.Serializer):
    part = serializers.ChoiceField(choices=["inventory", "sales"], required=False, default="inventory")
    bucket = serializers.ChoiceField(choices=["hour", "day"], required=False)
