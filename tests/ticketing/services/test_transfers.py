"""Ticket transfer: ``ticket_transfer`` and the gate, the booking, the emails, the audit after it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import (
    AlreadyCheckedIn,
    Invalid,
    NotFound,
    TicketCheckedIn,
    TicketRevoked,
    TicketTransferred,
    TransferClosed,
)
from tests.factories import UserFactory, on_sale_event
from tests.ticketing.helpers import assert_inventory_clean, booked, seat_ids
from ticketing.models import Booking, Notification, SeatAudit, Ticket
from ticketing.selectors.purchases import bookings_visible_to
from ticketing.selectors.tickets import tickets_of
from ticketing.services.bookings import booking_create, bookings_cancel
from ticketing.services.checkin import ticket_check_in
from ticketing.services.events import event_set_status
from ticketing.services.holds import hold_create
from ticketing.services.tickets import ticket_code_verify
from ticketing.services.transfers import ticket_transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(event, buyer) -> Ticket:
    return booked(buyer, event, seat_ids(event, 2, offset=2)).tickets.order_by("id").first()


@pytest.fixture
def friend(db):
    return UserFactory(username="Friend", email="friend@example.com")


def test_a_transfer_gives_the_seat_a_new_ticket_and_code_owned_by_the_other_account(ticket, buyer, friend):
    # when
    new = ticket_transfer(ticket_id=ticket.pk, actor=buyer, to="friend")
    # then
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.TRANSFERRED
    assert new.status == Ticket.Status.ACTIVE and new.owner == friend and new.replaces_id == ticket.pk
    assert new.event_seat_id == ticket.event_seat_id and new.booking_id == ticket.booking_id
    assert new.price == ticket.price and new.code != ticket.code
    claims = ticket_code_verify(new.code)
    assert (claims.event_seat_id, claims.booking_id, claims.generation) == (
        ticket.event_seat_id,
        ticket.booking_id,
        1,
    )
    assert_inventory_clean()


def test_the_recipient_may_be_named_by_email_ignoring_case(ticket, buyer, friend):
    assert ticket_transfer(ticket_id=ticket.pk, actor=buyer, to=" FRIEND@example.com ").owner == friend


def test_the_old_code_is_refused_at_the_gate_and_the_new_one_admits(ticket, buyer, friend, gate_user):
    new = ticket_transfer(ticket_id=ticket.pk, actor=buyer, to="friend")
    with pytest.raises(TicketTransferred) as error:
        ticket_check_in(code=ticket.code, actor=gate_user)
    assert (error.value.http_status, error.value.code) == (409, "ticket_transferred")
    assert ticket_check_in(code=new.code, actor=gate_user).pk == new.pk


def test_the_new_owner_sees_the_ticket_and_the_old_owner_sees_it_transferred(ticket, buyer, friend):
    new = ticket_transfer(ticket_id=ticket.pk, actor=buyer, to="friend")
    assert list(tickets_of(user=friend)) == [new]
    mine = {t.pk: t.status for t in tickets_of(user=buyer)}
    assert mine[ticket.pk] == Ticket.Status.TRANSFERRED and new.pk not in mine
    # the booking stays the buyer's, and does not show them the new owner's code
    booking = bookings_visible_to(user=buyer).get(pk=ticket.booking_id)
    assert new.code not in [t.code for t in booking.tickets.all()]
    assert not bookings_visible_to(user=friend).exists()


def test_the_ticket_can_be_passed_on_and_back(ticket, buyer, friend):
    new = ticket_transfer(ticket_id=ticket.pk, actor=buyer, to="friend")
    back = ticket_transfer(ticket_id=new.pk, actor=friend, to=buyer.username)
    assert back.owner == buyer and ticket_code_verify(back.code).generation == 2
    assert {t.pk for t in tickets_of(user=buyer) if t.status == "active"} >= {back.pk}
    assert_inventory_clean()


def test_both_get_an_email_and_the_audit_trail_records_it(ticket, buyer, friend):
    new = ticket_transfer(ticket_id=ticket.pk, actor=buyer, to="friend")
    rows = Notification.objects.filter(booking_id=ticket.booking_id, kind__in=["given", "received"])
    assert {(n.kind, n.ticket_id) for n in rows} == {("given", ticket.pk), ("received", new.pk)}
    audit = SeatAudit.objects.get(event_seat_id=ticket.event_seat_id, action="transfer")
    assert (audit.from_status, audit.to_status, audit.actor, audit.booking_id) == (
        "booked",
        "booked",
        buyer,
        ticket.booking_id,
    )
    assert f"ticket {ticket.pk}" in audit.reason and f"ticket {new.pk}" in audit.reason


def test_the_emails_are_sent_to_each_owner(ticket, buyer, friend, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        new = ticket_transfer(ticket_id=ticket.pk, actor=buyer, to="friend")
    by_to = {message.to[0]: message for message in mail.outbox}
    assert set(by_to) == {buyer.email, friend.email}
    # the giver is not told the username behind an email they typed
    assert "transferred to the account you named" in by_to[buyer.email].body
    assert "Friend" not in by_to[buyer.email].body
    assert new.code in by_to[friend.email].body and by_to[friend.email].attachments
    assert ticket.code not in by_to[friend.email].body


@pytest.mark.parametrize("to", ["nobody", "nobody@example.com", ""])
def test_an_unknown_account_is_invalid(ticket, buyer, to):
    with pytest.raises(Invalid) as error:
        ticket_transfer(ticket_id=ticket.pk, actor=buyer, to=to)
    assert "to" in error.value.extra["fields"]
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.ACTIVE


def test_an_inactive_account_and_an_email_of_two_accounts_are_invalid(ticket, buyer):
    UserFactory(username="gone", is_active=False)
    UserFactory(email="shared@example.com")
    UserFactory(email="shared@example.com")
    for to in ("gone", "shared@example.com"):
        with pytest.raises(Invalid):
            ticket_transfer(ticket_id=ticket.pk, actor=buyer, to=to)


def test_to_yourself_is_invalid(ticket, buyer):
    with pytest.raises(Invalid) as error:
        ticket_transfer(ticket_id=ticket.pk, actor=buyer, to=buyer.email)
    assert "to" in error.value.extra["fields"]


def test_only_the_owner_may_transfer_not_the_buyer_after_giving_it(ticket, buyer, friend, other_buyer, staff):
    for actor in (other_buyer, staff):
        with pytest.raises(NotFound):
            ticket_transfer(ticket_id=ticket.pk, actor=actor, to="friend")
    new = ticket_transfer(ticket_id=ticket.pk, actor=buyer, to="friend")
    with pytest.raises(NotFound):  # the booking is still the buyer's, the ticket is not
        ticket_transfer(ticket_id=new.pk, actor=buyer, to=other_buyer.username)
    with pytest.raises(TicketTransferred):  # and their old one is dead
        ticket_transfer(ticket_id=ticket.pk, actor=buyer, to=other_buyer.username)


def test_a_ticket_of_a_cancelled_booking_cannot_be_transferred(ticket, buyer, friend):
    bookings_cancel(booking_ids=[ticket.booking_id], actor=buyer)
    with pytest.raises(TicketRevoked):
        ticket_transfer(ticket_id=ticket.pk, actor=buyer, to="friend")


def test_a_checked_in_ticket_cannot_be_transferred(ticket, buyer, friend, gate_user):
    ticket_check_in(code=ticket.code, actor=gate_user)
    with pytest.raises(AlreadyCheckedIn):
        ticket_transfer(ticket_id=ticket.pk, actor=buyer, to="friend")
    assert not Ticket.objects.filter(replaces=ticket).exists()


def test_no_transfer_once_the_event_has_started_or_when_it_is_cancelled(buyer, friend, staff):
    event = on_sale_event(starts_in=timedelta(hours=1))
    ticket = booked(buyer, event, seat_ids(event, 1)).tickets.get()
    with pytest.raises(TransferClosed):
        ticket_transfer(ticket_id=ticket.pk, actor=buyer, to="friend", now=event.starts_at)
    event.refresh_from_db()
    event_set_status(event=event, status="closed")  # sales closed: a transfer is still fine
    assert ticket_transfer(ticket_id=ticket.pk, actor=buyer, to="friend", now=timezone.now()).owner == friend


def test_cancelling_the_booking_voids_the_transferred_ticket_and_tells_its_owner(
    ticket, buyer, friend, gate_user, django_capture_on_commit_callbacks
):
    new = ticket_transfer(ticket_id=ticket.pk, actor=buyer, to="friend")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        bookings_cancel(booking_ids=[ticket.booking_id], actor=buyer)
    assert Ticket.objects.get(pk=new.pk).status == Ticket.Status.VOID
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.TRANSFERRED
    with pytest.raises(TicketRevoked):
        ticket_check_in(code=new.code, actor=gate_user)
    to = {message.to[0]: message for message in mail.outbox}
    assert set(to) == {buyer.email, friend.email}
    assert "is void" in to[friend.email].subject
    # the buyer's cancellation lists each seat once, without the new owner's code
    assert new.code not in to[buyer.email].body
    assert Booking.objects.get(pk=ticket.booking_id).status == "cancelled"
    assert_inventory_clean()


def test_a_checked_in_transferred_ticket_stops_the_buyer_cancelling(ticket, buyer, friend, gate_user):
    new = ticket_transfer(ticket_id=ticket.pk, actor=buyer, to="friend")
    ticket_check_in(code=new.code, actor=gate_user)
    with pytest.raises(TicketCheckedIn):
        bookings_cancel(booking_ids=[ticket.booking_id], actor=buyer)


def test_the_database_refuses_a_second_successor(ticket, buyer, friend):
    new = ticket_transfer(ticket_id=ticket.pk, actor=buyer, to="friend")
    Ticket.objects.filter(pk=new.pk).update(
        status=Ticket.Status.VOID
    )  # so only the one-successor rule is left
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.create(
            booking_id=ticket.booking_id,
            event_seat_id=ticket.event_seat_id,
            code="x",
            price=1,
            replaces=ticket,
        )


def test_a_transferred_ticket_keeps_its_type_and_price(buyer, friend):
    # given: a reduced ticket (50.00 instead of the full 80.00)
    event = on_sale_event(ticket_types=[{"code": "reduced", "name": "Reduced", "prices": {"vip": "50.00"}}])
    hold = hold_create(buyer=buyer, event=event, seat_ids=seat_ids(event, 1))
    booking = booking_create(buyer=buyer, hold_id=hold.id, ticket_types={hold.seats.get().id: "reduced"})
    ticket = booking.tickets.get()
    # when
    new = ticket_transfer(ticket_id=ticket.pk, actor=buyer, to="friend")
    # then: the new owner's ticket is the same reduced ticket, and the inventory agrees
    assert (new.ticket_type, new.price) == ("reduced", ticket.price) == ("reduced", Decimal("50.00"))
    assert_inventory_clean(event.pk)
