"""Property: no request body, however odd, gets a 5xx from any write endpoint.

hypothesis throws arbitrary JSON (any nesting, integers of any size, floats, lone surrogates,
the endpoints' own field names with values of every type) and raw bytes that are not JSON at
all at every POST/PUT/PATCH/DELETE operation of the OpenAPI schema, as a buyer and as staff,
with and without an ``Idempotency-Key``. Every answer must be below 500 and, when it is an
error, the JSON envelope ``{"code", "detail"}`` with a sentence for ``detail``.

The operations come from the schema, so a new write endpoint is fuzzed without editing this
file. Examples per run: ``FUZZ_BODY_EXAMPLES`` (default 150; the long profile,
``FUZZ_PROFILE=long``, runs 2,000 with random seeds).
"""

from __future__ import annotations

import json
import os
import re

import pytest
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.world import World

LONG = os.environ.get("FUZZ_PROFILE", "ci") == "long"
EXAMPLES = int(os.environ.get("FUZZ_BODY_EXAMPLES", 2000 if LONG else 150))
REPR = re.compile(r"ErrorDetail\(|\{'|\['|<[A-Za-z_.]+ object at 0x")


def write_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"post", "put", "patch", "delete"}
    )


OPERATIONS = write_operations()
FIELD_NAMES = sorted(
    {
        "seat_ids", "hold_id", "note", "reason", "payment_token", "best_available", "count",
        "together", "section", "category", "username", "email", "password", "refresh", "code",
        "name", "venue", "city", "address", "kind", "title", "home_team", "away_team", "hall",
        "starts_at", "status", "prices", "hold_seconds", "max_seats_per_buyer", "sections",
        "rows", "label", "seats", "first_number", "void_checked_in",
    }
)  # fmt: skip

text = st.text(max_size=20) | st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # unbounded: 2**64, 2**70, -2**63 - 1 ...
    | st.integers(min_value=-3, max_value=50)  # ids that exist
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(text, children, max_size=5),
    max_leaves=30,
)
known_objects = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=4)


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


bodies = st.one_of(
    known_objects.map(json.dumps),  # json.dumps writes lone surrogates as \\udxxx escapes
    json_values.map(json.dumps),
    st.integers(min_value=1, max_value=5000).map(deep),
    st.binary(max_size=40).map(lambda raw: raw.decode("latin-1")),
    st.sampled_from(["", "null", "NaN", "[1e400]", '{"a": 1', '"\\ud800"', "\ufeff{}"]),
)


def path_for(template: str, world: World) -> str:
    ids = {
        "/api/v1/events/{id}/cancel/": world.draft.pk,
        "/api/v1/bookings/{id}/cancel/": world.booking.pk,
        "/api/v1/holds/{id}/": world.hold.pk,
        "/api/v1/halls/{id}/": world.empty_hall_id,
        "/api/v1/halls/{id}/layout/": world.empty_hall_id,
        "/api/v1/venues/{id}/": world.spare_venue_id,
    }
    return template.replace("{id}", str(ids.get(template, world.event.pk)))


def assert_envelope(response, label: str) -> None:
    assert response.status_code < 500, f"{label}: {response.status_code} {response.content[:300]!r}"
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json"), label
        body = response.json()
        assert isinstance(body.get("code"), str) and body["code"], label
        assert isinstance(body.get("detail"), str) and body["detail"], label
        assert not REPR.search(body["detail"]), f"{label}: {body['detail']}"


def test_every_write_endpoint_is_in_the_fuzzed_list():
    # the schema is the list; this pins that it is not empty nor missing the hot paths
    assert ("POST", "/api/v1/events/{id}/holds/") in OPERATIONS
    assert ("POST", "/api/v1/bookings/") in OPERATIONS
    assert len(OPERATIONS) >= 20


@pytest.mark.django_db
def test_no_body_gets_a_server_error(world: World):
    cases = {"count": 0}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not LONG,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        operation=st.sampled_from(OPERATIONS),
        role=st.sampled_from(["buyer", "staff"]),
        key=st.none() | st.text(st.characters(codec="ascii", min_codepoint=33), min_size=1, max_size=8),
        body=bodies,
    )
    def case(operation, role, key, body):
        method, template = operation
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=world.headers(role)["Authorization"])
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
        savepoint = transaction.savepoint()  # each case starts from the same world
        try:
            response = client.generic(
                method,
                path_for(template, world),
                data=body.encode("utf-8", "surrogatepass"),
                content_type="application/json",
                **headers,
            )
        finally:
            transaction.savepoint_rollback(savepoint)
        cases["count"] += 1
        assert_envelope(response, f"{method} {template} as {role} key={key!r} body={body[:120]!r}")

    case()
    print(f"\nfuzzed bodies: {cases['count']} cases over {len(OPERATIONS)} write operations, none 5xx")
    assert cases["count"] >= EXAMPLES
