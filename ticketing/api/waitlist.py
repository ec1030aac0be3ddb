"""API of the waiting list: join a sold-out event's list, see your entries, leave (SPEC §9)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from config.serializers import StrictInputSerializer
from ticketing.api.events import QUEUE_PASS
from ticketing.models import Event, Hold, WaitlistEntry
from ticketing.selectors.events import event_public_get
from ticketing.selectors.waitlist import waitlist_entries_of
from ticketing.services.waiting_room import queue_pass_check
from ticketing.services.waitlist import MAX_COUNT, waitlist_join, waitlist_leave


class WaitlistJoinSerializer(StrictInputSerializer):
    count = serializers.IntegerField(min_value=1, max_value=MAX_COUNT)
    category = serializers.CharField(max_length=40, required=False, allow_blank=True)


class WaitlistEntrySerializer(serializers.ModelSerializer):
    """An entry as its buyer sees it at ``now``: an offer whose hold has expired (not yet swept),
    or a waiting entry of an event cancelled or started (no seat can come back for it), is
    already ``expired``; ``position`` (1 = next) only while waiting; ``hold`` and
    ``hold_expires_at`` while offered (book it with ``POST /bookings/ {"hold_id"}``)."""

    event_name = serializers.CharField(source="event.name", read_only=True)
    status = serializers.SerializerMethodField()
    position = serializers.SerializerMethodField()
    hold = serializers.SerializerMethodField()
    hold_expires_at = serializers.SerializerMethodField()

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "event",
            "event_name",
            "count",
            "category",
            "status",
            "position",
            "hold",
            "hold_expires_at",
            "created_at",
        ]
        read_only_fields = fields

    def _now(self) -> datetime:
        if "now" not in self.context:
            self.context["now"] = timezone.now()
        return self.context["now"]

    def _offer(self, entry: WaitlistEntry) -> Hold | None:
        try:
            return entry.offer
        except Hold.DoesNotExist:
            return None

    @extend_schema_field(serializers.ChoiceField(choices=WaitlistEntry.Status.choices))
    def get_status(self, entry: WaitlistEntry) -> str:
        offer, now, event = self._offer(entry), self._now(), entry.event
        if entry.status == WaitlistEntry.Status.OFFERED and offer and not offer.is_live(now):
            return WaitlistEntry.Status.EXPIRED
        over = event.status == Event.Status.CANCELLED or event.starts_at <= now
        if entry.status == WaitlistEntry.Status.WAITING and over:
            return WaitlistEntry.Status.EXPIRED
        return entry.status

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_position(self, entry: WaitlistEntry) -> int | None:
        if self.get_status(entry) != WaitlistEntry.Status.WAITING:
            return None
        return (getattr(entry, "ahead", None) or 0) + 1

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_hold(self, entry: WaitlistEntry) -> int | None:
        offer = self._offer(entry)
        offered = offer is not None and self.get_status(entry) == WaitlistEntry.Status.OFFERED
        return offer.pk if offered else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_hold_expires_at(self, entry: WaitlistEntry) -> str | None:
        offer = self._offer(entry)
        if offer is None or self.get_status(entry) != WaitlistEntry.Status.OFFERED:
            return None
        return serializers.DateTimeField().to_representation(offer.expires_at)


class EventWaitlistView(APIView):
    """Join a sold-out event's waiting list."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=WaitlistJoinSerializer, responses={201: WaitlistEntrySerializer}, parameters=[QUEUE_PASS]
    )
    def post(self, request, pk: int):
        event = event_public_get(pk)
        # an event with a waiting room: only buyers it admitted join its waiting list, as only
        # they hold seats (the line is the one way in, whichever way seats are taken)
        queue_pass_check(
            event=event, buyer_id=request.user.pk, value=request.headers.get("Queue-Pass"), now=timezone.now()
        )
        data = WaitlistJoinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = waitlist_join(buyer=request.user, event=event, **data.validated_data)
        return Response(WaitlistEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class WaitlistViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's waiting-list entries, newest first; leave one with DELETE."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = WaitlistEntrySerializer
    queryset = WaitlistEntry.objects.none()  # the schema's model; the rows are the caller's own
    lookup_value_regex = r"\d{1,18}"  # anything else is a 404 before the view

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return WaitlistEntry.objects.none()
        return waitlist_entries_of(buyer=self.request.user)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        waitlist_leave(buyer=request.user, entry_id=int(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
