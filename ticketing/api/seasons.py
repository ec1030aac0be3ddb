"""API of seasons: staff define them; anyone reads them and their seat map; a buyer holds the
same hall seats for every event of a season (``POST /seasons/{id}/holds/``), then books the hold
with ``POST /bookings/`` like any other."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.permissions import IsStaffOrReadOnly
from config.throttling import ScopedRateThrottle
from ticketing.api import serializers as s
from ticketing.api.idempotency import IDEMPOTENCY_KEY, idempotent
from ticketing.models import Season
from ticketing.selectors.seasons import season_seat_map, seasons_visible_to
from ticketing.services.seasons import season_create, season_hold_create
from venues.models import Hall


class SeasonEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    starts_at = serializers.DateTimeField()
    status = serializers.CharField()


class SeasonSerializer(serializers.ModelSerializer):
    events = SeasonEventSerializer(many=True, read_only=True)
    prices = serializers.SerializerMethodField()
    venue_time_zone = serializers.CharField(source="hall.venue.time_zone", read_only=True)

    class Meta:
        model = Season
        fields = ["id", "name", "hall", "status", "refund_rule", "events", "prices", "venue_time_zone"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_prices(self, season: Season) -> dict[str, str]:
        return {price.category: str(price.amount) for price in season.prices.all()}


class SeasonCreateSerializer(s.StrictSerializer):
    name = serializers.CharField(max_length=200)
    hall = serializers.PrimaryKeyRelatedField(queryset=Hall.objects.all())
    events = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), allow_empty=False, max_length=100
    )
    prices = serializers.DictField(
        child=serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0),
        help_text="The season price of one hall seat per category, for all the events together.",
    )
    status = s.ChoiceField(choices=Season.Status.choices, required=False, default=Season.Status.ON_SALE)
    refund_rule = s.ChoiceField(
        choices=Season.RefundRule.choices, required=False, default=Season.RefundRule.PRO_RATA
    )


class SeasonSeatSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The hall seat id, used in a season hold.")
    section = serializers.CharField()
    row = serializers.CharField()
    number = serializers.IntegerField()
    category = serializers.CharField()
    price = serializers.CharField(allow_null=True, help_text="The season price (all events).")
    status = s.ChoiceField(
        choices=[("available", "Available in every event"), ("taken", "Taken in some event")]
    )
    mine = serializers.BooleanField()


class SeasonSeatMapSerializer(serializers.Serializer):
    season = serializers.IntegerField()
    seats = SeasonSeatSerializer(many=True)


class SeasonViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Seasons: anyone reads those on sale or closed, staff all of them and create them."""

    permission_classes = [IsStaffOrReadOnly]
    serializer_class = SeasonSerializer
    throttle_scope: str | None = None  # set per action (holds)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Season.objects.none()
        return seasons_visible_to(user=self.request.user)

    @extend_schema(request=SeasonCreateSerializer, responses={201: SeasonSerializer})
    def create(self, request, *args, **kwargs):
        data = SeasonCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        season = season_create(
            name=values["name"],
            hall=values["hall"],
            event_ids=values["events"],
            prices=values["prices"],
            status=values["status"],
            refund_rule=values["refund_rule"],
        )
        return Response(
            SeasonSerializer(self.get_queryset().get(pk=season.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(responses={200: SeasonSeatMapSerializer})
    @action(detail=True, methods=["get"])
    def seats(self, request, pk=None):
        """The season's seat map: a hall seat is available when it is in every event."""
        season = self.get_object()
        rows = season_seat_map(season=season, user=request.user, now=timezone.now())
        return Response({"season": season.pk, "seats": rows})

    @extend_schema(
        request=s.SeatIdsInputSerializer, responses={201: s.HoldSerializer}, parameters=[IDEMPOTENCY_KEY]
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[permissions.IsAuthenticated],
        throttle_classes=[ScopedRateThrottle],
        throttle_scope="hold",
    )
    def holds(self, request, pk=None):
        """Hold these hall seats in every event of the season, all or nothing."""
        season = self.get_object()
        data = s.SeatIdsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        seat_ids = data.validated_data["seat_ids"]

        def operation():
            hold = season_hold_create(buyer=request.user, season=season, seat_ids=seat_ids)
            return status.HTTP_201_CREATED, s.HoldSerializer(hold).data

        return idempotent(request, operation)
