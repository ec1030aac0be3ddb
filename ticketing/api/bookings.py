"""API of bookings: book a hold (paying for it), list and read bookings, cancel one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from config.errors import ApiError, Busy
from config.throttling import ScopedRateThrottle
from ticketing.api import serializers as s
from ticketing.api.idempotency import IDEMPOTENCY_KEY, idempotent, idempotent_replay
from ticketing.models import Booking
from ticketing.payments import PaymentUnavailable
from ticketing.selectors.purchases import bookings_visible_to
from ticketing.services.bookings import booking_create, bookings_cancel


class BookingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Bookings: a buyer sees their own, staff see all (filters: event, status)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = s.BookingSerializer
    token_claims_suffice = ("create",)  # the booking verifies the account itself (config/authentication.py)

    def get_throttles(self):
        if self.action in ("create", "cancel"):
            self.throttle_scope = "book"
            return [ScopedRateThrottle()]
        return super().get_throttles()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Booking.objects.none()
        return bookings_visible_to(user=self.request.user)

    @extend_schema(parameters=[s.BookingFilterSerializer])
    def list(self, request, *args, **kwargs):
        filters = s.BookingFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        bookings = self.get_queryset().filter(**filters.validated_data)
        page = self.paginate_queryset(bookings)
        return self.get_paginated_response(s.BookingSerializer(page, many=True).data)

    @extend_schema(
        request=s.BookingInputSerializer, responses={201: s.BookingSerializer}, parameters=[IDEMPOTENCY_KEY]
    )
    def create(self, request, *args, **kwargs):
        data = s.BookingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return booking_create_answer(
            request,
            hold_id=data.validated_data["hold_id"],
            payment_token=data.validated_data.get("payment_token"),
            ticket_types=data.validated_data.get("ticket_types"),
        )

    @extend_schema(
        request=s.BookingCancelInputSerializer, responses=s.BookingSerializer, parameters=[IDEMPOTENCY_KEY]
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        booking = self.get_object()
        # No body at all stays a plain cancel, as it always was.
        data = s.BookingCancelInputSerializer(data=request.data if request.body else {})
        data.is_valid(raise_exception=True)
        void_checked_in = data.validated_data["void_checked_in"]

        def operation():
            bookings_cancel(  # + refund, email after commit
                booking_ids=[booking.pk], actor=request.user, void_checked_in=void_checked_in
            )
            return status.HTTP_200_OK, s.BookingSerializer(self.get_queryset().get(pk=booking.pk)).data

        return idempotent(request, operation)


def _answer(error: ApiError) -> Callable[[], tuple[int, Any]]:
    def operation() -> tuple[int, Any]:
        raise error

    return operation


def booking_create_answer(
    request: Request, *, hold_id: int, payment_token: str | None, ticket_types: dict[int, str] | None = None
) -> Response:
    """POST /bookings/: pay, then book, under the request's Idempotency-Key.

    The charge must happen with no transaction open, so it runs before ``idempotent`` opens
    its own: a retry of a finished request is answered from the stored response first (and
    never charges again); a definitive refusal of the payment step (declined, hold expired...)
    is stored under the key like the booking's own answers; a transient one (payment in
    progress, gateway down) is not. Whatever happens, a charge that paid for no booking is
    refunded (``payment_settle``).
    """
    replay = idempotent_replay(request)
    if replay is not None:
        return replay

    def under_the_key(confirm: Callable[[], Booking]) -> Response:
        # booking_confirm returns the booking with its tickets and seats attached: no read-back.
        return idempotent(request, lambda: (status.HTTP_201_CREATED, s.BookingSerializer(confirm()).data))

    try:
        return booking_create(
            buyer=request.user,
            hold_id=hold_id,
            payment_token=payment_token,
            ticket_types=ticket_types,
            transaction_runner=under_the_key,
        )
    except (Busy, PaymentUnavailable):  # "retry" (PaymentInProgress is a Busy): never stored
        raise
    except ApiError as refusal:  # the payment step refused: stored under the key like any answer
        return idempotent(request, _answer(refusal))
