"""The buyer web client: one HTML page. Everything else is static files and the public API.

The page carries no data and no session: the ES modules under ``static/ticketing/js`` log in
with JWT and call ``/api/v1/`` like any other front end. The view only hands the client the
defaults it cannot read from the API (seat limits and hold time for events without their own,
the currency, the poll interval) and a strict Content-Security-Policy, since the tab holds a
bearer token.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from whitenoise.storage import CompressedManifestStaticFilesStorage

from config.errors import Invalid
from ticketing.models import Ticket
from ticketing.models.ticket_types import FULL
from ticketing.selectors.ticket_types import ticket_type_names
from ticketing.services.tickets import ticket_code_verify, ticket_qr_svg

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


@require_safe
@never_cache
def buyer_app(request: HttpRequest) -> HttpResponse:
    context = {
        "max_seats_per_hold": settings.TICKETING_MAX_SEATS_PER_HOLD,
        "max_seats_per_buyer": settings.TICKETING_MAX_SEATS_PER_BUYER,
        "hold_seconds": settings.TICKETING_HOLD_SECONDS,
        "currency": getattr(settings, "TICKETING_CURRENCY", "EUR"),
        "poll_ms": settings.TICKETING_WEB_POLL_MS,
        "stream": bool(settings.GRIP_URL),
    }
    response = render(request, "ticketing/index.html", context)
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["Referrer-Policy"] = "same-origin"
    return response


class ModuleManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Whitenoise's hashed, compressed static files, with ES module imports rewritten.

    The client's modules import each other by relative path (``import ... from "./api.js"``);
    Django rewrites those paths to the hashed names too, so a hashed module never loads an
    unhashed sibling (which would be cached for a short time only, and loaded twice).
    """

    support_js_module_import_aggregation = True


# --- The printable ticket page (the code is the bearer secret, as on a paper ticket) -----------

# No inline script: the page runs one static file (the print button, the service worker's
# registration) and may register the service worker below, nothing else.
TICKET_PAGE_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "worker-src 'self'",
        "style-src 'unsafe-inline'",
        "img-src data:",
        "base-uri 'none'",
    ]
)
# The service worker's own policy: it may fetch from this origin (the pages it keeps), no more.
SERVICE_WORKER_POLICY = "default-src 'none'; connect-src 'self'"
SERVICE_WORKER_SCOPE = "/tickets/"

_CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def _category_name(category: str) -> str:
    """As the web client's ``categoryName``: "vip" → "VIP", "restricted_view" → "Restricted view"."""
    if len(category) <= 3:
        return category.upper()
    words = re.sub(r"[_-]+", " ", category)
    return words[:1].upper() + words[1:]


def _money(amount: Decimal) -> str:
    """As the web client shows it in English: "€80.00" (or "CHF 80.00" without a known symbol)."""
    currency = getattr(settings, "TICKETING_CURRENCY", "EUR")
    symbol = _CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    return f"{symbol}{amount:,.2f}"


def _ticket_by_code(code: str) -> Ticket:
    try:
        claims = ticket_code_verify(code)
    except Invalid:
        raise Http404("No such ticket.") from None
    ticket = (
        Ticket.objects.select_related("event_seat__event__hall__venue", "event_seat__seat__section")
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


def _type_name(ticket: Ticket) -> str:
    """The ticket type's name, or "" for the full price (one read, only for another type)."""
    if ticket.ticket_type == FULL:
        return ""
    return ticket_type_names(event_id=ticket.event_seat.event_id).get(ticket.ticket_type, ticket.ticket_type)


@require_safe
def ticket_page(request: HttpRequest, code: str) -> HttpResponse:
    ticket = _ticket_by_code(code)
    seat = ticket.event_seat.seat
    event = ticket.event_seat.event  # the ticket's own event (a season booking spans several)
    context = {
        "ticket": ticket,
        "event": event,
        "seat": seat,
        "category": _category_name(seat.category),
        "type_name": _type_name(ticket),
        "price": _money(ticket.price),
        "qr": mark_safe(ticket_qr_svg(ticket.code, scale=5)),  # noqa: S308 - segno's own SVG of a base64url code
        "service_worker_scope": SERVICE_WORKER_SCOPE,
    }
    with timezone.override(event.hall.venue.zone):  # times as at the venue, whoever prints it
        return _private(render(request, "ticketing/tickets/ticket.html", context))


@require_safe
def ticket_qr(request: HttpRequest, code: str) -> HttpResponse:
    ticket = _ticket_by_code(code)
    return _private(HttpResponse(ticket_qr_svg(ticket.code, standalone=True), content_type="image/svg+xml"))


@require_safe
@never_cache
def ticket_service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker that keeps the ticket pages a buyer opened viewable offline.

    The same script for everyone (it holds no code); served under ``/tickets/`` so that its
    scope is the ticket pages and nothing else. ``never_cache``: a browser revalidates it on
    every check, so a fix reaches every buyer at their next visit.
    """
    response = render(request, "ticketing/tickets/sw.js", content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = SERVICE_WORKER_SCOPE
    response["Content-Security-Policy"] = SERVICE_WORKER_POLICY
    return response
