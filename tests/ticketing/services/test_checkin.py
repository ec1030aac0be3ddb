"""Gate check-in: service and POST /api/v1/checkin/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from config.errors import Invalid
from tests.conftest import client_for
from tests.factories import on_sale_event
from tests.ticketing.helpers import booked, seat_ids
from ticketing.models import Ticket
from ticketing.services.bookings import bookings_cancel
from ticketing.services.checkin import AlreadyCheckedIn, TicketRevoked, WrongEvent, ticket_check_in
from ticketing.services.tickets import ticket_code_sign

pytestmark = pytest.mark.django_db

URL = "/api/v1/checkin/"


@pytest.fixture
def ticket(event, buyer) -> Ticket:
    return booked(buyer, event, seat_ids(event, 1, offset=2)).tickets.get()


def test_the_first_scan_admits_and_says_where_to_sit(ticket, gate_user):
    now = timezone.now()
    admitted = ticket_check_in(code=ticket.code, actor=gate_user, now=now)
    assert admitted.pk == ticket.pk and admitted.checked_in_at == now
    ticket.refresh_from_db()
    assert ticket.checked_in_at == now


def test_a_second_scan_is_refused_with_the_first_scan_time(ticket, gate_user):
    first = timezone.now()
    ticket_check_in(code=ticket.code, actor=gate_user, now=first)
    with pytest.raises(AlreadyCheckedIn) as error:
        ticket_check_in(code=ticket.code, actor=gate_user, now=first + timedelta(minutes=5))
    assert error.value.http_status == 409
    assert error.value.extra["checked_in_at"] == first.isoformat().replace("+00:00", "Z")


def test_a_cancelled_booking_ticket_is_revoked(ticket, buyer, gate_user):
    bookings_cancel(booking_ids=[ticket.booking.pk], actor=buyer)
    with pytest.raises(TicketRevoked):
        ticket_check_in(code=ticket.code, actor=gate_user)


def test_a_ticket_for_another_event_is_refused_when_the_gate_says_its_event(ticket, gate_user):
    other = on_sale_event()
    with pytest.raises(WrongEvent):
        ticket_check_in(code=ticket.code, actor=gate_user, event_id=other.id)
    assert ticket_check_in(code=ticket.code, actor=gate_user, event_id=ticket.booking.event_id)


def test_a_genuine_signature_for_no_ticket_is_invalid(gate_user):
    with pytest.raises(Invalid):
        ticket_check_in(code=ticket_code_sign(event_id=1, event_seat_id=1, booking_id=10**9), actor=gate_user)


# --- API ---------------------------------------------------------------------------------------


def test_api_first_scan_200_with_event_section_row_seat(ticket, gate_client):
    response = gate_client.post(URL, {"code": ticket.code}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    seat = ticket.event_seat.seat
    assert body["event"] == ticket.booking.event_id
    assert (body["section"], body["row"], body["seat"]) == (seat.section.name, seat.row_label, seat.number)
    assert body["checked_in_at"]


def test_api_repeat_409_already_checked_in_with_first_time(ticket, gate_client):
    first = gate_client.post(URL, {"code": ticket.code}, format="json").json()
    again = gate_client.post(URL, {"code": ticket.code}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_checked_in"
    assert again.json()["checked_in_at"] == first["checked_in_at"]


def test_api_cancelled_booking_409_ticket_revoked(ticket, buyer, gate_client):
    bookings_cancel(booking_ids=[ticket.booking.pk], actor=buyer)
    response = gate_client.post(URL, {"code": ticket.code}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "ticket_revoked"


@pytest.mark.parametrize("code", ["forged", "A" * 119, "", 12])
def test_api_forged_code_400_invalid(gate_client, code):
    response = gate_client.post(URL, {"code": code}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_api_staff_may_scan(ticket, staff_client):
    assert staff_client.post(URL, {"code": ticket.code}, format="json").status_code == 200


def test_api_buyers_and_anonymous_may_not(ticket, buyer, anon_client):
    assert client_for(buyer).post(URL, {"code": ticket.code}, format="json").status_code == 403
    assert anon_client.post(URL, {"code": ticket.code}, format="json").status_code == 401
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None
