"""The seasons endpoints: create (staff), read (anyone), hold (buyer), book and cancel through
/bookings/; the event seat map shows season seats as booked."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import assert_error
from tests.factories import hall_with_layout, on_sale_event
from tests.ticketing.helpers import booked
from ticketing.models import EventSeat, Season
from ticketing.services.seasons import season_create
from venues.models import Seat

pytestmark = pytest.mark.django_db

PRICES = {"vip": "300.00", "standard": "100.00"}


@pytest.fixture
def season(db) -> Season:
    hall = hall_with_layout()
    events = [on_sale_event(hall=hall, starts_in=timedelta(days=7 + i)) for i in range(3)]
    return season_create(name="Season 2027", hall=hall, event_ids=[e.id for e in events], prices=PRICES)


def hall_seats(season: Season, count: int) -> list[int]:
    return list(Seat.objects.filter(section__hall=season.hall).order_by("id").values_list("id", flat=True))[
        :count
    ]


def test_staff_create_a_season_buyers_may_not(staff_client, buyer_client, anon_client):
    hall = hall_with_layout()
    events = [on_sale_event(hall=hall).id, on_sale_event(hall=hall).id]
    body = {"name": "Winter", "hall": hall.id, "events": events, "prices": PRICES}
    assert_error(buyer_client.post("/api/v1/seasons/", body, format="json"), 403, "permission_denied")
    assert_error(anon_client.post("/api/v1/seasons/", body, format="json"), 401, "not_authenticated")
    response = staff_client.post("/api/v1/seasons/", body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["events"][0]["id"] == min(events) and created["prices"] == PRICES
    assert created["refund_rule"] == "pro_rata" and created["status"] == "on_sale"


def test_a_season_of_another_halls_event_is_invalid(staff_client):
    hall = hall_with_layout()
    body = {"name": "W", "hall": hall.id, "events": [on_sale_event().id], "prices": PRICES}
    assert_error(staff_client.post("/api/v1/seasons/", body, format="json"), 400, "invalid")


def test_anyone_reads_seasons_on_sale_not_drafts(season, anon_client, staff_client):
    assert anon_client.get("/api/v1/seasons/").json()["count"] == 1
    assert len(anon_client.get(f"/api/v1/seasons/{season.id}/").json()["events"]) == 3
    Season.objects.filter(pk=season.pk).update(status=Season.Status.DRAFT)
    assert_error(anon_client.get(f"/api/v1/seasons/{season.id}/"), 404, "not_found")
    assert staff_client.get(f"/api/v1/seasons/{season.id}/").status_code == 200


def test_hold_book_and_cancel_a_season(season, buyer_client, anon_client, fake_gateway):
    seats = hall_seats(season, 2)
    # hold
    response = buyer_client.post(f"/api/v1/seasons/{season.id}/holds/", {"seat_ids": seats}, format="json")
    assert response.status_code == 201, response.json()
    hold = response.json()
    assert hold["season"] == season.id and hold["event"] is None and hold["total"] == "600.00"
    assert len(hold["seats"]) == 6 and {s["hall_seat"] for s in hold["seats"]} == set(seats)
    assert {s["price"] for s in hold["seats"]} == {"100.00"}  # a third of 300.00 each: the tickets' prices
    assert buyer_client.get(f"/api/v1/holds/{hold['id']}/").json()["season_name"] == "Season 2027"
    # the season's map: those seats are mine, taken for the others
    mine = {row["id"]: row for row in buyer_client.get(f"/api/v1/seasons/{season.id}/seats/").json()["seats"]}
    assert mine[seats[0]]["mine"] and mine[seats[0]]["status"] == "taken"
    assert anon_client.get(f"/api/v1/seasons/{season.id}/seats/").json()["seats"][0]["mine"] is False
    # book
    response = buyer_client.post("/api/v1/bookings/", {"hold_id": hold["id"]}, format="json")
    assert response.status_code == 201, response.json()
    booking = response.json()
    assert booking["season"] == season.id and booking["total"] == "600.00" and len(booking["tickets"]) == 6
    assert len({t["event"] for t in booking["tickets"]}) == 3
    # every event's seat map shows them booked
    for event in season.events.all():
        event_seat = EventSeat.objects.get(event=event, seat_id=seats[0])
        statuses = {row["id"]: row["status"] for row in _event_map(anon_client, event.id)}
        assert statuses[event_seat.id] == "booked"
    # cancel
    response = buyer_client.post(f"/api/v1/bookings/{booking['id']}/cancel/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled"
    assert EventSeat.objects.filter(status=EventSeat.Status.BOOKED).count() == 0


def _event_map(client, event_id: int) -> list[dict]:
    body = client.get(f"/api/v1/events/{event_id}/seats/").json()
    return body["seats"]


def test_a_seat_sold_in_one_event_is_409_naming_event_and_seat(season, buyer_client, other_buyer):
    seats = hall_seats(season, 2)
    event = season.events.order_by("id")[1]
    sold = EventSeat.objects.get(event=event, seat_id=seats[0])
    booked(other_buyer, event, [sold.id])
    body = assert_error(
        buyer_client.post(f"/api/v1/seasons/{season.id}/holds/", {"seat_ids": seats}, format="json"),
        409,
        "seats_unavailable",
    )
    assert body["seats"] == [{"id": sold.id, "event": event.id, "seat": seats[0], "status": "booked"}]


def test_season_hold_needs_a_buyer_and_valid_ids(season, anon_client, buyer_client):
    url = f"/api/v1/seasons/{season.id}/holds/"
    assert_error(anon_client.post(url, {"seat_ids": [1]}, format="json"), 401, "not_authenticated")
    assert_error(buyer_client.post(url, {"seat_ids": []}, format="json"), 400, "invalid")
    assert_error(buyer_client.post(url, {"seat_ids": [999999]}, format="json"), 400, "invalid")


def test_a_season_hold_retried_with_its_key_is_one_hold(season, buyer_client):
    url, body = f"/api/v1/seasons/{season.id}/holds/", {"seat_ids": hall_seats(season, 1)}
    first = buyer_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="season-1")
    again = buyer_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="season-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    other = {"seat_ids": hall_seats(season, 2)}
    assert_error(
        buyer_client.post(url, other, format="json", HTTP_IDEMPOTENCY_KEY="season-1"),
        422,
        "idempotency_key_reused",
    )
    assert EventSeat.objects.filter(status=EventSeat.Status.HELD).count() == 3


def test_a_season_ticket_checks_in_at_its_own_events_gate_only(season, buyer, gate_client, fake_gateway):
    from ticketing.services.bookings import booking_create
    from ticketing.services.seasons import season_hold_create

    hold = season_hold_create(buyer=buyer, season=season, seat_ids=hall_seats(season, 1))
    booking = booking_create(buyer=buyer, hold_id=hold.id)
    first, second, _ = season.events.order_by("id")
    ticket = booking.tickets.get(event_seat__event=second)
    refused = gate_client.post("/api/v1/checkin/", {"code": ticket.code, "event": first.id}, format="json")
    assert_error(refused, 409, "wrong_event")
    response = gate_client.post("/api/v1/checkin/", {"code": ticket.code, "event": second.id}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["event"] == second.id and response.json()["event_name"] == second.name
