"""The project's one error type, every error of every app (the contract), and the one DRF
exception handler.

Every API error, DRF's own included, is rendered as ``{"code", "detail", ...extra}``. Database
lock timeouts, deadlocks, serialization failures and lost connections are translated here, in
one place, into ``Busy`` (503 with ``Retry-After``): never a raw database message, never a 500.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DatabaseError, InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """A domain error that knows its HTTP status and stable machine code."""

    code = "error"
    http_status = 400
    default_detail = "Request failed."

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.default_detail
        self.extra = extra
        super().__init__(self.detail)

    def headers(self) -> dict[str, str]:
        return {}

    def as_body(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, **self.extra}


class Invalid(ApiError):
    code = "invalid"
    http_status = 400
    default_detail = "The request is not valid."

    def __init__(self, detail: str | None = None, *, fields: dict[str, list[str]] | None = None):
        super().__init__(detail, fields=fields or {})


class NotFound(ApiError):
    code = "not_found"
    http_status = 404
    default_detail = "Not found."


class Conflict(ApiError):
    http_status = 409


class InUse(Conflict):
    code = "in_use"
    default_detail = "Other records still use this one; it cannot be deleted."


class PayloadTooLarge(ApiError):
    code = "payload_too_large"
    http_status = 413
    default_detail = "The request body is too large."


class Unauthenticated(ApiError):
    code = "not_authenticated"
    http_status = 401
    default_detail = "Authentication credentials were not provided."


class AccountDisabled(Unauthenticated):
    """A valid token of an account deleted or deactivated since: refused by the use case that
    verifies the account under its lock (config/authentication.py)."""

    default_detail = "This account is disabled."


class TokenNotValid(ApiError):
    code = "token_not_valid"
    http_status = 401
    default_detail = "The token is invalid or expired."


class NotPermitted(ApiError):
    code = "permission_denied"
    http_status = 403
    default_detail = "You do not have permission to perform this action."


class ServerError(ApiError):
    code = "server_error"
    http_status = 500
    default_detail = "Something went wrong on our side."


class Busy(ApiError):
    code = "busy"
    http_status = 503
    default_detail = "The seats are busy right now; please retry in a moment."

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(settings.TICKETING_RETRY_AFTER_SECONDS)}


# === The contract: every domain error, by app. Codes never change once shipped. ============

# --- Seats, holds, bookings ----------------------------------------------------------------------


class SeatsUnavailable(Conflict):
    code = "seats_unavailable"

    def __init__(self, seats: Sequence[dict]) -> None:
        seats = sorted(seats, key=lambda seat: seat["id"])
        verb = "is" if len(seats) == 1 else "are"
        detail = f"{len(seats)} of the requested seats {verb} no longer available."
        super().__init__(detail, seats=list(seats))


class EventNotOnSale(Conflict):
    code = "event_not_on_sale"
    default_detail = "This event is not on sale."


class HoldExpired(Conflict):
    code = "hold_expired"
    default_detail = "This hold has expired or was already released or booked."


class SeatLimitExceeded(Conflict):
    code = "seat_limit_exceeded"

    def __init__(self, limit: int) -> None:
        super().__init__(f"You can hold or book at most {limit} seats for this event.", limit=limit)


class TicketTypeLimitExceeded(Conflict):
    """More tickets of one ticket type in a booking than the type allows (``max_per_booking``)."""

    code = "ticket_type_limit_exceeded"

    def __init__(self, ticket_type: str, limit: int) -> None:
        super().__init__(
            f"At most {limit} tickets of type {ticket_type} per booking.", type=ticket_type, limit=limit
        )


class AlreadyCancelled(Conflict):
    code = "already_cancelled"
    default_detail = "This booking is already cancelled."


class CancellationClosed(Conflict):
    code = "cancellation_closed"
    default_detail = "The event has started; bookings can no longer be cancelled."


class IdempotencyKeyReused(ApiError):
    code = "idempotency_key_reused"
    http_status = 422
    default_detail = "This Idempotency-Key was already used with a different request."


class TicketCheckedIn(Conflict):
    code = "ticket_checked_in"
    default_detail = (
        "A ticket of this booking has been checked in at the gate; it can no longer be cancelled."
    )


# --- The waiting list (services/waitlist.py) ---------------------------------------------------


class EventNotSoldOut(Conflict):
    code = "event_not_sold_out"
    default_detail = "Seats of this kind are still on sale: hold them instead of joining the waiting list."


class AlreadyOnWaitlist(Conflict):
    code = "already_on_waitlist"
    default_detail = "You are already on this event's waiting list."


class WaitlistEntryClosed(Conflict):
    code = "waitlist_entry_closed"
    default_detail = "This waiting-list entry is no longer open."


# --- Best available ------------------------------------------------------------------------------


class NoAdjacentSeats(Conflict):
    code = "no_adjacent_seats"
    default_detail = "There are not that many seats together any more; try fewer or other seats."


# --- Payments ------------------------------------------------------------------------------------


class PaymentInProgress(Busy):
    """503 with Retry-After, not a 409: the answer is "retry", and a retry with the same
    Idempotency-Key then replays the booking this payment produced (a client that took a 409
    as final would never learn of a booking it paid for)."""

    code = "payment_in_progress"
    default_detail = "A payment for this hold is being processed; retry in a moment."


class PaymentNotUsable(Conflict):
    code = "payment_refunded"
    default_detail = "The payment for this hold was refunded meanwhile; please pay again."


class PaymentDeclined(ApiError):
    """The gateway refused the charge (card declined, insufficient funds...)."""

    code = "payment_declined"
    http_status = 402
    default_detail = "The payment was declined; your seats stay held until the hold expires."

    def __init__(self, detail: str | None = None, *, decline_code: str = "declined") -> None:
        super().__init__(detail, decline_code=decline_code)


class PaymentUnavailable(ApiError):
    """The gateway could not be reached or failed; nothing was charged as far as we know."""

    code = "payment_unavailable"
    http_status = 503
    default_detail = "Payments are unavailable right now; please retry in a moment."

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(settings.TICKETING_RETRY_AFTER_SECONDS)}


# --- Gates ---------------------------------------------------------------------------------------


class AlreadyCheckedIn(Conflict):
    code = "already_checked_in"

    def __init__(self, checked_in_at: datetime) -> None:
        super().__init__(
            "This ticket was already scanned.", checked_in_at=checked_in_at.isoformat().replace("+00:00", "Z")
        )


class TicketRevoked(Conflict):
    code = "ticket_revoked"
    default_detail = "This ticket was cancelled; it does not give entry."


class WrongEvent(Conflict):
    code = "wrong_event"
    default_detail = "This ticket is for another event."


# --- Ticket transfers ----------------------------------------------------------------------------


class TicketTransferred(Conflict):
    """At the gate: the code of a ticket its owner gave to another account. And a transfer of a
    ticket that was already transferred (its code is dead)."""

    code = "ticket_transferred"
    default_detail = "This ticket was transferred to another account; this code no longer gives entry."


class TransferClosed(Conflict):
    code = "transfer_closed"
    default_detail = "The event has started or was cancelled; its tickets can no longer be transferred."


# --- The waiting room ------------------------------------------------------------------------


class QueuePassRequired(ApiError):
    """A hold on an event with a waiting room, without the buyer's admission pass."""

    code = "queue_pass_required"
    http_status = 403
    default_detail = (
        "This event has a waiting room: join it (POST /events/{id}/queue/) and send the pass it"
        " gives you in the Queue-Pass header."
    )


class QueuePassInvalid(ApiError):
    """A Queue-Pass that is forged, expired, another buyer's or another event's."""

    code = "queue_pass_invalid"
    http_status = 403
    default_detail = (
        "This Queue-Pass is not valid for you and this event, or it has expired; join the waiting room again."
    )


class WaitingRoomUnavailable(Busy):
    """The waiting room's Redis cannot be reached: 503 ``busy`` with Retry-After (no code of its own)."""

    default_detail = "The waiting room is unavailable right now; please retry in a moment."


# --- Venues and layouts --------------------------------------------------------------------------


class LayoutInUse(Conflict):
    code = "layout_in_use"
    default_detail = "This hall's layout is used by events and cannot be changed."


class VenueInUse(Conflict):
    code = "venue_in_use"
    default_detail = "This venue still has halls; delete them first."


class HallInUse(Conflict):
    code = "hall_in_use"
    default_detail = "Events use this hall; it cannot be deleted."


# --- Request plumbing ----------------------------------------------------------------------------


class LengthRequired(ApiError):
    """A body sent chunked: Django reads bodies by their Content-Length only (config/middleware.py)."""

    code = "length_required"
    http_status = 411
    default_detail = (
        "Send the request body with a Content-Length header; chunked request bodies are not accepted."
    )


#: Codes answered without a class of their own: DRF's errors that ``translate`` passes through
#: with their own code, and gunicorn's refusals, answered as JSON before Django (config/gunicorn.py).
FRAMEWORK_CODES = {
    "method_not_allowed": 405,
    "not_acceptable": 406,
    "unsupported_media_type": 415,
}
GUNICORN_CODES = {
    "bad_request": 400,
    "forbidden": 403,
    "request_line_too_long": 414,
    "expectation_failed": 417,
    "request_headers_too_large": 431,
    "not_implemented": 501,
}


def error_codes() -> dict[str, int]:
    """The contract: every code the API can answer, with its HTTP status. The README's error
    table is checked against it (tests/config/test_errors_details.py)."""
    codes = dict(FRAMEWORK_CODES)
    pending = ApiError.__subclasses__()  # the base class has no code of its own to answer
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if "code" in vars(cls) and cls.__module__ == __name__:
            codes[cls.code] = cls.http_status
    return codes


# PostgreSQL SQLSTATEs that mean "try again": lock_not_available, deadlock_detected,
# serialization_failure, query_canceled (statement_timeout), admin_shutdown and friends,
# idle_in_transaction_session_timeout and idle_session_timeout.
RETRYABLE_SQLSTATES = {"55P03", "40P01", "40001", "57014", "57P01", "57P02", "57P03", "25P03", "57P05"}


def is_retryable_database_error(exc: BaseException) -> bool:
    """Whether a database error is contention or a lost connection rather than a bug."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True  # lock waits, lost connections, SQLite "database is locked"
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) in RETRYABLE_SQLSTATES


def _first_message(data: Any) -> str:
    if isinstance(data, dict):
        for key, value in data.items():
            message = _first_message(value)
            return message if key == "non_field_errors" else f"{key}: {message}"
    if isinstance(data, (list, tuple)) and data:
        return _first_message(data[0])
    return str(data) if data else "The request is not valid."


def detail_sentence(detail: Any, default: str = "Request failed.") -> str:
    """The human sentence of a DRF exception's ``detail``, whatever its shape.

    simplejwt wraps its messages in ``{"detail": ..., "code": ...}`` (and ``messages``): its
    ``str()`` is a Python repr, never shown to a client. A dict without ``detail`` reads as its
    first field's message, a list as its first item.
    """
    if isinstance(detail, dict):
        if "detail" in detail:
            return detail_sentence(detail["detail"], default)
        return _first_message(detail) if detail else default
    if isinstance(detail, (list, tuple)):
        return detail_sentence(detail[0], default) if detail else default
    text = str(detail).strip() if detail is not None else ""
    return text or default


def _as_fields(data: Any) -> dict[str, Any]:
    if isinstance(data, dict):
        return data
    return {"non_field_errors": data if isinstance(data, list) else [data]}


def translate(exc: BaseException) -> ApiError | None:
    """Map any exception an API view can raise to an ApiError, or None if it is a bug."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, drf.ValidationError):
        return Invalid(_first_message(exc.detail), fields=_as_fields(exc.detail))
    if isinstance(exc, drf.ParseError):
        return Invalid(f"Malformed request body: {detail_sentence(exc.detail)}")
    if isinstance(exc, InvalidToken):
        return TokenNotValid()
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        return Unauthenticated(detail_sentence(exc.detail, "Authentication failed."))
    if isinstance(exc, (drf.PermissionDenied, DjangoPermissionDenied)):
        return NotPermitted()
    if isinstance(exc, (drf.NotFound, Http404)):
        return NotFound()
    if isinstance(exc, drf.Throttled):
        error = Throttled(wait=exc.wait)
        return error
    if isinstance(exc, drf.APIException):
        error = ApiError(detail_sentence(exc.detail))
        error.code = exc.default_code if isinstance(exc.default_code, str) else "error"
        error.http_status = exc.status_code
        return error
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, SuspiciousOperation):  # too many fields, bad multipart, ...
        return Invalid("The request is not valid.")
    if isinstance(exc, (ProtectedError, RestrictedError)):
        return InUse()
    if isinstance(exc, DatabaseError) and is_retryable_database_error(exc):
        logger.warning("database busy: %s", exc.__class__.__name__)
        return Busy()
    return None


class Throttled(ApiError):
    code = "throttled"
    http_status = 429
    default_detail = "Too many requests; slow down."

    def __init__(self, wait: float | None = None) -> None:
        self.wait = max(1, math.ceil(wait or 1))
        super().__init__(f"Too many requests; retry in {self.wait} seconds.")

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.wait)}


def api_exception_handler(exc: BaseException, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error becomes {"code", "detail", ...}."""
    error = translate(exc)
    if error is None:
        logger.exception("unhandled error in %s", context.get("view").__class__.__name__)
        error = ServerError()
    response = Response(error.as_body(), status=error.http_status, headers=error.headers())
    response.error_code = error.code  # for the metrics' outcome label (config/metrics.py)
    if isinstance(exc, drf.APIException) and getattr(exc, "auth_header", None):
        response["WWW-Authenticate"] = exc.auth_header
    return response


def error_response(error: ApiError) -> JsonResponse:
    response = JsonResponse(error.as_body(), status=error.http_status, headers=error.headers())
    response.error_code = error.code  # for the metrics' outcome label (config/metrics.py)
    return response


@csrf_exempt  # a JSON 404 for any method, not a CSRF page for unknown POST/DELETE paths
def api_not_found(request, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown /api/ paths answer JSON, in DEBUG too."""
    return error_response(NotFound(f"No API endpoint at {request.path}."))


def handler404(request, exception: BaseException | None = None):
    if request.path.startswith("/api/"):
        return api_not_found(request)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler400(request, exception: BaseException | None = None):
    """Requests Django refuses before any view (bad Host header, ...): JSON under /api/."""
    if request.path.startswith("/api/"):
        return error_response((exception and translate(exception)) or Invalid())
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def handler403(request, exception: BaseException | None = None):
    if request.path.startswith("/api/"):
        return error_response(translate(DjangoPermissionDenied()))
    from django.views.defaults import permission_denied

    return permission_denied(request, exception)


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: the API uses bearer tokens, but should a check ever fire, answer JSON."""
    if request.path.startswith("/api/"):
        return handler403(request)
    from django.views.csrf import csrf_failure as default_csrf_failure

    return default_csrf_failure(request, reason)


def handler500(request):
    if request.path.startswith("/api/"):
        return error_response(ServerError())
    from django.views.defaults import server_error

    return server_error(request)
