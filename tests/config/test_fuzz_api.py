"""schemathesis against our own OpenAPI schema: every operation, as anonymous, a buyer and staff.

Each generated request (valid and deliberately invalid data) must get: no 5xx; a status the
schema documents for that operation; a body that matches the documented schema; JSON, never an
HTML page; and for every error the envelope ``{"code", "detail"}``; invalid data is refused.

Profiles (env ``FUZZ_PROFILE``):
- ``ci`` (default): deterministic, a few examples per operation and role (a few hundred
  requests in all), the coverage phase off; well under two minutes per database.
- ``long``: random seeds, many examples, the coverage phase (boundary values, missing fields,
  wrong types) on: ``FUZZ_PROFILE=long pytest tests/config/test_fuzz_api.py``.
``FUZZ_EXAMPLES`` overrides the number of examples per operation and role.
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.mutations import OperatorKind
from schemathesis.generation.meta import CoverageScenario
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from ticketing.models import EventSeat, Season, WaitlistEntry
from ticketing.services.seasons import season_create

PROFILE = os.environ.get("FUZZ_PROFILE", "ci")
LONG = PROFILE == "long"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 100 if LONG else 3))

config = schemathesis.Config.from_dict(
    {
        "generation": {
            "mode": "all",  # positive and negative data
            "max-examples": EXAMPLES,
            "deterministic": not LONG,
            "with-security-parameters": False,  # the test sends the role's own token
            "database": "none",
        },
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": LONG},
            "stateful": {"enabled": False},
        },
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application(), config=config)


def is_drf_normalisation(case) -> bool:
    """A negative case that only differs from valid data by what DRF normalises by design.

    - a JSON scalar of the wrong type that converts losslessly: 0 for "0", "12" for 12;
    - an integral float for an integer: 5.0 (or "5.0" in a query string) for 5;
    - whitespace around a string, trimmed before its length is checked.
    Booleans, nulls, lists and objects of the wrong type, non-numeric strings for numbers, and
    strings too long once trimmed are all refused, and the check still fails on them.
    """
    data = getattr(getattr(getattr(case, "meta", None), "phase", None), "data", None)
    mutations = getattr(data, "mutations", None) or []
    if mutations:
        return all(
            (m.operator == OperatorKind.CHANGE_TYPE and is_scalar(m.new_value))
            or is_integral_float(m.new_value)
            or is_padded_string(m.new_value)
            for m in mutations
        )
    # The coverage phase points at the property instead: location "/properties/<name>/type".
    if getattr(data, "scenario", None) == CoverageScenario.INCORRECT_TYPE and isinstance(case.body, dict):
        parts = (data.location or "").split("/")
        if len(parts) == 4 and parts[1] == "properties" and parts[3] == "type":
            return parts[2] in case.body and is_scalar(case.body[parts[2]])
    return False


def is_scalar(value) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def is_integral_float(value) -> bool:
    try:
        return not isinstance(value, bool) and float(value).is_integer() and "." in str(value)
    except (TypeError, ValueError, OverflowError):
        return False


def is_padded_string(value) -> bool:
    return isinstance(value, str) and value != value.strip()


@schemathesis.check
def invalid_data_refused(ctx, response, case):
    """schemathesis' negative_data_rejection, minus DRF's documented normalisations."""
    try:
        return negative_data_rejection(ctx, response, case)
    except Exception:
        if is_drf_normalisation(case):
            return None
        raise


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    missing_required_header,
    unsupported_method,
]


@schemathesis.check
def json_error_envelope(ctx, response, case):
    """No HTML anywhere; every error is JSON with a string ``code`` and ``detail``."""
    content_type = response.headers.get("content-type", [""])[0]
    if "html" in content_type:
        raise AssertionError(f"HTML response ({content_type}) from {case.method} {case.formatted_path}")
    if response.status_code >= 400:
        assert content_type.startswith("application/json"), f"error without JSON: {content_type!r}"
        body = json.loads(response.content)
        assert isinstance(body.get("code"), str) and body["code"], f"no error code in {body}"
        assert isinstance(body.get("detail"), str), f"no error detail in {body}"
        if response.status_code in (429, 503):
            assert response.headers.get("retry-after"), "429/503 without Retry-After"
    return None


@pytest.fixture
def no_idle_timeout():
    """Hypothesis thinks between requests inside one long test transaction; PostgreSQL would end
    it after DB_IDLE_IN_TRANSACTION_TIMEOUT_MS. Reverted with the test's transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET idle_in_transaction_session_timeout = 0")


def fuzz_season(world) -> int:
    """A season of the world's event, made once."""
    season = Season.objects.filter(name="Fuzz season").first()
    if season is None:
        season = season_create(
            name="Fuzz season",
            hall=world.event.hall,
            event_ids=[world.event.pk],
            prices={"vip": "100.00", "standard": "50.00"},
        )
    return season.pk


def waitlist_entry_ids(world) -> list[int]:
    """The buyer's waiting-list entry on the world's event (made once per test), and a missing id."""
    entry = WaitlistEntry.objects.filter(buyer=world.buyer, event=world.event).first()
    if entry is None:
        entry = WaitlistEntry.objects.create(
            buyer=world.buyer, event=world.event, count=1, created_at=timezone.now()
        )
    return [entry.pk, entry.pk + 1000]


def aim_at_real_objects(case, world, role: str) -> None:
    """Point some generated ids at objects that exist, so that more than 404s get exercised.

    The choice is a function of the generated value, so Hypothesis can still shrink a failure.
    """
    path_ids = {
        "/api/v1/events/": [world.event.pk, world.draft.pk],
        "/api/v1/holds/": [world.hold.pk, world.other_hold.pk],
        "/api/v1/bookings/": [world.booking.pk, world.other_booking.pk],
        "/api/v1/halls/": [world.event.hall_id, world.empty_hall_id],
        "/api/v1/venues/": [world.event.hall.venue_id, world.spare_venue_id],
        "/api/v1/tickets/": [
            world.booking.tickets.order_by("id")[0].pk,
            world.other_booking.tickets.all()[0].pk,
        ],
        "/api/v1/seasons/": [fuzz_season(world)],
    }
    if case.operation.path.startswith("/api/v1/waitlist/"):
        path_ids["/api/v1/waitlist/"] = waitlist_entry_ids(world)
    generated = (case.path_parameters or {}).get("id")
    if isinstance(generated, int) and generated % 5:
        for prefix, ids in path_ids.items():
            if case.operation.path.startswith(prefix):
                case.path_parameters["id"] = ids[generated % len(ids)]
    body = case.body if isinstance(case.body, dict) else None
    if body is None or case.meta is None or not case.meta.generation.mode.is_positive:
        return  # remapping a negative body could turn it valid
    seat_ids = body.get("seat_ids")
    if isinstance(seat_ids, list) and seat_ids and all(isinstance(i, int) for i in seat_ids):
        free = world.free_seat_ids()
        if case.operation.path.startswith("/api/v1/seasons/"):  # a season holds hall seats
            free = list(
                EventSeat.objects.filter(id__in=free).order_by("id").values_list("seat_id", flat=True)
            )
        if free and seat_ids[0] % 3:
            body["seat_ids"] = sorted({free[i % len(free)] for i in seat_ids})
    hold_id = body.get("hold_id")
    if isinstance(hold_id, int) and hold_id % 3:
        body["hold_id"] = [world.hold.pk, world.other_hold.pk][hold_id % 2]
    to = body.get("to")
    if isinstance(to, str) and len(to) % 3:  # a transfer to an account that exists
        body["to"] = [world.other.username, world.buyer.email][len(to) % 2]
    picked = body.get("ticket_types")
    if isinstance(picked, dict) and picked and body.get("hold_id") == world.hold.pk:
        # the hold's own seats, at full, a type of the event, or a code it does not have
        seats = sorted(world.hold.seats.values_list("id", flat=True))
        codes = ["reduced", "full", "child", "senior"]
        body["ticket_types"] = {str(seats[i % len(seats)]): codes[i % len(codes)] for i in range(len(picked))}


@pytest.mark.parametrize("role", ["anonymous", "buyer", "staff"])
@schema.parametrize()
@settings(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    max_examples=EXAMPLES,
    derandomize=not LONG,
    database=None,
)
def test_api_fuzz(case, role, world, keep_connection_open, no_idle_timeout):
    aim_at_real_objects(case, world, role)
    # identity: the seat map is gzipped for clients that ask, and this WSGI client does not unzip.
    headers = {**world.headers(role), "Accept-Encoding": "identity"}
    case.call_and_validate(
        headers=headers, checks=CHECKS, additional_checks=[invalid_data_refused, json_error_envelope]
    )
