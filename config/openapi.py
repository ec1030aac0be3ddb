"""An honest OpenAPI schema: every operation documents every status code it can answer.

drf-spectacular documents the success responses that the views declare. This schema class adds
the error responses, all with the one error envelope (``config.errors``), and derives them from
the view's own configuration rather than from a hand-written list per endpoint:

- ``503 busy`` everywhere: any request that touches the database can meet a lock timeout or a
  lost connection;
- ``400 invalid`` when the operation reads a body, query parameters, an ``Idempotency-Key`` or
  a required header (the waiting room's ``Queue-Token``);
  ``413``/``415`` when it reads a body;
- ``401`` when the view authenticates (a bad token is refused even on public reads) or its
  permissions refuse anonymous callers; ``403`` when they refuse an authenticated non-staff user
  or a waiting room gates the operation (``QUEUE_GATED``: a hold needs a ``Queue-Pass``);
- ``404`` for paths with an id and for paginated lists (a page past the end);
- ``409`` for the domain conflicts listed in ``CONFLICTS`` and for idempotent operations;
- ``422`` for ``Idempotency-Key`` reuse; ``429`` when the view is throttled.

Request bodies of serializers that refuse unknown fields (``config.serializers``) are
``additionalProperties: false``. Optional query parameters get ``allowEmptyValue``: DRF reads
``?kind=`` as "not given".

The schemathesis run in ``tests/config/test_fuzz_api.py`` fails on any status an operation answers that is not
documented here, so this list cannot quietly drift from the code.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.views import TokenViewBase


class AccessTokenScheme(SimpleJWTScheme):
    """The API's authentication (config/authentication.py) is simplejwt's bearer scheme."""

    target_class = "config.authentication.AccessTokenAuthentication"


class ErrorSerializer(serializers.Serializer):
    """The error envelope of every API error (extra keys depend on the code)."""

    code = serializers.CharField(help_text="Stable machine code, e.g. `seats_unavailable`.")
    detail = serializers.CharField(help_text="Human-readable message.")
    fields = serializers.DictField(
        required=False,
        help_text="`invalid`: messages per field (nested like the input for nested fields).",
    )
    seats = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="`seats_unavailable`: [{id, status}]."
    )
    limit = serializers.IntegerField(
        required=False, help_text="`seat_limit_exceeded`, `ticket_type_limit_exceeded`: the limit."
    )
    type = serializers.CharField(required=False, help_text="`ticket_type_limit_exceeded`: the type's code.")


DESCRIPTIONS = {
    400: "`invalid`: malformed body, wrong types, unknown fields, absurd values.",
    401: "`not_authenticated` or `token_not_valid`.",
    403: "`permission_denied`; on a hold or a waiting-list join, `queue_pass_required` or"
    " `queue_pass_invalid`.",
    404: "`not_found` (also another buyer's hold or booking).",
    409: "A domain conflict: `seats_unavailable`, `event_not_on_sale`, `hold_expired`, ...",
    413: "`payload_too_large`: the body is over the request size limit.",
    415: "`unsupported_media_type`: the body is not JSON.",
    422: "`idempotency_key_reused`: the same Idempotency-Key with a different body.",
    429: "`throttled`; see `Retry-After`.",
    503: "`busy`: lock timeout, deadlock or database unavailable; see `Retry-After`.",
}

# Domain conflicts (409) per (view class, action or HTTP method), from the services they call.
CONFLICTS = {
    ("EventViewSet", "block"),  # seats_unavailable
    ("HoldViewSet", "destroy"),  # hold_expired (already released or booked)
    ("HallViewSet", "destroy"),  # in_use
    ("HallViewSet", "layout"),  # layout_in_use (PUT)
    ("VenueViewSet", "destroy"),  # in_use
    ("EventWaitlistView", "post"),  # event_not_sold_out, already_on_waitlist, event_not_on_sale
    ("WaitlistViewSet", "destroy"),  # waitlist_entry_closed
}
# Operations whose body names another resource that may not exist (404).
BODY_LOOKUPS = {("BookingViewSet", "create")}  # hold_id
# Operations a waiting room gates (403 queue_pass_required / queue_pass_invalid).
QUEUE_GATED = {("EventViewSet", "holds"), ("EventWaitlistView", "post")}

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class ApiAutoSchema(AutoSchema):
    def get_auth(self) -> list[dict[str, Any]]:
        """Mark operations that anonymous callers may use with the empty requirement ``{}``."""
        auths = super().get_auth()
        if auths and {} not in auths and self._allows(AnonymousUser()):
            auths.append({})
        return auths

    def _map_serializer(self, serializer: Any, direction: str, bypass_extensions: bool = False) -> dict:
        """Input serializers that refuse unknown fields say so: ``additionalProperties: false``."""
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and getattr(serializer, "refuses_unknown_fields", False):
            schema["additionalProperties"] = False
        return schema

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and not parameter.get("required"):
                # DRF reads `?name=` (blank) as "not given", for filters and pagination alike.
                parameter["allowEmptyValue"] = True
        envelope = self.resolve_serializer(ErrorSerializer, "response").ref
        responses = operation.setdefault("responses", {})
        for status in sorted(self.error_statuses(operation)):
            responses.setdefault(
                str(status),
                {"description": DESCRIPTIONS[status], "content": {"application/json": {"schema": envelope}}},
            )
        if "429" in responses or "503" in responses:
            for status in ("429", "503"):
                if status in responses:
                    responses[status].setdefault("headers", {})["Retry-After"] = {
                        "schema": {"type": "integer"},
                        "description": "Seconds to wait before retrying.",
                    }
        return operation

    def error_statuses(self, operation: dict[str, Any]) -> set[int]:
        view, method = self.view, self.method
        name, action = view.__class__.__name__, getattr(view, "action", None) or method.lower()
        parameters = operation.get("parameters", [])
        has_body = "requestBody" in operation
        idempotent = any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in parameters)
        filters = any(p["in"] == "query" for p in parameters)  # page_size is checked too

        statuses = {503}
        required_header = any(p["in"] == "header" and p.get("required") for p in parameters)
        if has_body or filters or idempotent or required_header:
            statuses.add(400)
        if has_body or idempotent:
            statuses |= {413, 415} if method in {"POST", "PUT", "PATCH"} else {415}
        if view.get_authenticators() or isinstance(view, TokenViewBase) or not self._allows(AnonymousUser()):
            statuses.add(401)
        if not self._allows(SimpleNamespace(is_authenticated=True, is_staff=False, pk=0)):
            statuses.add(403)
        if any(p["in"] == "path" for p in parameters) or (any(p["name"] == "page" for p in parameters)):
            statuses.add(404)
        if (name, action) in BODY_LOOKUPS:
            statuses.add(404)
        if (name, action) in QUEUE_GATED:
            statuses.add(403)
        if (name, action) in CONFLICTS and method not in SAFE_METHODS:
            statuses.add(409)
        if idempotent:
            statuses |= {409, 422}
        if self._throttled():
            statuses.add(429)
        return statuses

    def _allows(self, user: Any) -> bool:
        """Whether the view's permissions let ``user`` call this operation (before any lookup)."""
        request = SimpleNamespace(method=self.method, user=user, auth=None)
        try:
            return all(p.has_permission(request, self.view) for p in self.view.get_permissions())
        except Exception:  # a permission that needs more of the request: assume it may refuse
            return False

    def _throttled(self) -> bool:
        try:
            throttles = list(self.view.get_throttles())
        except Exception:  # a view that needs a real request to choose: assume it throttles
            return True
        for throttle in throttles:
            if not isinstance(throttle, ScopedRateThrottle) or getattr(self.view, "throttle_scope", None):
                return True
        return False
