"""Request plumbing that must run before any view: request id, access log, body size limit."""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import ParseError

from config.errors import Invalid, LengthRequired, PayloadTooLarge, error_response, translate
from config.logging import request_id_var
from config.metrics import request_observe
from config.parsers import PARSED, is_json, json_body_parse

access_log = logging.getLogger("api.access")

# A client-supplied X-Request-ID is honoured only if it is short and plain (no log injection).
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
BODY_METHODS = {"POST", "PUT", "PATCH"}


class RequestIdMiddleware:
    """Honour ``X-Request-ID`` (or make one), log it on every line, return it in the response.

    Also writes one access-log line per request (``ACCESS_LOG``): method, path, status, time,
    and records the request in the metrics (``config/metrics.py``).
    Put it first in MIDDLEWARE so that every later line of the request carries the id.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # Cleared by request_finished, not here: Django's own "django.request" line for a 4xx/5xx
        # is written after the middleware returns, and should carry the id too.
        request_id_var.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        request_observe(request, response, started)
        if getattr(settings, "ACCESS_LOG", True):
            user = getattr(request, "user", None)
            access_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": getattr(user, "pk", None),
                    "remote_addr": request.META.get("REMOTE_ADDR"),
                },
            )
        return response


@receiver(request_finished)
def request_id_clear(**kwargs) -> None:
    request_id_var.set(None)


class BodySizeLimitMiddleware:
    """Refuse bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with a JSON 413, before anything reads them.

    Django enforces the limit only when ``request.body`` or form data is read; DRF's JSON parser
    reads the raw stream and would accept any size. This checks the declared Content-Length,
    which bounds what Django ever reads. A body sent chunked (no Content-Length) is never read by
    Django: it is refused as ``411 length_required`` rather than silently taken as empty.
    It runs after CorsMiddleware so that browsers can read the error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            # Django reads a body by its Content-Length only: a chunked body would be dropped and
            # the request then refused for "missing" fields it did send. Say so instead.
            return error_response(LengthRequired())
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request.method in BODY_METHODS and limit is not None:
            raw = request.META.get("CONTENT_LENGTH") or "0"
            try:
                length = int(raw)
            except ValueError:
                length = -1
            if length < 0:
                return error_response(Invalid("Content-Length is not a valid length."))
            if length > limit:
                detail = f"The request body is over the limit of {limit} bytes."
                return error_response(PayloadTooLarge(detail, limit=limit))
        return self.get_response(request)


class JsonBodyMiddleware:
    """Every JSON body sent to the API goes through the one parse step (config/parsers.py),
    whether or not its view reads the body: a body no view could parse or store is a 400
    ``invalid`` here, the same with or without an Idempotency-Key. The parsed body is kept on
    the request for DRF's parser, so it is parsed once. Runs after BodySizeLimitMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method in BODY_METHODS
            and request.path.startswith("/api/")
            and is_json(request.META.get("CONTENT_TYPE", ""))
        ):
            raw = request.body
            if raw:
                try:
                    setattr(request, PARSED, json_body_parse(raw))
                except ParseError as exc:
                    return error_response(translate(exc))
        return self.get_response(request)
