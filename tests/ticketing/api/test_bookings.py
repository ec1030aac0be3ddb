"""The bookings endpoints (/bookings/, cancel): happy paths, permissions, the error envelope."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import assert_error, client_for, holds_url
from tests.factories import StaffFactory, UserFactory, hall_with_layout, on_sale_event
from tests.ticketing.helpers import booked, held, seat_ids, statuses
from ticketing.models import Event, EventSeat, Hold
from ticketing.services.holds import hold_create
from venues.models import Venue

pytestmark = pytest.mark.django_db


# --- /bookings/ ---------------------------------------------------------------------------------


def test_booking_created_from_my_hold(event, buyer, buyer_client):
    ids = seat_ids(event, 2)
    hold = held(buyer, event, ids)
    response = buyer_client.post("/api/v1/bookings/", {"hold_id": hold.id}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["event"] == event.id and body["status"] == "confirmed" and body["total"] == "160.00"
    assert body["seats"] == ids
    assert [t["seat"] for t in body["tickets"]] == ids
    assert all(t["id"] and len(t["code"]) >= 20 for t in body["tickets"])
    assert statuses(ids) == ["booked", "booked"]
    # rendered from what the service attached, not read back: the same answer as a read
    assert buyer_client.get(f"/api/v1/bookings/{body['id']}/").json() == body


def test_a_booking_says_its_venues_time_zone(buyer, buyer_client):
    # given: a booking for an event at a venue in Paris
    hall = hall_with_layout()
    Venue.objects.filter(pk=hall.venue_id).update(time_zone="Europe/Paris")
    event = on_sale_event(hall=hall)
    hold = held(buyer, event, seat_ids(event, 1))
    # when / then: the booking's answer and the list show when it starts, and in which zone
    created = buyer_client.post("/api/v1/bookings/", {"hold_id": hold.id}, format="json").json()
    assert created["venue_time_zone"] == "Europe/Paris"
    assert buyer_client.get("/api/v1/bookings/").json()["results"][0]["venue_time_zone"] == "Europe/Paris"


def test_a_hold_answer_is_the_same_as_reading_the_hold_back(event, buyer_client):
    body = buyer_client.post(holds_url(event), {"seat_ids": seat_ids(event, 3)}, format="json").json()
    again = buyer_client.get(f"/api/v1/holds/{body['id']}/").json()
    assert {**again, "seconds_left": body["seconds_left"]} == body


def test_booking_an_expired_released_or_booked_hold_is_hold_expired(event, buyer, buyer_client):
    ids = seat_ids(event, 3)
    expired = held(buyer, event, ids[:1])
    Hold.objects.filter(pk=expired.pk).update(
        created_at=timezone.now() - timedelta(hours=2), expires_at=timezone.now() - timedelta(hours=1)
    )
    released = held(buyer, event, ids[1:2])
    buyer_client.delete(f"/api/v1/holds/{released.id}/")
    done = held(buyer, event, ids[2:3])
    buyer_client.post("/api/v1/bookings/", {"hold_id": done.id}, format="json")
    for hold in (expired, released, done):
        response = buyer_client.post("/api/v1/bookings/", {"hold_id": hold.id}, format="json")
        assert_error(response, 409, "hold_expired")


def test_booking_with_a_malformed_body_is_invalid(buyer_client):
    for body in ({}, {"hold_id": "x"}, {"hold_id": 0}):
        assert_error(buyer_client.post("/api/v1/bookings/", body, format="json"), 400, "invalid")


def test_bookings_list_and_retrieve_show_my_own(event, buyer, buyer_client, other_buyer, other_client):
    ids = seat_ids(event, 2)
    mine = booked(buyer, event, ids[:1])
    theirs = booked(other_buyer, event, ids[1:2])
    assert [b["id"] for b in buyer_client.get("/api/v1/bookings/").json()["results"]] == [mine.id]
    assert buyer_client.get(f"/api/v1/bookings/{mine.id}/").json()["id"] == mine.id
    # another buyer's booking is a 404 for every verb
    assert_error(buyer_client.get(f"/api/v1/bookings/{theirs.id}/"), 404, "not_found")
    assert_error(buyer_client.post(f"/api/v1/bookings/{theirs.id}/cancel/"), 404, "not_found")
    assert other_client.get(f"/api/v1/bookings/{theirs.id}/").status_code == 200
    assert statuses(ids[1:2]) == ["booked"]


def test_staff_see_all_bookings_with_event_and_status_filters(buyer, other_buyer, staff_client):
    first, second = on_sale_event(), on_sale_event()
    a = booked(buyer, first, seat_ids(first, 1))
    b = booked(other_buyer, first, seat_ids(first, 1, offset=1))
    c = booked(buyer, second, seat_ids(second, 1))
    staff_client.post(f"/api/v1/bookings/{b.id}/cancel/")

    def ids(query: str = "") -> set[int]:
        response = staff_client.get(f"/api/v1/bookings/{query}")
        assert response.status_code == 200, response.json()
        return {booking["id"] for booking in response.json()["results"]}

    assert ids() == {a.id, b.id, c.id}
    assert ids(f"?event={first.id}") == {a.id, b.id}
    assert ids("?status=cancelled") == {b.id}
    assert ids(f"?event={first.id}&status=confirmed") == {a.id}
    assert staff_client.get(f"/api/v1/bookings/{c.id}/").status_code == 200
    assert_error(staff_client.get("/api/v1/bookings/?status=lost"), 400, "invalid")


def test_cancel_by_the_owner_then_again(event, buyer, buyer_client, other_client):
    ids = seat_ids(event, 2)
    booking = booked(buyer, event, ids)
    response = buyer_client.post(f"/api/v1/bookings/{booking.id}/cancel/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled" and response.json()["id"] == booking.id
    assert statuses(ids) == ["available", "available"]
    assert other_client.post(holds_url(event), {"seat_ids": ids}, format="json").status_code == 201
    assert_error(buyer_client.post(f"/api/v1/bookings/{booking.id}/cancel/"), 409, "already_cancelled")


def test_cancel_by_staff(event, buyer):
    booking = booked(buyer, event, seat_ids(event, 1))
    response = client_for(StaffFactory()).post(f"/api/v1/bookings/{booking.id}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_cancel_after_the_start_is_cancellation_closed(buyer, buyer_client):
    event = on_sale_event(starts_in=timedelta(minutes=5))
    booking = booked(buyer, event, seat_ids(event, 1))
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(seconds=1))
    assert_error(buyer_client.post(f"/api/v1/bookings/{booking.id}/cancel/"), 409, "cancellation_closed")


def test_bookings_need_a_login(anon_client):
    assert_error(anon_client.get("/api/v1/bookings/"), 401, "not_authenticated")
    assert_error(
        anon_client.post("/api/v1/bookings/", {"hold_id": 1}, format="json"), 401, "not_authenticated"
    )


def test_unknown_ids_are_json_404s(buyer_client):
    for response in (
        buyer_client.get("/api/v1/holds/999999/"),
        buyer_client.delete("/api/v1/holds/999999/"),
        buyer_client.get("/api/v1/bookings/999999/"),
        buyer_client.post("/api/v1/bookings/999999/cancel/"),
        buyer_client.post("/api/v1/bookings/", {"hold_id": 999999}, format="json"),
    ):
        assert_error(response, 404, "not_found")


def test_a_full_flow_leaves_a_clean_inventory(event, buyer_client):
    from tests.ticketing.helpers import assert_inventory_clean

    ids = seat_ids(event, 3)
    hold = buyer_client.post(holds_url(event), {"seat_ids": ids}, format="json").json()
    booking = buyer_client.post("/api/v1/bookings/", {"hold_id": hold["id"]}, format="json").json()
    buyer_client.post(f"/api/v1/bookings/{booking['id']}/cancel/")
    hold_create(buyer=UserFactory(), event=event, seat_ids=ids)
    assert EventSeat.objects.filter(event=event, status="held").count() == 3
    assert_inventory_clean(event.id)


def test_out_of_range_ids_are_404_or_invalid_never_500(event, buyer_client, staff_client):
    huge = 10**30
    assert buyer_client.get(f"/api/v1/holds/{huge}/").status_code == 404
    assert buyer_client.delete(f"/api/v1/holds/{huge}/").status_code == 404
    assert buyer_client.post(f"/api/v1/bookings/{huge}/cancel/").status_code == 404
    assert buyer_client.post("/api/v1/bookings/", {"hold_id": huge}, format="json").status_code in (400, 404)
    assert staff_client.get(f"/api/v1/bookings/?event={huge}").status_code == 400
    response = buyer_client.post(holds_url(event), {"seat_ids": [huge]}, format="json")
    assert_error(response, 400, "invalid")
