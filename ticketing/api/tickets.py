"""API of the buyer's tickets: the ones they hold (and held), and giving one to another account."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action

from config.throttling import ScopedRateThrottle
from ticketing.api import serializers as s
from ticketing.api.idempotency import IDEMPOTENCY_KEY, idempotent
from ticketing.models import Ticket
from ticketing.selectors.tickets import tickets_of
from ticketing.services.transfers import ticket_transfer


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's tickets, from their bookings or transferred to them (filters: status, event);
    another account's ticket is a 404."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = s.OwnedTicketSerializer

    def get_throttles(self):
        if self.action == "transfer":
            self.throttle_scope = "book"
            return [ScopedRateThrottle()]
        return super().get_throttles()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Ticket.objects.none()
        return tickets_of(user=self.request.user)

    @extend_schema(parameters=[s.TicketFilterSerializer])
    def list(self, request, *args, **kwargs):
        filters = s.TicketFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        tickets = self.get_queryset()
        if "status" in wanted:
            tickets = tickets.filter(status=wanted["status"])
        if "event" in wanted:
            tickets = tickets.filter(booking__event_id=wanted["event"])
        page = self.paginate_queryset(tickets)
        return self.get_paginated_response(s.OwnedTicketSerializer(page, many=True).data)

    @extend_schema(
        request=s.TicketTransferInputSerializer,
        responses={
            200: s.OwnedTicketSerializer,
            400: OpenApiResponse(description="invalid: no such account, or yourself (fields.to)"),
            409: OpenApiResponse(
                description="ticket_transferred, ticket_revoked (cancelled), already_checked_in,"
                " transfer_closed"
            ),
        },
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        data = s.TicketTransferInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = self.get_object()

        def operation():
            new = ticket_transfer(ticket_id=ticket.pk, actor=request.user, to=data.validated_data["to"])
            return status.HTTP_200_OK, s.OwnedTicketSerializer(new).data

        return idempotent(request, operation)
