"""A checked-in ticket's booking is not cancelled by accident (issue 17, defect 3).

The buyer cannot cancel it (409 ticket_checked_in); staff void it only on purpose (the API's
``void_checked_in`` flag, the admin's own action), the audit trail says so and the seat of a
checked-in ticket stays blocked; an event cancel voids and refunds everyone, checked-in
included, and says how many checked-in tickets it voided. check_inventory flags a cancelled
booking with a checked-in ticket that no staff void explains.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse

from config.errors import ApiError
from tests.conftest import client_for
from tests.factories import UserFactory, hall_with_layout, on_sale_event
from tests.ticketing.helpers import assert_inventory_clean, held, seat_ids
from ticketing.models import Booking, EventSeat, Payment, SeatAudit, Ticket
from ticketing.selectors.invariants import inventory_violations
from ticketing.services.bookings import booking_create, bookings_cancel
from ticketing.services.checkin import ticket_check_in
from ticketing.services.event_cancel import event_cancel

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(event, buyer, fake_gateway) -> Booking:
    """The buyer's paid booking of two seats; the first ticket is checked in at the gate."""
    booking = booking_create(buyer=buyer, hold_id=held(buyer, event, seat_ids(event, 2)).id)
    ticket_check_in(code=booking.tickets.order_by("id").first().code, actor=UserFactory(is_staff=True))
    return booking


def seat_states(booking: Booking) -> list[str]:
    tickets = Ticket.objects.filter(booking=booking).order_by("id")
    return [ticket.event_seat.status for ticket in tickets.select_related("event_seat")]


def assert_untouched(booking: Booking) -> None:
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED
    assert seat_states(booking) == ["booked", "booked"]
    assert set(Ticket.objects.filter(booking=booking).values_list("status", flat=True)) == {"active"}
    assert Payment.objects.get(booking=booking).status == Payment.Status.CHARGED
    assert_inventory_clean()


# --- the buyer ----------------------------------------------------------------------------------


def test_the_buyer_cannot_cancel_a_booking_with_a_checked_in_ticket(paid, buyer):
    with pytest.raises(ApiError) as error:
        bookings_cancel(booking_ids=[paid.pk], actor=buyer)
    assert (error.value.code, error.value.http_status) == ("ticket_checked_in", 409)
    assert_untouched(paid)


def test_the_buyer_gets_409_ticket_checked_in_from_the_api_even_with_the_flag(paid, buyer):
    client = client_for(buyer)
    for body in ({}, {"void_checked_in": True}):
        response = client.post(f"/api/v1/bookings/{paid.pk}/cancel/", body, format="json")
        assert response.status_code == 409, response.json()
        assert response.json()["code"] == "ticket_checked_in"
        assert "checked in" in response.json()["detail"]
    assert_untouched(paid)


def test_a_booking_none_of_whose_tickets_was_scanned_is_cancelled_as_before(event, buyer, fake_gateway):
    booking = booking_create(buyer=buyer, hold_id=held(buyer, event, seat_ids(event, 2)).id)
    response = client_for(buyer).post(f"/api/v1/bookings/{booking.pk}/cancel/", format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert seat_states(booking) == ["available", "available"]


# --- staff --------------------------------------------------------------------------------------


def test_staff_without_the_flag_get_409_too(paid, staff):
    response = client_for(staff).post(f"/api/v1/bookings/{paid.pk}/cancel/", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "ticket_checked_in"
    assert_untouched(paid)


def test_staff_void_with_the_flag_refunds_keeps_the_occupied_seat_blocked_and_says_so(
    paid, staff, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post(
            f"/api/v1/bookings/{paid.pk}/cancel/", {"void_checked_in": True}, format="json"
        )
    # then: cancelled and refunded
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert Payment.objects.get(booking=paid).status == Payment.Status.REFUNDED
    # the seat someone sits in is not for sale again; the unused one is
    assert seat_states(paid) == ["blocked", "available"]
    occupied, unused = Ticket.objects.filter(booking=paid).order_by("id")
    assert EventSeat.objects.get(pk=occupied.event_seat_id).block_reason == "checked-in ticket voided"
    audit = {
        row.event_seat_id: (row.action, row.from_status, row.to_status, row.actor_id)
        for row in SeatAudit.objects.filter(booking=paid, at=Booking.objects.get(pk=paid.pk).cancelled_at)
    }
    assert audit == {
        occupied.event_seat_id: ("void_checked_in", "booked", "blocked", staff.pk),
        unused.event_seat_id: ("cancel", "booked", "available", staff.pk),
    }
    assert_inventory_clean()


def test_a_strict_body_refuses_unknown_fields(paid, staff):
    response = client_for(staff).post(f"/api/v1/bookings/{paid.pk}/cancel/", {"void": True}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


# --- the admin ----------------------------------------------------------------------------------


def run_action(client, action: str, ids: list[int]):
    data = {"action": action, "_selected_action": [str(i) for i in ids], "index": "0"}
    return client.post(reverse("admin:ticketing_booking_changelist"), data, follow=True)


def test_the_admin_cancel_action_refuses_and_the_void_action_voids(paid, client, staff):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    # when: the ordinary cancel button
    refused = run_action(client, "cancel_bookings", [paid.pk])
    # then: nothing changes, and the message says why
    assert any("checked in" in str(m) for m in get_messages(refused.wsgi_request))
    assert_untouched(paid)
    # when: the distinct void action
    run_action(client, "void_checked_in_bookings", [paid.pk])
    # then
    assert Booking.objects.get(pk=paid.pk).status == Booking.Status.CANCELLED
    assert seat_states(paid) == ["blocked", "available"]
    assert SeatAudit.objects.filter(booking=paid, action="void_checked_in").count() == 1
    assert_inventory_clean()


# --- event cancellation -------------------------------------------------------------------------


def test_an_event_cancel_voids_and_refunds_checked_in_tickets_too_and_counts_them(staff, fake_gateway):
    # given: three paid bookings, two tickets of two of them scanned at the gate
    event = on_sale_event(hall=hall_with_layout(rows=2, seats=5))
    ids = seat_ids(event)
    bookings = []
    for n in range(3):
        buyer = UserFactory()
        bookings.append(booking_create(buyer=buyer, hold_id=held(buyer, event, ids[2 * n : 2 * n + 2]).id))
    for booking in bookings[:2]:
        ticket_check_in(code=booking.tickets.order_by("id").first().code, actor=staff)
    # when
    response = client_for(staff).post(f"/api/v1/events/{event.pk}/cancel/")
    # then: everyone cancelled and refunded, and the answer counts the checked-in tickets voided
    assert response.status_code == 200, response.json()
    assert response.json()["checked_in_voided"] == 2
    assert response.json()["bookings_cancelled"] == 3 and response.json()["refunds_done"] == 3
    assert client_for(staff).get(f"/api/v1/events/{event.pk}/cancel/").json()["checked_in_voided"] == 2
    assert [seat_states(b) for b in bookings] == [["blocked", "available"]] * 2 + [["available"] * 2]
    assert SeatAudit.objects.filter(event_id=event.pk, action="void_checked_in", actor=staff).count() == 2
    assert_inventory_clean()


def test_an_event_cancel_progress_counts_no_voided_checked_in_ticket_when_there_is_none(sold_event, staff):
    assert event_cancel(event=sold_event, actor=staff).as_dict()["checked_in_voided"] == 0


@pytest.fixture
def sold_event(fake_gateway):
    event = on_sale_event()
    buyer = UserFactory()
    booking_create(buyer=buyer, hold_id=held(buyer, event, seat_ids(event, 2)).id)
    return event


# --- check_inventory ----------------------------------------------------------------------------


def test_check_inventory_reports_a_cancelled_booking_with_a_checked_in_ticket_nobody_voided(paid, buyer):
    # given: the defect's state, made behind the services' back
    Ticket.objects.filter(booking=paid).update(status=Ticket.Status.VOID)
    EventSeat.objects.filter(booking=paid).update(status=EventSeat.Status.AVAILABLE, booking=None)
    Booking.objects.filter(pk=paid.pk).update(status=Booking.Status.CANCELLED, cancelled_at=paid.created_at)
    occupied = Ticket.objects.filter(booking=paid).order_by("id").first()
    # when
    violations = [v for v in inventory_violations() if v.rule == "cancelled_checked_in"]
    # then
    assert len(violations) == 1, violations
    assert f"ticket {occupied.pk}" in violations[0].detail and f"booking {paid.pk}" in violations[0].detail
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("check_inventory", stdout=out)
    assert "VIOLATION [cancelled_checked_in]" in out.getvalue()


def test_check_inventory_accepts_a_checked_in_ticket_that_staff_voided(paid, staff):
    bookings_cancel(booking_ids=[paid.pk], actor=staff, void_checked_in=True)
    assert [v for v in inventory_violations() if v.rule == "cancelled_checked_in"] == []
    assert_inventory_clean()
