"""The buyer web client: one HTML page. Everything else is static files and the public API.

The page carries no data and no session: the ES modules under ``static/ticketing/js`` log in
with JWT and call ``/api/v1/`` like any other front end. The view only hands the client the
defaults it cannot read from the API (seat limits and hold time for events without their own,
the currency, the poll interval) and a strict Content-Security-Policy, since the tab holds a
bearer token.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from whitenoise.storage import CompressedManifestStaticFilesStorage

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
        "poll_ms": getattr(settings, "TICKETING_WEB_POLL_MS", 1000),
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
