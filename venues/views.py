"""Venues and halls: anyone reads, staff write. Each method parses, calls one service, renders."""

from django.db.models import Count
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.errors import Invalid
from config.permissions import IsStaffOrReadOnly
from venues.models import Hall, Venue
from venues.selectors import layout_get
from venues.serializers import (
    HallFilterSerializer,
    HallInputSerializer,
    HallLayoutSerializer,
    HallSerializer,
    LayoutInputSerializer,
    LayoutSummarySerializer,
    VenueInputSerializer,
    VenueSerializer,
)
from venues.services import (
    hall_create,
    hall_delete,
    hall_update,
    layout_replace,
    venue_create,
    venue_delete,
    venue_update,
)


class VenueViewSet(viewsets.ModelViewSet):
    """Venues: anyone reads, staff write."""

    queryset = Venue.objects.order_by("name")
    serializer_class = VenueSerializer
    permission_classes = [IsStaffOrReadOnly]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @extend_schema(request=VenueInputSerializer, responses={201: VenueSerializer})
    def create(self, request, *args, **kwargs):
        data = VenueInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        venue = venue_create(**data.validated_data)
        return Response(VenueSerializer(venue).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=VenueInputSerializer(partial=True), responses=VenueSerializer)
    def partial_update(self, request, *args, **kwargs):
        data = VenueInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        venue = venue_update(venue=self.get_object(), **data.validated_data)
        return Response(VenueSerializer(venue).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        venue_delete(venue=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class HallViewSet(viewsets.ModelViewSet):
    """Halls of venues, and their seat layouts."""

    serializer_class = HallSerializer
    permission_classes = [IsStaffOrReadOnly]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def get_queryset(self):
        halls = Hall.objects.select_related("venue").annotate(seat_count=Count("sections__seats"))
        return halls.order_by("venue_id", "name")

    def _render(self, hall: Hall) -> dict:
        return HallSerializer(self.get_queryset().get(pk=hall.pk)).data

    @extend_schema(parameters=[HallFilterSerializer])
    def list(self, request, *args, **kwargs):
        filters = HallFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        halls = self.get_queryset()
        if "venue" in filters.validated_data:
            halls = halls.filter(venue_id=filters.validated_data["venue"])
        page = self.paginate_queryset(halls)
        return self.get_paginated_response(HallSerializer(page, many=True).data)

    @extend_schema(request=HallInputSerializer, responses={201: HallSerializer})
    def create(self, request, *args, **kwargs):
        data = HallInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hall = hall_create(**data.validated_data)
        return Response(self._render(hall), status=status.HTTP_201_CREATED)

    @extend_schema(request=HallInputSerializer(partial=True), responses=HallSerializer)
    def partial_update(self, request, *args, **kwargs):
        data = HallInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        hall = hall_update(hall=self.get_object(), **data.validated_data)
        return Response(self._render(hall))

    @extend_schema(exclude=True)
    def update(self, request, *args, **kwargs):  # PUT on a hall itself is not offered.
        return self.http_method_not_allowed(request, *args, **kwargs)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        hall_delete(hall=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["GET"], responses=HallLayoutSerializer)
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
