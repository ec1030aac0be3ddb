"""Confirmation and cancellation emails, sent after commit (locmem backend in the tests)."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.utils import timezone

from config.errors import HoldExpired
from tests.factories import hall_with_layout, on_sale_event
from tests.ticketing.helpers import held, seat_ids
from ticketing.models import Notification
from ticketing.services.bookings import booking_create, bookings_cancel
from ticketing.services.notifications import notifications_send
from venues.models import Venue

pytestmark = pytest.mark.django_db


def test_a_booking_emails_its_tickets_after_commit(event, buyer, django_capture_on_commit_callbacks):
    hold = held(buyer, event, seat_ids(event, 2))
    with django_capture_on_commit_callbacks() as callbacks:
        booking = booking_create(buyer=buyer, hold_id=hold.id)
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


def test_the_emails_give_the_start_in_the_venues_time_and_zone(buyer, django_capture_on_commit_callbacks):
    # given: an event at 18:30 UTC in winter at a venue in Paris
    hall = hall_with_layout()
    Venue.objects.filter(pk=hall.venue_id).update(time_zone="Europe/Paris")
    event = on_sale_event(hall=hall, starts_at=datetime(2030, 1, 15, 18, 30, tzinfo=UTC))
    # when: a booking is confirmed, then cancelled
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_create(buyer=buyer, hold_id=held(buyer, event, seat_ids(event, 1)).id)
    with django_capture_on_commit_callbacks(execute=True):
        bookings_cancel(booking_ids=[booking.pk], actor=buyer)
    # then: both emails say 19:30 CET
    confirmed, cancelled = mail.outbox
    assert "Tuesday 15 January 2030, 19:30 CET" in confirmed.body
    assert "15 January 2030, 19:30 CET" in cancelled.body
    assert "UTC" not in confirmed.body + cancelled.body


def test_a_rolled_back_booking_sends_nothing(event, buyer, django_capture_on_commit_callbacks):
    hold = held(buyer, event, seat_ids(event, 1))
    with django_capture_on_commit_callbacks(execute=True):
        booking_create(buyer=buyer, hold_id=hold.id)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(HoldExpired):
        booking_create(buyer=buyer, hold_id=hold.id)  # the hold is already booked
    assert mail.outbox == []


def test_a_cancellation_is_emailed(event, buyer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_create(buyer=buyer, hold_id=held(buyer, event, seat_ids(event, 1)).id)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        bookings_cancel(booking_ids=[booking.pk], actor=buyer)
    [message] = mail.outbox
    assert "cancelled" in message.subject and "refunded" in message.body


def test_a_buyer_without_email_gets_none(event, buyer, django_capture_on_commit_callbacks):
    buyer.email = ""
    buyer.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        booking_create(buyer=buyer, hold_id=held(buyer, event, seat_ids(event, 1)).id)
    assert mail.outbox == []


# --- the outbox and its worker (TICKETING_NOTIFICATIONS_INLINE off) ---------------------------


@pytest.fixture
def worker_sends(settings):
    settings.TICKETING_NOTIFICATIONS_INLINE = False
    settings.TICKETING_NOTIFICATION_MAX_ATTEMPTS = 3


def test_without_inline_sending_the_booking_owes_an_email_that_the_worker_sends(
    worker_sends, event, buyer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_create(buyer=buyer, hold_id=held(buyer, event, seat_ids(event, 2)).id)
    assert mail.outbox == []  # the request built no email
    [owed] = Notification.objects.filter(booking=booking)
    assert owed.kind == "confirmed" and owed.sent_at is None
    out = StringIO()
    call_command("send_notifications", stdout=out)
    [message] = mail.outbox
    assert message.to == [buyer.email] and len(message.attachments) == 2
    assert "Sent 1 emails, 0 failed; 0 waiting" in out.getvalue()
    owed.refresh_from_db()
    assert owed.sent_at is not None and owed.attempts == 1
    assert notifications_send() == (0, 0)  # sent once only
    assert len(mail.outbox) == 1


def test_a_failed_email_is_retried_on_the_next_run_until_the_attempts_run_out(
    worker_sends, event, buyer, monkeypatch
):
    booking = booking_create(buyer=buyer, hold_id=held(buyer, event, seat_ids(event, 1)).id)

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    assert notifications_send() == (0, 1)  # tried once per run, not again in the same run
    owed = Notification.objects.get(booking=booking)
    assert owed.attempts == 1 and "mail server down" in owed.last_error and owed.claimed_until is None
    assert notifications_send() == (0, 1)
    monkeypatch.undo()
    assert notifications_send() == (1, 0)
    assert Notification.objects.get(booking=booking).attempts == 3
    assert len(mail.outbox) == 1


def test_an_email_whose_attempts_ran_out_is_given_up(worker_sends, event, buyer, monkeypatch):
    booking_create(buyer=buyer, hold_id=held(buyer, event, seat_ids(event, 1)).id)
    monkeypatch.setattr(EmailMultiAlternatives, "send", lambda *a, **k: 1 / 0)
    for _ in range(5):
        notifications_send()
    assert Notification.objects.get().attempts == 3
    out = StringIO()
    call_command("send_notifications", stdout=out)
    assert "0 waiting, 1 given up after 3 attempts" in out.getvalue()


def test_a_leased_email_is_left_to_its_sender_until_the_lease_runs_out(worker_sends, event, buyer):
    booking_create(buyer=buyer, hold_id=held(buyer, event, seat_ids(event, 1)).id)
    now = timezone.now()
    Notification.objects.update(claimed_until=now + timedelta(minutes=1))  # another sender has it
    assert notifications_send(now=now) == (0, 0)
    assert notifications_send(now=now + timedelta(minutes=2)) == (1, 0)  # that sender died
    assert len(mail.outbox) == 1


def test_a_rolled_back_booking_owes_nothing(worker_sends, event, buyer):
    hold = held(buyer, event, seat_ids(event, 1))
    booking_create(buyer=buyer, hold_id=hold.id)
    with pytest.raises(HoldExpired):
        booking_create(buyer=buyer, hold_id=hold.id)
    assert Notification.objects.count() == 1
