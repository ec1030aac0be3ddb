"""GET /tickets/, GET /tickets/{id}/ and POST /tickets/{id}/transfer/ (thin: the rules are in
tests/ticketing/services/test_transfers.py)."""

import pytest

from tests.conftest import assert_error, client_for
from tests.factories import UserFactory
from tests.ticketing.helpers import booked, seat_ids
from ticketing.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(event, buyer) -> Ticket:
    return booked(buyer, event, seat_ids(event, 1)).tickets.get()


@pytest.fixture
def friend(db):
    return UserFactory(username="mate", email="mate@example.com")


def transfer(client, ticket, to, **headers):
    return client.post(f"/api/v1/tickets/{ticket.pk}/transfer/", {"to": to}, format="json", **headers)


def test_the_buyer_lists_their_tickets(buyer_client, ticket, event):
    body = buyer_client.get("/api/v1/tickets/").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["id"], row["code"], row["status"], row["event"], row["received"]) == (
        ticket.pk,
        ticket.code,
        "active",
        event.pk,
        False,
    )
    assert row["venue_time_zone"] and row["section"] and row["booking"] == ticket.booking_id


def test_a_transfer_answers_the_new_ticket_which_the_new_owner_lists(buyer_client, ticket, friend):
    response = transfer(buyer_client, ticket, "mate@example.com")
    assert response.status_code == 200, response.content
    new = response.json()
    assert new["id"] != ticket.pk and new["code"] != ticket.code and new["status"] == "active"
    assert new["received"] is True and new["seat"] == ticket.event_seat_id
    mine = client_for(friend).get("/api/v1/tickets/").json()["results"]
    assert [t["id"] for t in mine] == [new["id"]]
    old = buyer_client.get("/api/v1/tickets/?status=transferred").json()["results"]
    assert [t["id"] for t in old] == [ticket.pk]
    # the buyer's booking shows the seat once and not the new owner's code
    booking = buyer_client.get(f"/api/v1/bookings/{ticket.booking_id}/").json()
    assert booking["seats"] == [ticket.event_seat_id]
    assert new["code"] not in [t["code"] for t in booking["tickets"]]


def test_the_old_code_at_the_gate_is_409_ticket_transferred(buyer_client, ticket, friend, gate_client):
    transfer(buyer_client, ticket, "mate")
    assert_error(
        gate_client.post("/api/v1/checkin/", {"code": ticket.code}, format="json"), 409, "ticket_transferred"
    )


def test_refusals_have_their_codes(buyer_client, ticket, friend, buyer, gate_client):
    assert_error(transfer(buyer_client, ticket, "nobody"), 400, "invalid")
    body = assert_error(transfer(buyer_client, ticket, buyer.username), 400, "invalid")
    assert "to" in body["fields"]
    assert_error(
        buyer_client.post(f"/api/v1/tickets/{ticket.pk}/transfer/", {}, format="json"), 400, "invalid"
    )
    gate_client.post("/api/v1/checkin/", {"code": ticket.code}, format="json")
    assert_error(transfer(buyer_client, ticket, "mate"), 409, "already_checked_in")


def test_a_retry_with_the_same_key_replays_the_transfer(buyer_client, ticket, friend):
    first = transfer(buyer_client, ticket, "mate", HTTP_IDEMPOTENCY_KEY="give-1")
    again = transfer(buyer_client, ticket, "mate", HTTP_IDEMPOTENCY_KEY="give-1")
    assert (first.status_code, again.status_code) == (200, 200) and first.json() == again.json()
    assert Ticket.objects.filter(replaces=ticket).count() == 1
    assert_error(transfer(buyer_client, ticket, "mate"), 409, "ticket_transferred")


def test_another_buyers_ticket_is_404(other_client, ticket):
    assert_error(other_client.get(f"/api/v1/tickets/{ticket.pk}/"), 404, "not_found")
    assert_error(transfer(other_client, ticket, "mate"), 404, "not_found")


def test_the_old_ticket_page_says_transferred(client, buyer_client, ticket, friend):
    transfer(buyer_client, ticket, "mate")
    page = client.get(f"/tickets/{ticket.code}/")
    assert page.status_code == 200 and "TRANSFERRED" in page.content.decode()
