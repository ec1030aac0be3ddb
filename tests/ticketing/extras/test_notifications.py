"""Confirmation and cancellation emails, sent after commit (locmem backend in the tests)."""

import pytest
from django.core import mail

from tests.ticketing.services.helpers import held, seat_ids
from ticketing.errors import HoldExpired
from ticketing.services.checkout import booking_cancel_refund, booking_checkout

pytestmark = pytest.mark.django_db


def test_a_booking_emails_its_tickets_after_commit(event, buyer, django_capture_on_commit_callbacks):
    hold = held(buyer, event, seat_ids(event, 2))
    with django_capture_on_commit_callbacks() as callbacks:
        booking = booking_checkout(buyer=buyer, hold_id=hold.id)
        assert mail.outbox == []  # nothing is sent before the transaction commits
    for callback in callbacks:
        callback()
    [message] = [m for m in mail.outbox if "tickets" in m.subject]
    assert message.to == [buyer.email]
    assert "Lyon VB vs Tours VB" in message.subject
    for ticket in booking.tickets.all():
        assert f"/tickets/{ticket.code}/" in message.body
    assert [name for name, _, mimetype in message.attachments if mimetype == "image/svg+xml"] == [
        f"ticket-{ticket.pk}.svg" for ticket in booking.tickets.all()
    ]


def test_a_rolled_back_booking_sends_nothing(event, buyer, django_capture_on_commit_callbacks):
    hold = held(buyer, event, seat_ids(event, 1))
    with django_capture_on_commit_callbacks(execute=True):
        booking_checkout(buyer=buyer, hold_id=hold.id)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(HoldExpired):
        booking_checkout(buyer=buyer, hold_id=hold.id)  # the hold is already booked
    assert mail.outbox == []


def test_a_cancellation_is_emailed(event, buyer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_checkout(buyer=buyer, hold_id=held(buyer, event, seat_ids(event, 1)).id)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel_refund(booking=booking, actor=buyer)
    [message] = mail.outbox
    assert "cancelled" in message.subject and "refunded" in message.body


def test_a_buyer_without_email_gets_none(event, buyer, django_capture_on_commit_callbacks):
    buyer.email = ""
    buyer.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        booking_checkout(buyer=buyer, hold_id=held(buyer, event, seat_ids(event, 1)).id)
    assert mail.outbox == []
