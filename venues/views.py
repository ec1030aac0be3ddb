from django.db.models import Count
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.errors import Invalid
from config.permissions import IsStaffOrReadOnly
from venues.models import Hall, Venue
from venues.selectors import layout_get
from venues.serializers import (
    HallSerializer,
    LayoutInputSerializer,
    LayoutSummarySerializer,
    VenueSerializer,
)
from venues.services import layout_replace


class VenueViewSet(viewsets.ModelViewSet):
    """Venues: anyone reads, staff write."""

    queryset = Venue.objects.all()
    serializer_class = VenueSerializer
    permission_classes = [IsStaffOrReadOnly]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]


class HallViewSet(viewsets.ModelViewSet):
    """Halls of venues, and their seat layouts."""

    serializer_class = HallSerializer
    permission_classes = [IsStaffOrReadOnly]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def get_queryset(self):
        halls = Hall.objects.select_related("venue").annotate(seat_count=Count("sections__seats"))
        venue = self.request.query_params.get("venue")
        if venue is not None:
            if not venue.isdigit():
                raise Invalid("venue must be an id.", fields={"venue": ["A whole number."]})
            halls = halls.filter(venue_id=venue)
        return halls.order_by("venue_id", "name")

    @extend_schema(exclude=True)
    def update(self, request, *args, **kwargs):  # PUT on a hall itself is not offered.
        return self.http_method_not_allowed(request, *args, **kwargs)

    @extend_schema(
        methods=["GET"],
        responses=inline_serializer(
            "HallLayout", {"hall": serializers.IntegerField(), "sections": serializers.JSONField()}
        ),
    )
    @extend_schema(methods=["PUT"], request=LayoutInputSerializer, responses=LayoutSummarySerializer)
    @action(detail=True, methods=["get", "put"], permission_classes=[IsStaffOrReadOnly])
    def layout(self, request, pk=None):
        hall = self.get_object()
        if request.method == "PUT":
            if not isinstance(request.data, dict):
                raise Invalid("Send an object with sections.", fields={"sections": ["Required."]})
            summary = layout_replace(hall=hall, sections=request.data.get("sections"))
            return Response({"sections": summary.sections, "seats": summary.seats})
        return Response({"hall": hall.pk, "sections": layout_get(hall=hall)})
