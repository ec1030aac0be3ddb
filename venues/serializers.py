from rest_framework import serializers

from venues.models import Hall, Venue


class VenueSerializer(serializers.ModelSerializer):
    class Meta:
        model = Venue
        fields = ["id", "name", "kind", "city", "address"]


class HallSerializer(serializers.ModelSerializer):
    seat_count = serializers.IntegerField(read_only=True, default=0)
    venue_name = serializers.CharField(source="venue.name", read_only=True)

    class Meta:
        model = Hall
        fields = ["id", "venue", "venue_name", "name", "seat_count"]


class LayoutRowSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=10)
    seats = serializers.IntegerField(min_value=1, max_value=1000)
    first_number = serializers.IntegerField(min_value=1, required=False)
    category = serializers.CharField(max_length=40, required=False)
    accessible = serializers.ListField(child=serializers.IntegerField(), required=False)


class LayoutSectionSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    rows = LayoutRowSerializer(many=True)


class LayoutInputSerializer(serializers.Serializer):
    """Documents the layout's shape; the layout service validates it (with paths in errors)."""

    sections = LayoutSectionSerializer(many=True)


class LayoutSummarySerializer(serializers.Serializer):
    sections = serializers.IntegerField()
    seats = serializers.IntegerField()
