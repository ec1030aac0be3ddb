"""API of the waiting list (SPEC §9): join (201), list with position and offer, leave (204);
the refusals' status and code; an offer booked through POST /bookings/."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error, client_for
from tests.factories import StaffFactory, UserFactory
from tests.ticketing.helpers import booked, event_with_rows, seat_ids
from ticketing.models import Event
from ticketing.services.bookings import bookings_cancel

pytestmark = pytest.mark.django_db


@pytest.fixture
def sold_out():
    event = event_with_rows(2)
    booking = booked(UserFactory(), event, seat_ids(event))
    return event, booking


def join(client, event, body):
    return client.post(f"/api/v1/events/{event.pk}/waitlist/", body, format="json")


def test_join_see_the_position_and_leave(sold_out, buyer, buyer_client):
    event, _ = sold_out
    ahead = client_for(UserFactory())
    assert join(ahead, event, {"count": 1}).status_code == 201
    response = join(buyer_client, event, {"count": 2, "category": "standard"})
    assert response.status_code == 201, response.json()
    entry = response.json()
    assert {k: entry[k] for k in ("event", "count", "category", "status", "position", "hold")} == {
        "event": event.pk,
        "count": 2,
        "category": "standard",
        "status": "waiting",
        "position": 2,
        "hold": None,
    }
    listed = buyer_client.get("/api/v1/waitlist/").json()
    assert listed["count"] == 1 and listed["results"][0]["position"] == 2
    assert buyer_client.delete(f"/api/v1/waitlist/{entry['id']}/").status_code == 204
    assert buyer_client.get("/api/v1/waitlist/").json()["results"][0]["status"] == "left"
    assert_error(buyer_client.delete(f"/api/v1/waitlist/{entry['id']}/"), 409, "waitlist_entry_closed")


def test_an_offer_shows_its_hold_and_is_booked_with_it(sold_out, buyer, buyer_client):
    event, booking = sold_out
    entry = join(buyer_client, event, {"count": 2}).json()
    bookings_cancel(booking_ids=[booking.pk], actor=StaffFactory())
    [offered] = buyer_client.get("/api/v1/waitlist/").json()["results"]
    assert offered["status"] == "offered" and offered["position"] is None
    assert offered["hold"] and offered["hold_expires_at"]
    hold = buyer_client.get(f"/api/v1/holds/{offered['hold']}/").json()
    assert (hold["status"], len(hold["seats"])) == ("active", 2)
    response = buyer_client.post("/api/v1/bookings/", {"hold_id": offered["hold"]}, format="json")
    assert response.status_code == 201, response.json()
    [fulfilled] = buyer_client.get("/api/v1/waitlist/").json()["results"]
    assert (fulfilled["id"], fulfilled["status"], fulfilled["hold"]) == (entry["id"], "fulfilled", None)


def test_join_refusals(sold_out, buyer_client):
    event, _ = sold_out
    assert_error(join(buyer_client, event, {"count": 0}), 400, "invalid")
    assert_error(join(buyer_client, event, {"count": 11}), 400, "invalid")
    assert_error(join(buyer_client, event, {}), 400, "invalid")
    assert_error(join(buyer_client, event, {"count": 1, "category": "balcony"}), 400, "invalid")
    assert join(buyer_client, event, {"count": 1}).status_code == 201
    assert_error(join(buyer_client, event, {"count": 1}), 409, "already_on_waitlist")
    free = event_with_rows(2)
    assert_error(join(buyer_client, free, {"count": 1}), 409, "event_not_sold_out")
    Event.objects.filter(pk=free.pk).update(status=Event.Status.CLOSED)
    assert_error(join(buyer_client, free, {"count": 1}), 409, "event_not_on_sale")
    Event.objects.filter(pk=free.pk).update(status=Event.Status.DRAFT)
    assert_error(join(buyer_client, free, {"count": 1}), 404, "not_found")
    assert_error(join(client_for(), event, {"count": 1}), 401, "not_authenticated")


def test_another_buyers_entry_is_not_found(sold_out, buyer_client, other_buyer):
    event, _ = sold_out
    entry = join(client_for(other_buyer), event, {"count": 1}).json()
    assert_error(buyer_client.delete(f"/api/v1/waitlist/{entry['id']}/"), 404, "not_found")
    assert buyer_client.get("/api/v1/waitlist/").json()["count"] == 0
    assert_error(buyer_client.delete("/api/v1/waitlist/abc/"), 404, "not_found")


def test_a_waiting_entry_of_a_cancelled_or_started_event_reads_expired(sold_out, buyer_client):
    event, _ = sold_out
    entry = join(buyer_client, event, {"count": 1}).json()
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)
    [listed] = buyer_client.get("/api/v1/waitlist/").json()["results"]
    assert (listed["id"], listed["status"], listed["position"]) == (entry["id"], "expired", None)


@pytest.mark.parametrize("entries", [1, 4])
def test_the_list_runs_a_constant_number_of_queries(buyer, buyer_client, django_assert_num_queries, entries):
    for _ in range(entries):
        event = event_with_rows(1)
        booked(UserFactory(), event, seat_ids(event))
        assert join(buyer_client, event, {"count": 1}).status_code == 201
    with django_assert_num_queries(3):  # the user, the count, the page (events, offers, places joined)
        response = buyer_client.get("/api/v1/waitlist/")
    assert response.json()["count"] == entries
