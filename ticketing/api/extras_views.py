"""API views of best available, checkout with payment, check-in, event cancellation and the
sales report, and the printable ticket page. Parse, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import ApiError, Busy, Invalid
from config.permissions import IsStaff
from ticketing.api import extras_serializers as x
from ticketing.api.serializers import HoldSerializer
from ticketing.idempotency import idempotent, idempotent_replay
from ticketing.models import Booking, Event, Ticket
from ticketing.payments import PaymentUnavailable
from ticketing.selectors.reports import event_sales_report, sales_report_csv
from ticketing.services.best_available import hold_create_best_available
from ticketing.services.bookings import booking_create
from ticketing.services.checkin import ticket_check_in
from ticketing.services.event_cancel import event_cancel, event_cancel_progress
from ticketing.services.tickets import ticket_code_verify, ticket_public_key_b64, ticket_qr_svg

GATE_GROUP = "gate"


class IsStaffOrGate(permissions.BasePermission):
    """Box-office staff, or members of the ``gate`` group (check-in staff)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return user.is_staff or user.groups.filter(name=GATE_GROUP).exists()


# --- Hooks called by ticketing/api/views.py ------------------------------------------------------


def best_available_hold(request: Request, event: Event) -> Response:
    """POST /events/{id}/holds/ with ``best_available`` (EventViewSet.holds hands it over)."""
    if "seat_ids" in request.data:
        message = "Send either seat_ids or best_available, not both."
        raise Invalid(message, fields={"seat_ids": [message], "best_available": [message]})
    data = x.BestAvailableHoldInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    wanted = data.validated_data["best_available"]

    def operation():
        # The hold comes back with its seats attached: no read-back.
        result = hold_create_best_available(buyer=request.user, event=event, **wanted)
        return status.HTTP_201_CREATED, {**HoldSerializer(result.hold).data, "adjacent": result.adjacent}

    return idempotent(request, operation)


def _answer(error: ApiError) -> Callable[[], tuple[int, Any]]:
    def operation() -> tuple[int, Any]:
        raise error

    return operation


def booking_checkout_response(
    request: Request, *, hold_id: int, payment_token: str | None, render_booking: Callable[[Booking], Any]
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
        return idempotent(request, lambda: (status.HTTP_201_CREATED, render_booking(confirm())))

    try:
        return booking_create(
            buyer=request.user, hold_id=hold_id, payment_token=payment_token, transaction_runner=under_the_key
        )
    except (Busy, PaymentUnavailable):  # "retry" (PaymentInProgress is a Busy): never stored
        raise
    except ApiError as refusal:  # the payment step refused: stored under the key like any answer
        return idempotent(request, _answer(refusal))


# --- Check-in ---------------------------------------------------------------------------------


class CheckInView(APIView):
    """A gate scans a ticket: the first scan admits, any later one is refused."""

    permission_classes = [IsStaffOrGate]

    @extend_schema(
        request=x.CheckInInputSerializer,
        responses={
            200: x.CheckInSerializer,
            400: OpenApiResponse(description="invalid: forged or unknown code"),
            409: OpenApiResponse(description="already_checked_in (with checked_in_at), ticket_revoked"),
        },
    )
    def post(self, request):
        data = x.CheckInInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = ticket_check_in(
            code=data.validated_data["code"], event_id=data.validated_data.get("event"), actor=request.user
        )
        return Response(x.CheckInSerializer(ticket).data)


class CheckInKeyView(APIView):
    """The public key that verifies ticket codes offline (for gate scanners)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=x.PublicKeySerializer)
    def get(self, request):
        return Response(
            {
                "algorithm": "Ed25519",
                "public_key": ticket_public_key_b64(),
                "code_format": "base64url(version:u8 | event:u64 | event_seat:u64 | booking:u64 "
                "| Ed25519(b'ticket:' + those 25 bytes)), no padding",
            }
        )


# --- Staff: event cancellation and the sales report --------------------------------------------


class EventCancelView(APIView):
    """Cancel a whole event: bookings cancelled and refunded in batches; call again to resume."""

    permission_classes = [IsStaff]
    time_budget_seconds = 20.0

    @extend_schema(
        request=None,
        responses={
            200: x.EventCancelSerializer,
            202: OpenApiResponse(x.EventCancelSerializer, description="Not finished: POST again to go on."),
        },
    )
    def post(self, request, pk: int):
        event = get_object_or_404(Event, pk=pk)
        progress = event_cancel(event=event, actor=request.user, time_budget=self.time_budget_seconds)
        code = status.HTTP_200_OK if progress.done else status.HTTP_202_ACCEPTED
        return Response(progress.as_dict(), status=code)

    @extend_schema(responses=x.EventCancelSerializer)
    def get(self, request, pk: int):
        return Response(event_cancel_progress(event=get_object_or_404(Event, pk=pk)).as_dict())


class EventReportView(APIView):
    """The event's sales report as CSV: ``part=inventory`` (default) or ``part=sales``."""

    permission_classes = [IsStaff]

    @extend_schema(
        parameters=[x.ReportQuerySerializer],
        responses={(200, "text/csv"): OpenApiResponse(str, description="CSV, one header row")},
    )
    def get(self, request, pk: int):
        query = x.ReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        event = get_object_or_404(Event.objects.select_related("hall__venue"), pk=pk)
        bucket = query.validated_data.get("bucket")
        report = event_sales_report(event=event, now=timezone.now(), bucket=bucket)
        part = query.validated_data["part"]
        response = HttpResponse(sales_report_csv(report, part=part), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="event-{event.pk}-{part}.csv"'
        return response


# --- The printable ticket page (the code is the bearer secret, as on a paper ticket) -----------

TICKET_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"


def _ticket_by_code(code: str) -> Ticket:
    try:
        claims = ticket_code_verify(code)
    except Invalid:
        raise Http404("No such ticket.") from None
    ticket = (
        Ticket.objects.select_related("booking__event__hall__venue", "event_seat__seat__section")
        .filter(code=code, booking_id=claims.booking_id)
        .first()
    )
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"  # the URL carries the ticket code
    response["Content-Security-Policy"] = TICKET_PAGE_POLICY
    return response


@require_safe
def ticket_page(request: HttpRequest, code: str) -> HttpResponse:
    ticket = _ticket_by_code(code)
    context = {
        "ticket": ticket,
        "event": ticket.booking.event,
        "seat": ticket.event_seat.seat,
        "qr": mark_safe(ticket_qr_svg(ticket.code, scale=5)),  # noqa: S308 - segno's own SVG of a base64url code
    }
    return _private(render(request, "ticketing/tickets/ticket.html", context))


@require_safe
def ticket_qr(request: HttpRequest, code: str) -> HttpResponse:
    ticket = _ticket_by_code(code)
    return _private(HttpResponse(ticket_qr_svg(ticket.code, standalone=True), content_type="image/svg+xml"))
