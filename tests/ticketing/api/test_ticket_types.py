"""Ticket types through the API: staff set them on events, buyers book seats at them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import assert_error
from tests.factories import hall_with_layout, on_sale_event
from tests.ticketing.helpers import held, seat_ids
from ticketing.models import Booking, Payment

pytestmark = pytest.mark.django_db

TYPES = [
    {"code": "reduced", "name": "Reduced", "prices": {"vip": "50.00", "standard": "20.00"}},
    {"code": "child", "name": "Child", "prices": {"standard": "10"}, "max_per_booking": 2},
]


@pytest.fixture
def typed_event():
    return on_sale_event(ticket_types=TYPES)


def book(client, hold_id, key=None, **body):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/bookings/", {"hold_id": hold_id, **body}, format="json", **headers)


# --- staff ----------------------------------------------------------------------------------------


def test_staff_create_an_event_with_ticket_types_and_everyone_sees_them(staff_client, anon_client):
    hall = hall_with_layout()
    response = staff_client.post(
        "/api/v1/events/",
        {
            "kind": "show",
            "title": "Hamlet",
            "hall": hall.pk,
            "starts_at": "2031-05-01T18:00:00Z",
            "prices": {"vip": "80", "standard": "35"},
            "status": "on_sale",
            "ticket_types": TYPES,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    expected = [
        {
            "code": "full",
            "name": "Full price",
            "prices": {"standard": "35.00", "vip": "80.00"},
            "max_per_booking": None,
        },
        {
            "code": "reduced",
            "name": "Reduced",
            "prices": {"standard": "20.00", "vip": "50.00"},
            "max_per_booking": None,
        },
        {"code": "child", "name": "Child", "prices": {"standard": "10.00"}, "max_per_booking": 2},
    ]
    assert response.json()["ticket_types"] == expected
    assert anon_client.get(f"/api/v1/events/{response.json()['id']}/").json()["ticket_types"] == expected
    listed = anon_client.get("/api/v1/events/").json()["results"]
    assert [e["ticket_types"] for e in listed] == [expected]


def test_an_event_without_types_shows_full_only(event, anon_client):
    types = anon_client.get(f"/api/v1/events/{event.pk}/").json()["ticket_types"]
    assert [t["code"] for t in types] == ["full"]


def test_staff_patch_replaces_the_types(typed_event, staff_client):
    response = staff_client.patch(
        f"/api/v1/events/{typed_event.pk}/",
        {"ticket_types": [{"code": "member", "name": "Member", "prices": {"vip": "60"}}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert [t["code"] for t in response.json()["ticket_types"]] == ["full", "member"]


@pytest.mark.parametrize(
    "types",
    [
        [{"code": "full", "name": "Full", "prices": {}}],
        [{"code": "x", "name": "X", "prices": {"balcony": "1"}}],
        [{"code": "x", "name": "X", "prices": {}, "colour": "red"}],
        [{"code": "x", "prices": {}}],
        "reduced",
    ],
)
def test_bad_types_are_400_invalid(typed_event, staff_client, types):
    response = staff_client.patch(f"/api/v1/events/{typed_event.pk}/", {"ticket_types": types}, format="json")
    body = assert_error(response, 400, "invalid")
    assert "ticket_types" in body["fields"]


def test_buyers_cannot_set_types(typed_event, buyer_client):
    response = buyer_client.patch(f"/api/v1/events/{typed_event.pk}/", {"ticket_types": []}, format="json")
    assert_error(response, 403, "permission_denied")


# --- buyers ---------------------------------------------------------------------------------------


def test_a_booking_at_types_has_tickets_with_type_and_price(typed_event, buyer, buyer_client):
    ids = seat_ids(typed_event, 1) + seat_ids(typed_event, 2, offset=5)  # vip, standard, standard
    hold = held(buyer, typed_event, ids)
    response = book(buyer_client, hold.id, ticket_types={str(ids[0]): "reduced", str(ids[1]): "child"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {(t["seat"], t["type"], t["price"]) for t in body["tickets"]} == {
        (ids[0], "reduced", "50.00"),
        (ids[1], "child", "10.00"),
        (ids[2], "full", "35.00"),
    }
    assert body["total"] == "95.00"
    assert str(Payment.objects.get(hold=hold).amount) == "95.00"
    # the booking read back says the same
    again = buyer_client.get(f"/api/v1/bookings/{body['id']}/").json()
    assert {(t["type"], t["price"]) for t in again["tickets"]} == {
        (t["type"], t["price"]) for t in body["tickets"]
    }


def test_without_ticket_types_every_ticket_is_full(typed_event, buyer, buyer_client):
    hold = held(buyer, typed_event, seat_ids(typed_event, 2))
    body = book(buyer_client, hold.id).json()
    assert {t["type"] for t in body["tickets"]} == {"full"} and body["total"] == "160.00"


@pytest.mark.parametrize(
    ("picked", "key"),
    [
        (lambda ids: {str(ids[0]): "senior"}, lambda ids: str(ids[0])),  # unknown code
        (lambda ids: {str(ids[0]): "child"}, lambda ids: str(ids[0])),  # no child price for vip
        (lambda ids: {"999999": "reduced"}, lambda ids: "999999"),  # not a seat of the hold
    ],
)
def test_an_unusable_type_is_400_invalid_with_the_seat(typed_event, buyer, buyer_client, picked, key):
    ids = seat_ids(typed_event, 2)
    hold = held(buyer, typed_event, ids)
    body = assert_error(book(buyer_client, hold.id, ticket_types=picked(ids)), 400, "invalid")
    assert list(body["fields"]["ticket_types"]) == [key(ids)]
    assert not Booking.objects.exists()


@pytest.mark.parametrize("types", [{"abc": "full"}, {"-1": "full"}, ["full"], {"1": 5}, {"1": "x" * 21}])
def test_a_malformed_ticket_types_is_400_invalid(typed_event, buyer, buyer_client, types):
    hold = held(buyer, typed_event, seat_ids(typed_event, 1))
    body = assert_error(book(buyer_client, hold.id, ticket_types=types), 400, "invalid")
    assert "ticket_types" in body["fields"]


def test_over_a_types_limit_is_409_ticket_type_limit_exceeded(typed_event, buyer, buyer_client):
    ids = seat_ids(typed_event, 3, offset=5)
    hold = held(buyer, typed_event, ids)
    body = assert_error(
        book(buyer_client, hold.id, ticket_types={str(i): "child" for i in ids}),
        409,
        "ticket_type_limit_exceeded",
    )
    assert body["type"] == "child" and body["limit"] == 2
    assert not Booking.objects.exists()


def test_the_idempotency_key_covers_the_ticket_types(typed_event, buyer, buyer_client):
    ids = seat_ids(typed_event, 1, offset=5)
    hold = held(buyer, typed_event, ids)
    first = book(buyer_client, hold.id, "k-types", ticket_types={str(ids[0]): "child"})
    assert first.status_code == 201, first.json()
    # the same body replays; other types under the same key are refused
    assert book(buyer_client, hold.id, "k-types", ticket_types={str(ids[0]): "child"}).json() == first.json()
    assert_error(
        book(buyer_client, hold.id, "k-types", ticket_types={str(ids[0]): "reduced"}),
        422,
        "idempotency_key_reused",
    )
    assert Booking.objects.count() == 1


def _booking_queries(client, buyer, event, count: int) -> int:
    ids = seat_ids(event, count, offset=5 - count // 2)
    hold = held(buyer, event, ids)
    with CaptureQueriesContext(connection) as queries:
        response = book(client, hold.id, f"k-{count}", ticket_types={str(i): "reduced" for i in ids})
    assert response.status_code == 201, response.json()
    return len(queries.captured_queries)


def test_a_typed_booking_through_the_api_runs_the_same_queries_for_1_and_4_seats(buyer, buyer_client):
    one = _booking_queries(buyer_client, buyer, on_sale_event(ticket_types=TYPES), 1)
    four = _booking_queries(buyer_client, buyer, on_sale_event(ticket_types=TYPES), 4)
    assert one == four
