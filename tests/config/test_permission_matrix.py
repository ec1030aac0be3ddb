"""Who may do what: every endpoint and verb x anonymous, buyer, another buyer, staff.

Each row names the request (built against a fresh world: the buyer owns ``hold`` and
``booking``, the other buyer owns ``other_hold`` and ``other_booking``) and the status each
caller must get. Every role runs in its own savepoint, so one caller's write never changes what
the next one sees. Another buyer's hold or booking is 404, never a 403 that confirms it exists.
``test_matrix_covers_every_operation`` fails when an endpoint is added without a row here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.world import World
from ticketing.models import EventSeat, Season, Ticket, WaitlistEntry
from ticketing.services.seasons import season_create

ROLES = ("anonymous", "buyer", "other", "staff")
Build = Callable[[World, str], Any]  # (world, role) -> a path or a body


@dataclass(frozen=True)
class Row:
    method: str
    template: str  # the path as the schema names it
    path: Build
    expected: tuple[int, int, int, int]  # anonymous, buyer, other, staff
    body: Build | None = None
    note: str = ""
    codes: tuple[str, str, str, str] | None = None  # the error code each caller must get, if pinned

    @property
    def id(self) -> str:
        return f"{self.method} {self.template}{' ' + self.note if self.note else ''}"


def fixed(path: str) -> Build:
    return lambda world, role: path


def free_seat(world: World, role: str) -> dict:
    return {"seat_ids": [world.free_seat_ids()[0]]}


def own_refresh(world: World, role: str) -> dict:
    user = {"other": world.other, "staff": world.staff}.get(role, world.buyer)
    return {"refresh": str(RefreshToken.for_user(user))}


def event_body(world: World, role: str) -> dict:
    return {
        "kind": "show",
        "title": "Matrix",
        "hall": world.event.hall_id,
        "starts_at": (timezone.now() + timedelta(days=3)).isoformat(),
    }


def season_body(world: World, role: str) -> dict:
    return {
        "name": "Matrix season",
        "hall": world.event.hall_id,
        "events": [world.event.pk],
        "prices": {"vip": "100.00", "standard": "50.00"},
    }


def a_season(world: World, *, draft: bool = False) -> int:
    """A season of the world's event (made inside the role's savepoint)."""
    season = season_create(
        name="Matrix season",
        hall=world.event.hall,
        event_ids=[world.event.pk],
        prices={"vip": "100.00", "standard": "50.00"},
        status=Season.Status.DRAFT if draft else Season.Status.ON_SALE,
    )
    return season.pk


def free_hall_seat(world: World, role: str) -> dict:
    seat = EventSeat.objects.filter(pk=world.free_seat_ids()[0]).values_list("seat_id", flat=True).get()
    return {"seat_ids": [seat]}


def ticket_code(world: World, role: str) -> dict:
    return {"code": Ticket.objects.filter(booking=world.booking).order_by("id").first().code}


def buyer_ticket(world: World) -> Ticket:
    return Ticket.objects.filter(booking=world.booking).order_by("id").first()


def checked_in_booking(world: World, role: str) -> str:
    """The buyer's booking, after the gate scanned its first ticket (inside the role's savepoint)."""
    Ticket.objects.filter(pk=Ticket.objects.filter(booking=world.booking).order_by("id")[0].pk).update(
        checked_in_at=timezone.now()
    )
    return f"/api/v1/bookings/{world.booking.pk}/cancel/"


def waitlist_entry_of_buyer(world: World, role: str) -> str:
    """The buyer's waiting-list entry (made inside the role's savepoint)."""
    entry = WaitlistEntry.objects.create(
        event=world.event, buyer=world.buyer, count=1, created_at=timezone.now()
    )
    return f"/api/v1/waitlist/{entry.pk}/"


LAYOUT = {"sections": [{"name": "Stalls", "rows": [{"label": "A", "seats": 4}]}]}
E = "/api/v1/events/"

MATRIX = [
    # --- accounts ---
    Row(
        "POST",
        "/api/v1/auth/register/",
        fixed("/api/v1/auth/register/"),
        (201, 201, 201, 201),
        body=lambda w, r: {"username": "newcomer", "email": "n@example.com", "password": "pw-Longer-9876"},
    ),
    Row(
        "POST",
        "/api/v1/auth/token/",
        fixed("/api/v1/auth/token/"),
        (200, 200, 200, 200),
        body=lambda w, r: {"username": w.buyer.username, "password": "buyer-pass-123"},
    ),
    Row(
        "POST",
        "/api/v1/auth/token/refresh/",
        fixed("/api/v1/auth/token/refresh/"),
        (200, 200, 200, 200),
        body=own_refresh,
    ),
    Row(
        "POST", "/api/v1/auth/logout/", fixed("/api/v1/auth/logout/"), (401, 205, 205, 205), body=own_refresh
    ),
    Row(
        "POST",
        "/api/v1/auth/logout/",
        fixed("/api/v1/auth/logout/"),
        (401, 205, 401, 401),
        body=lambda w, r: {"refresh": str(RefreshToken.for_user(w.buyer))},
        note="(the buyer's token: nobody else can revoke it)",
    ),
    Row("GET", "/api/v1/auth/me/", fixed("/api/v1/auth/me/"), (401, 200, 200, 200)),
    # --- venues and halls: anyone reads, staff write ---
    Row("GET", "/api/v1/venues/", fixed("/api/v1/venues/"), (200, 200, 200, 200)),
    Row(
        "POST",
        "/api/v1/venues/",
        fixed("/api/v1/venues/"),
        (401, 403, 403, 201),
        body=lambda w, r: {"name": "Arena", "kind": "arena", "city": "Nantes", "address": "1 rue"},
    ),
    Row(
        "GET",
        "/api/v1/venues/{id}/",
        lambda w, r: f"/api/v1/venues/{w.spare_venue_id}/",
        (200, 200, 200, 200),
    ),
    Row(
        "PATCH",
        "/api/v1/venues/{id}/",
        lambda w, r: f"/api/v1/venues/{w.spare_venue_id}/",
        (401, 403, 403, 200),
        body=lambda w, r: {"city": "Tours"},
    ),
    Row(
        "DELETE",
        "/api/v1/venues/{id}/",
        lambda w, r: f"/api/v1/venues/{w.spare_venue_id}/",
        (401, 403, 403, 204),
    ),
    Row("GET", "/api/v1/halls/", fixed("/api/v1/halls/"), (200, 200, 200, 200)),
    Row(
        "POST",
        "/api/v1/halls/",
        fixed("/api/v1/halls/"),
        (401, 403, 403, 201),
        body=lambda w, r: {"venue": w.spare_venue_id, "name": "Screen 9"},
    ),
    Row("GET", "/api/v1/halls/{id}/", lambda w, r: f"/api/v1/halls/{w.empty_hall_id}/", (200, 200, 200, 200)),
    Row(
        "PATCH",
        "/api/v1/halls/{id}/",
        lambda w, r: f"/api/v1/halls/{w.empty_hall_id}/",
        (401, 403, 403, 200),
        body=lambda w, r: {"name": "Renamed"},
    ),
    Row(
        "DELETE",
        "/api/v1/halls/{id}/",
        lambda w, r: f"/api/v1/halls/{w.empty_hall_id}/",
        (401, 403, 403, 204),
    ),
    Row(
        "GET",
        "/api/v1/halls/{id}/layout/",
        lambda w, r: f"/api/v1/halls/{w.event.hall_id}/layout/",
        (200, 200, 200, 200),
    ),
    Row(
        "PUT",
        "/api/v1/halls/{id}/layout/",
        lambda w, r: f"/api/v1/halls/{w.empty_hall_id}/layout/",
        (401, 403, 403, 200),
        body=lambda w, r: LAYOUT,
    ),
    # --- events: anyone reads on-sale events, only staff see drafts and write ---
    Row("GET", E, fixed(E), (200, 200, 200, 200)),
    Row("POST", E, fixed(E), (401, 403, 403, 201), body=event_body),
    Row("GET", E + "{id}/", lambda w, r: f"{E}{w.event.pk}/", (200, 200, 200, 200)),
    Row("GET", E + "{id}/", lambda w, r: f"{E}{w.draft.pk}/", (404, 404, 404, 200), note="(draft)"),
    Row(
        "PATCH",
        E + "{id}/",
        lambda w, r: f"{E}{w.event.pk}/",
        (401, 403, 403, 200),
        body=lambda w, r: {"away_team": "Cannes VB"},
    ),
    Row("GET", E + "{id}/seats/", lambda w, r: f"{E}{w.event.pk}/seats/", (200, 200, 200, 200)),
    # Without a GRIP proxy in front (as here) the stream is 204 for everyone: poll the map.
    Row("GET", E + "{id}/seats/stream/", lambda w, r: f"{E}{w.event.pk}/seats/stream/", (204, 204, 204, 204)),
    Row(
        "GET",
        E + "{id}/seats/stream/",
        lambda w, r: f"{E}{w.draft.pk}/seats/stream/",
        (404, 404, 404, 204),
        note="(draft)",
    ),
    Row(
        "GET", E + "{id}/seats/summary/", lambda w, r: f"{E}{w.event.pk}/seats/summary/", (200, 200, 200, 200)
    ),
    Row(
        "GET",
        E + "{id}/seats/summary/",
        lambda w, r: f"{E}{w.draft.pk}/seats/summary/",
        (404, 404, 404, 200),
        note="(draft)",
    ),
    Row(
        "GET", E + "{id}/seats/", lambda w, r: f"{E}{w.draft.pk}/seats/", (404, 404, 404, 200), note="(draft)"
    ),
    Row(
        "POST",
        E + "{id}/seats/block/",
        lambda w, r: f"{E}{w.event.pk}/seats/block/",
        (401, 403, 403, 200),
        body=free_seat,
    ),
    Row(
        "POST",
        E + "{id}/seats/unblock/",
        lambda w, r: f"{E}{w.event.pk}/seats/unblock/",
        (401, 403, 403, 200),
        body=free_seat,
    ),
    Row(
        "POST",
        E + "{id}/holds/",
        lambda w, r: f"{E}{w.event.pk}/holds/",
        (401, 201, 201, 201),
        body=free_seat,
    ),
    Row(
        "POST",
        E + "{id}/holds/",
        lambda w, r: f"{E}{w.draft.pk}/holds/",
        (401, 404, 404, 404),
        body=lambda w, r: {"seat_ids": [1]},
        note="(draft)",
    ),
    # --- the waiting room: buyers join (this event has none: 404); a poll's credential is its token
    Row(
        "POST",
        E + "{id}/queue/",
        lambda w, r: f"{E}{w.event.pk}/queue/",
        (401, 404, 404, 404),
        codes=("not_authenticated", "not_found", "not_found", "not_found"),
        note="(no waiting room)",
    ),
    Row(
        "GET",
        E + "{id}/queue/",
        lambda w, r: f"{E}{w.event.pk}/queue/",
        (400, 400, 400, 400),
        codes=("invalid", "invalid", "invalid", "invalid"),
        note="(no Queue-Token)",
    ),
    Row("GET", E + "{id}/cancel/", lambda w, r: f"{E}{w.event.pk}/cancel/", (401, 403, 403, 200)),
    Row("POST", E + "{id}/cancel/", lambda w, r: f"{E}{w.draft.pk}/cancel/", (401, 403, 403, 200)),
    Row("GET", E + "{id}/report/", lambda w, r: f"{E}{w.event.pk}/report/", (401, 403, 403, 200)),
    # --- holds: the buyer's own only; staff have no window on them here either ---
    Row("GET", "/api/v1/holds/", fixed("/api/v1/holds/"), (401, 200, 200, 200)),
    Row("GET", "/api/v1/holds/{id}/", lambda w, r: f"/api/v1/holds/{w.hold.pk}/", (401, 200, 404, 404)),
    Row("DELETE", "/api/v1/holds/{id}/", lambda w, r: f"/api/v1/holds/{w.hold.pk}/", (401, 204, 404, 404)),
    # --- bookings: the buyer's own; staff see (and may cancel) all ---
    Row("GET", "/api/v1/bookings/", fixed("/api/v1/bookings/"), (401, 200, 200, 200)),
    Row(
        "POST",
        "/api/v1/bookings/",
        fixed("/api/v1/bookings/"),
        (401, 201, 404, 404),
        body=lambda w, r: {"hold_id": w.hold.pk},
    ),
    Row(
        "GET",
        "/api/v1/bookings/{id}/",
        lambda w, r: f"/api/v1/bookings/{w.booking.pk}/",
        (401, 200, 404, 200),
    ),
    Row(
        "POST",
        "/api/v1/bookings/{id}/cancel/",
        lambda w, r: f"/api/v1/bookings/{w.booking.pk}/cancel/",
        (401, 200, 404, 200),
    ),
    Row(
        "POST",
        "/api/v1/bookings/{id}/cancel/",
        checked_in_booking,
        (401, 409, 404, 409),
        codes=("not_authenticated", "ticket_checked_in", "not_found", "ticket_checked_in"),
        note="(a ticket checked in: nobody cancels it by accident)",
    ),
    Row(
        "POST",
        "/api/v1/bookings/{id}/cancel/",
        checked_in_booking,
        (401, 409, 404, 200),
        body=lambda w, r: {"void_checked_in": True},
        codes=("not_authenticated", "ticket_checked_in", "not_found", ""),
        note="(a ticket checked in, void_checked_in: only staff void it)",
    ),
    # --- tickets: the ones the caller holds; only the holder transfers one (staff neither) ---
    Row("GET", "/api/v1/tickets/", fixed("/api/v1/tickets/"), (401, 200, 200, 200)),
    Row(
        "GET",
        "/api/v1/tickets/{id}/",
        lambda w, r: f"/api/v1/tickets/{buyer_ticket(w).pk}/",
        (401, 200, 404, 404),
    ),
    Row(
        "POST",
        "/api/v1/tickets/{id}/transfer/",
        lambda w, r: f"/api/v1/tickets/{buyer_ticket(w).pk}/transfer/",
        (401, 200, 404, 404),
        body=lambda w, r: {"to": w.other.username},
        codes=("not_authenticated", "", "not_found", "not_found"),
    ),
    # --- seasons: anyone reads those on sale (staff also drafts), staff create, buyers hold ---
    Row("GET", "/api/v1/seasons/", fixed("/api/v1/seasons/"), (200, 200, 200, 200)),
    Row("POST", "/api/v1/seasons/", fixed("/api/v1/seasons/"), (401, 403, 403, 201), body=season_body),
    Row("GET", "/api/v1/seasons/{id}/", lambda w, r: f"/api/v1/seasons/{a_season(w)}/", (200, 200, 200, 200)),
    Row(
        "GET",
        "/api/v1/seasons/{id}/",
        lambda w, r: f"/api/v1/seasons/{a_season(w, draft=True)}/",
        (404, 404, 404, 200),
        note="(draft)",
    ),
    Row(
        "GET",
        "/api/v1/seasons/{id}/seats/",
        lambda w, r: f"/api/v1/seasons/{a_season(w)}/seats/",
        (200, 200, 200, 200),
    ),
    Row(
        "POST",
        "/api/v1/seasons/{id}/holds/",
        lambda w, r: f"/api/v1/seasons/{a_season(w)}/holds/",
        (401, 201, 201, 201),
        body=free_hall_seat,
    ),
    Row(
        "POST",
        "/api/v1/seasons/{id}/holds/",
        lambda w, r: f"/api/v1/seasons/{a_season(w, draft=True)}/holds/",
        (401, 404, 404, 409),
        body=free_hall_seat,
        codes=("not_authenticated", "not_found", "not_found", "event_not_on_sale"),
        note="(draft)",
    ),
    # --- the waiting list: buyers join a sold-out event (this one is not), see and leave their own
    Row(
        "POST",
        E + "{id}/waitlist/",
        lambda w, r: f"{E}{w.event.pk}/waitlist/",
        (401, 409, 409, 409),
        body=lambda w, r: {"count": 1},
        codes=("not_authenticated", "event_not_sold_out", "event_not_sold_out", "event_not_sold_out"),
        note="(not sold out)",
    ),
    Row(
        "POST",
        E + "{id}/waitlist/",
        lambda w, r: f"{E}{w.draft.pk}/waitlist/",
        (401, 404, 404, 404),
        body=lambda w, r: {"count": 1},
        note="(draft)",
    ),
    Row("GET", "/api/v1/waitlist/", fixed("/api/v1/waitlist/"), (401, 200, 200, 200)),
    Row("DELETE", "/api/v1/waitlist/{id}/", waitlist_entry_of_buyer, (401, 204, 404, 404)),
    # --- gates ---
    Row("POST", "/api/v1/checkin/", fixed("/api/v1/checkin/"), (401, 403, 403, 200), body=ticket_code),
    Row("GET", "/api/v1/checkin/key/", fixed("/api/v1/checkin/key/"), (200, 200, 200, 200)),
]


def call(world: World, role: str, row: Row) -> tuple[int, str]:
    client = APIClient()
    if role != "anonymous":
        client.credentials(**{"HTTP_AUTHORIZATION": world.headers(role)["Authorization"]})
    body = row.body(world, role) if row.body else None
    response = client.generic(
        row.method,
        row.path(world, role),
        data="" if body is None else json.dumps(body),  # no body, not the bytes "None"
        content_type="application/json",
    )
    if response.status_code >= 400:  # every refusal is the JSON envelope
        assert response["Content-Type"].startswith("application/json"), row.id
        assert "code" in response.json(), row.id
        return response.status_code, response.json()["code"]
    return response.status_code, ""


@pytest.mark.parametrize("row", MATRIX, ids=[row.id for row in MATRIX])
def test_permission_matrix(row: Row, world: World):
    actual, codes = {}, {}
    for role in ROLES:
        savepoint = transaction.savepoint()
        try:
            actual[role], codes[role] = call(world, role, row)
        finally:
            transaction.savepoint_rollback(savepoint)
    assert actual == dict(zip(ROLES, row.expected, strict=True))
    if row.codes is not None:
        assert codes == dict(zip(ROLES, row.codes, strict=True))


def test_matrix_covers_every_operation():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method != "parameters"
    }
    covered = {(row.method, row.template) for row in MATRIX}
    assert operations - covered == set(), "endpoints without a row in the permission matrix"
    assert covered - operations == set(), "rows for endpoints that no longer exist"
