from rest_framework import serializers

from config.serializers import ChoiceField, StrictInputSerializer
from venues.models import Hall, Venue


class VenueSerializer(serializers.ModelSerializer):
    class Meta:
        model = Venue
        fields = ["id", "name", "kind", "city", "address", "time_zone"]
        read_only_fields = fields


class VenueInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    kind = ChoiceField(choices=Venue.Kind.choices)
    city = serializers.CharField(max_length=120)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    time_zone = serializers.CharField(
        max_length=64,
        required=False,
        help_text="IANA time zone name (default UTC), e.g. Europe/Paris: event times are shown in it.",
    )


class HallSerializer(serializers.ModelSerializer):
    seat_count = serializers.IntegerField(read_only=True, default=0)
    venue_name = serializers.CharField(source="venue.name", read_only=True)

    class Meta:
        model = Hall
        fields = ["id", "venue", "venue_name", "name", "seat_count"]
        read_only_fields = fields


class HallInputSerializer(StrictInputSerializer):
    venue = serializers.PrimaryKeyRelatedField(queryset=Venue.objects.all())
    name = serializers.CharField(max_length=200)


class HallFilterSerializer(serializers.Serializer):
    venue = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)  # a bigint id


class LayoutRowSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=10)
    seats = serializers.IntegerField(min_value=1, max_value=1000)
    first_number = serializers.IntegerField(min_value=1, required=False)
    category = serializers.CharField(max_length=40, required=False)
    accessible = serializers.ListField(child=serializers.IntegerField(), required=False)
    x = serializers.FloatField(required=False, help_text="The first seat's x on the hall's plan (with y).")
    y = serializers.FloatField(required=False, help_text="The row's y on the hall's plan (with x).")
    pitch = serializers.FloatField(required=False, help_text="Distance between two seats along x (1).")


class LayoutSectionSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    rows = LayoutRowSerializer(many=True)


class LayoutInputSerializer(serializers.Serializer):
    """Documents the layout's shape; the layout service validates it (with paths in errors)."""

    sections = LayoutSectionSerializer(many=True)


class LayoutSummarySerializer(serializers.Serializer):
    sections = serializers.IntegerField()
    seats = serializers.IntegerField()


# Documentation of GET /halls/{id}/layout/ (the view renders the selector's dicts).
class LayoutSeatOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    category = serializers.CharField()
    accessible = serializers.BooleanField()


class LayoutRowOutSerializer(serializers.Serializer):
    label = serializers.CharField()
    seats = LayoutSeatOutSerializer(many=True)


class LayoutSectionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    rows = LayoutRowOutSerializer(many=True)


class HallLayoutSerializer(serializers.Serializer):
    hall = serializers.IntegerField()
    sections = LayoutSectionOutSerializer(many=True)
