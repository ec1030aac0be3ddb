"""API of events: the catalogue, the seat map, staff blocking, holds on an event, cancelling it."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404  # a malformed id is a 404 too
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import Invalid
from config.permissions import IsStaff, IsStaffOrReadOnly
from config.throttling import ScopedRateThrottle
from ticketing.api import serializers as s
from ticketing.api.idempotency import IDEMPOTENCY_KEY, idempotent
from ticketing.models import Event
from ticketing.selectors.events import (
    event_pk,
    event_public_get,
    events_availability,
    events_filter,
    events_visible_to,
)
from ticketing.selectors.seat_map import (
    seat_map_render,
    seat_map_state,
    seat_map_summary,
    seat_map_summary_etag,
)
from ticketing.selectors.stream import stream_channel, stream_opening
from ticketing.services.best_available import hold_create_best_available
from ticketing.services.event_cancel import event_cancel, event_cancel_progress
from ticketing.services.events import event_create, event_update
from ticketing.services.holds import hold_create, hold_precheck
from ticketing.services.inventory import seats_block, seats_unblock
from ticketing.services.waiting_room import queue_pass_check, waiting_room_join, waiting_room_poll
from ticketing.stream_proxy import grip_proxied

QUEUE_PASS = OpenApiParameter(
    "Queue-Pass",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="On an event with a waiting room: the admission pass its queue gave you (else 403).",
)
QUEUE_TOKEN = OpenApiParameter(
    "Queue-Token",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The token POST /events/{id}/queue/ gave you.",
)


def _conditional_json(
    request: Request, etag: str, vary: str, render: Callable[[bool], tuple[bytes, bool]]
) -> HttpResponse:
    """A 304 when the client has ``etag``, else the JSON ``render(gzip_ok)`` returns (bytes, gzipped)."""
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": vary}
    if etag in request.headers.get("If-None-Match", ""):
        return HttpResponse(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
    body, gzipped = render("gzip" in request.headers.get("Accept-Encoding", ""))
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return HttpResponse(body, content_type="application/json", headers=headers)


class EventViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsStaffOrReadOnly]
    serializer_class = s.EventSerializer
    throttle_scope: str | None = None  # set per action (holds)
    # the hold verifies the account itself, the queue needs only the id (config/authentication.py)
    token_claims_suffice = ("holds", "queue")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_permissions(self):
        if self.action == "queue_poll":  # the Queue-Token is the credential
            return [permissions.AllowAny()]
        return super().get_permissions()

    def perform_authentication(self, request):
        if self.action != "queue_poll":  # a poll reads no access token (it may have expired meanwhile)
            super().perform_authentication(request)

    def get_queryset(self):
        user = self.request.user if self.request.user.is_authenticated else None
        return events_visible_to(user=user)

    def _render(self, events, *, many: bool = False):
        events = list(events) if many else [events]
        availability = events_availability(event_ids=[e.pk for e in events], now=timezone.now())
        serializer = s.EventSerializer(events, many=True, context={"availability": availability})
        return serializer.data if many else serializer.data[0]

    @extend_schema(parameters=[s.EventFilterSerializer])
    def list(self, request, *args, **kwargs):
        filters = s.EventFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        events = events_filter(self.get_queryset(), filters=filters.validated_data)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(self._render(page, many=True))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._render(self.get_object()))

    @extend_schema(request=s.EventInputSerializer, responses={201: s.EventSerializer})
    def create(self, request, *args, **kwargs):
        data = s.EventInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = event_create(**s.waiting_room_fields(data.validated_data))
        return Response(self._render(self.get_queryset().get(pk=event.pk)), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.EventUpdateSerializer, responses=s.EventSerializer)
    def partial_update(self, request, *args, **kwargs):
        data = s.EventUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = event_update(event=self.get_object(), **s.waiting_room_fields(data.validated_data))
        return Response(self._render(self.get_queryset().get(pk=event.pk)))

    @extend_schema(exclude=True)
    def update(self, request, *args, **kwargs):  # PUT is not offered: PATCH only.
        return self.http_method_not_allowed(request, *args, **kwargs)

    @extend_schema(
        responses={200: s.SeatMapSerializer, 304: OpenApiResponse(description="Not modified")},
        parameters=[
            OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER),
            OpenApiParameter(
                "section",
                int,
                OpenApiParameter.QUERY,
                description="Only this section's seats (its own ETag: it changes only when they do).",
            ),
        ],
    )
    @action(detail=True, methods=["get"], permission_classes=[permissions.AllowAny])
    def seats(self, request, pk=None):
        # The event row alone (no hall, venue or prices): a 304 needs it and the state query.
        events = self.get_queryset().select_related(None).prefetch_related(None)
        event = get_object_or_404(events.only("id", "status", "created_at", "updated_at"), pk=pk)
        user_id = request.user.pk if request.user.is_authenticated else None
        section = request.query_params.get("section")
        if section is not None and not (section.isascii() and section.isdigit() and len(section) < 19):
            raise Invalid("section is a section id.", fields={"section": ["A positive integer."]})
        state = seat_map_state(
            event=event, user_id=user_id, now=timezone.now(), section=int(section) if section else None
        )
        return _conditional_json(
            request,
            state.etag,
            "Authorization, Accept-Encoding",
            lambda gz: seat_map_render(state, gzip_ok=gz),
        )

    @extend_schema(
        responses={200: s.SeatMapSummarySerializer, 304: OpenApiResponse(description="Not modified")},
        parameters=[OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER)],
    )
    @action(detail=True, methods=["get"], url_path="seats/summary", permission_classes=[permissions.AllowAny])
    def seats_summary(self, request, pk=None):
        """Per section: seats, counts by status, seats left by category, wheelchair spaces, lowest price."""
        events = self.get_queryset().select_related(None).prefetch_related(None)
        event = get_object_or_404(events.only("id", "status", "created_at", "updated_at"), pk=pk)
        # The caller's own holds do not change the counts: one state (and body) for everyone.
        state = seat_map_state(event=event, user_id=None, now=timezone.now())
        return _conditional_json(
            request,
            seat_map_summary_etag(state),
            "Accept-Encoding",
            lambda gz: seat_map_summary(state, gzip_ok=gz),
        )

    @extend_schema(
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                str,
                description="Server-Sent Events held by the GRIP proxy: `id: <seq>`, `event: seats` (or"
                " `reset`: re-read the map), `data: {seq, etag, changes: [{id, status}]}`.",
            ),
            204: OpenApiResponse(description="No stream here (no GRIP proxy): poll the seat map."),
        },
        parameters=[
            OpenApiParameter(
                "Last-Event-ID", str, OpenApiParameter.HEADER, description="Resume after this message."
            ),
        ],
    )
    @action(detail=True, methods=["get"], url_path="seats/stream", permission_classes=[permissions.AllowAny])
    def seats_stream(self, request, pk=None):
        """Live seat changes (SPEC §8): the opening the proxy sends, then it holds the connection."""
        events = self.get_queryset().select_related(None).prefetch_related(None)
        event = get_object_or_404(events.only("id", "status", "created_at", "updated_at"), pk=pk)
        if not grip_proxied(request):
            response = HttpResponse(status=status.HTTP_204_NO_CONTENT, headers={"Cache-Control": "no-store"})
            del response["Content-Type"]  # no body, of no type
            return response
        last_event_id = request.headers.get("Last-Event-ID")
        body = stream_opening(event=event, last_event_id=last_event_id, now=timezone.now())
        headers = {
            "Grip-Hold": "stream",
            "Grip-Channel": stream_channel(event.pk),
            "Grip-Keep-Alive": ":\\n\\n; format=cstring; timeout=20",
            "Cache-Control": "no-cache",
        }
        return HttpResponse(body, content_type="text/event-stream", headers=headers)

    def perform_content_negotiation(self, request, force=False):
        # An EventSource asks for text/event-stream: its errors are JSON like every other.
        return super().perform_content_negotiation(request, force=force or self.action == "seats_stream")

    @extend_schema(request=s.BlockInputSerializer, responses=s.BlockResultSerializer)
    @action(detail=True, methods=["post"], url_path="seats/block", permission_classes=[IsStaff])
    def block(self, request, pk=None):
        data = s.BlockInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changed = seats_block(
            event=self.get_object(),
            seat_ids=data.validated_data["seat_ids"],
            reason=data.validated_data["reason"],
            actor=request.user,
        )
        return Response({"changed": changed})

    @extend_schema(request=s.SeatIdsInputSerializer, responses=s.BlockResultSerializer)
    @action(detail=True, methods=["post"], url_path="seats/unblock", permission_classes=[IsStaff])
    def unblock(self, request, pk=None):
        data = s.SeatIdsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changed = seats_unblock(
            event=self.get_object(), seat_ids=data.validated_data["seat_ids"], actor=request.user
        )
        return Response({"changed": changed})

    @extend_schema(
        request=s.HoldRequestSerializer,
        responses={201: s.BestAvailableHoldSerializer},
        parameters=[IDEMPOTENCY_KEY, QUEUE_PASS],
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[permissions.IsAuthenticated],
        throttle_classes=[ScopedRateThrottle],
        throttle_scope="hold",
    )
    def holds(self, request, pk=None):
        now, queue_pass = timezone.now(), request.headers.get("Queue-Pass")
        if isinstance(request.data, dict) and "best_available" in request.data:
            event = event_public_get(pk)
            queue_pass_check(event=event, buyer_id=request.user.pk, value=queue_pass, now=now)
            return self._hold_best_available(request, event)
        # The pre-check may use a row read this second: its refusals (most answers of an
        # on-sale) need no fresh one; the hold itself is made with a fresh read.
        recent = event_public_get(pk, max_age=settings.TICKETING_EVENT_TRUST_SECONDS)
        # A pass is a credential, checked like the token: never an answer stored under a key.
        queue_pass_check(event=recent, buyer_id=request.user.pk, value=queue_pass, now=now)
        data = s.SeatIdsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        seat_ids = data.validated_data["seat_ids"]

        def operation():
            event = event_public_get(pk)  # checked again by hold_create (on sale, limits)
            # hold_create returns the hold with its seats attached: no read-back.
            hold = hold_create(buyer=request.user, event=event, seat_ids=seat_ids, now=now, prechecked=True)
            return status.HTTP_201_CREATED, s.HoldSerializer(hold).data

        # Refusals (seats already taken, above all) are answered before any transaction.
        return idempotent(
            request, operation, precheck=lambda: hold_precheck(event=recent, seat_ids=seat_ids, now=now)
        )

    @extend_schema(request=None, responses={201: s.QueueAnswerSerializer})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def queue(self, request, pk=None):
        """Join the event's waiting room (the same place when already in it)."""
        answer = waiting_room_join(event_id=event_pk(pk), buyer=request.user)
        return Response(answer.as_dict(), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.QueueAnswerSerializer}, parameters=[QUEUE_TOKEN])
    @queue.mapping.get
    def queue_poll(self, request, pk=None):
        """Where the Queue-Token's buyer stands; when admitted, their pass. No database read."""
        answer = waiting_room_poll(event_id=event_pk(pk), token=request.headers.get("Queue-Token"))
        return Response(answer.as_dict())

    def _hold_best_available(self, request: Request, event: Event) -> Response:
        """POST /events/{id}/holds/ with ``best_available``: the best seats together."""
        if "seat_ids" in request.data:
            message = "Send either seat_ids or best_available, not both."
            raise Invalid(message, fields={"seat_ids": [message], "best_available": [message]})
        data = s.BestAvailableHoldInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wanted = data.validated_data["best_available"]

        def operation():
            # The hold comes back with its seats attached: no read-back.
            result = hold_create_best_available(buyer=request.user, event=event, **wanted)
            return status.HTTP_201_CREATED, {
                **s.HoldSerializer(result.hold).data,
                "adjacent": result.adjacent,
            }

        return idempotent(request, operation)


class EventCancelView(APIView):
    """Cancel a whole event: bookings cancelled and refunded in batches; call again to resume."""

    permission_classes = [IsStaff]
    time_budget_seconds = 20.0

    @extend_schema(
        request=None,
        responses={
            200: s.EventCancelSerializer,
            202: OpenApiResponse(s.EventCancelSerializer, description="Not finished: POST again to go on."),
        },
    )
    def post(self, request, pk: int):
        event = get_object_or_404(Event, pk=pk)
        progress = event_cancel(event=event, actor=request.user, time_budget=self.time_budget_seconds)
        code = status.HTTP_200_OK if progress.done else status.HTTP_202_ACCEPTED
        return Response(progress.as_dict(), status=code)

    @extend_schema(responses=s.EventCancelSerializer)
    def get(self, request, pk: int):
        return Response(event_cancel_progress(event=get_object_or_404(Event, pk=pk)).as_dict())
