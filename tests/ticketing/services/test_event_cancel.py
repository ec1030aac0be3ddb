"""Whole-event cancellation: off sale, holds released, bookings cancelled and refunded in
batches, resumable; the API, the admin action and the command."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from config.errors import EventNotOnSale
from tests.factories import UserFactory, hall_with_layout, on_sale_event
from tests.ticketing.helpers import assert_inventory_clean, held, seat_ids
from ticketing.models import Booking, Event, EventSeat, Hold, Payment, Ticket
from ticketing.services import event_cancel as cancel_module
from ticketing.services.bookings import booking_create
from ticketing.services.event_cancel import event_cancel, event_cancel_progress
from ticketing.services.holds import hold_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def sold_event():
    """An on-sale event with 6 paid bookings of 2 seats and one live hold."""
    event = on_sale_event(hall=hall_with_layout(rows=4, seats=5))
    ids = seat_ids(event)
    for n in range(6):
        buyer = UserFactory()
        booking_create(buyer=buyer, hold_id=held(buyer, event, ids[2 * n : 2 * n + 2]).id)
    held(UserFactory(), event, ids[12:14])
    return event


def test_cancelling_an_event_cancels_and_refunds_everything(sold_event, staff, fake_gateway):
    # when
    progress = event_cancel(event=sold_event, actor=staff, batch_size=4)
    # then
    assert progress.done and progress.event_status == "cancelled"
    assert (progress.bookings_cancelled, progress.bookings_confirmed) == (6, 0)
    assert (progress.refunds_done, progress.refunds_due, progress.holds_active) == (6, 0, 0)
    assert Event.objects.get(pk=sold_event.pk).status == Event.Status.CANCELLED
    assert not Booking.objects.filter(event=sold_event, status="confirmed").exists()
    assert not Ticket.objects.filter(booking__event=sold_event, status="active").exists()
    assert set(EventSeat.objects.filter(event=sold_event).values_list("status", flat=True)) == {"available"}
    assert set(Payment.objects.values_list("status", flat=True)) == {"refunded"}
    assert sum(1 for kind, _, _ in fake_gateway.calls if kind == "refund") == 6
    assert_inventory_clean(sold_event.id)


def test_nobody_can_hold_or_book_once_cancellation_started(sold_event, staff, buyer):
    event_cancel(event=sold_event, actor=staff)
    sold_event.refresh_from_db()
    with pytest.raises(EventNotOnSale):
        hold_create(buyer=buyer, event=sold_event, seat_ids=seat_ids(sold_event, 1))


def test_an_interrupted_cancellation_resumes_where_it_stopped(sold_event, staff, monkeypatch, fake_gateway):
    # given: the process dies after the second batch of bookings
    real = cancel_module.event_bookings_cancel_batch
    batches = []

    def dying_batch(**kwargs):
        if len(batches) == 2:
            raise KeyboardInterrupt
        batches.append(1)
        return real(**kwargs)

    monkeypatch.setattr(cancel_module, "event_bookings_cancel_batch", dying_batch)
    with pytest.raises(KeyboardInterrupt):
        event_cancel(event=sold_event, actor=staff, batch_size=2)
    midway = event_cancel_progress(event=sold_event)
    assert (midway.bookings_cancelled, midway.bookings_confirmed, midway.done) == (4, 2, False)
    # when: it is run again
    monkeypatch.setattr(cancel_module, "event_bookings_cancel_batch", real)
    progress = event_cancel(event=sold_event, actor=staff, batch_size=2)
    # then: it finishes, and no booking was refunded twice
    assert progress.done and progress.refunds_done == 6
    refunds = [key for kind, key, _ in fake_gateway.calls if kind == "refund"]
    assert len(refunds) == len(set(refunds)) == 6


def test_refunds_the_gateway_refused_are_retried_on_the_next_run(
    sold_event, staff, fake_gateway, monkeypatch
):
    from ticketing.payments import PaymentUnavailable

    monkeypatch.setattr(fake_gateway, "refund", lambda **kwargs: (_ for _ in ()).throw(PaymentUnavailable()))
    first = event_cancel(event=sold_event, actor=staff)
    assert not first.done and first.refunds_due == 6 and first.bookings_confirmed == 0
    monkeypatch.undo()
    assert event_cancel(event=sold_event, actor=staff).done


def test_a_time_budget_stops_between_batches(sold_event, staff):
    progress = event_cancel(event=sold_event, actor=staff, batch_size=1, time_budget=0)
    assert not progress.done and progress.event_status == "cancelled"


def test_buyers_are_emailed(sold_event, staff, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        event_cancel(event=sold_event, actor=staff)
    assert len(mail.outbox) == 6
    assert all("The event itself was cancelled" in message.body for message in mail.outbox)


def test_api_staff_cancels_and_reads_progress(sold_event, staff_client):
    response = staff_client.post(f"/api/v1/events/{sold_event.id}/cancel/")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "done" and response.json()["bookings_cancelled"] == 6
    progress = staff_client.get(f"/api/v1/events/{sold_event.id}/cancel/")
    assert progress.json()["event_status"] == "cancelled"
    again = staff_client.post(f"/api/v1/events/{sold_event.id}/cancel/")  # idempotent
    assert again.status_code == 200


def test_api_unfinished_is_202(sold_event, staff_client, monkeypatch):
    from ticketing.api.events import EventCancelView

    monkeypatch.setattr(EventCancelView, "time_budget_seconds", 0)
    response = staff_client.post(f"/api/v1/events/{sold_event.id}/cancel/")
    assert response.status_code == 202 and response.json()["state"] == "in_progress"


def test_api_buyers_may_not_cancel_events(sold_event, buyer_client, anon_client):
    assert buyer_client.post(f"/api/v1/events/{sold_event.id}/cancel/").status_code == 403
    assert anon_client.post(f"/api/v1/events/{sold_event.id}/cancel/").status_code == 401
    assert buyer_client.post("/api/v1/events/999999/cancel/").status_code == 403
    assert Event.objects.get(pk=sold_event.pk).status == Event.Status.ON_SALE


def test_the_command_prints_progress(sold_event, staff):
    out = StringIO()
    call_command("cancel_event", sold_event.id, "--actor", staff.username, "--batch-size", "2", stdout=out)
    assert "bookings cancelled 2/6" in out.getvalue() and "Done." in out.getvalue()
    assert Event.objects.get(pk=sold_event.pk).status == Event.Status.CANCELLED


def test_the_admin_action(sold_event, admin_client):
    response = admin_client.post(
        "/admin/ticketing/event/",
        {"action": "cancel_events_with_refunds", "_selected_action": [sold_event.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "6 bookings cancelled, 6 refunded" in response.content.decode()
    assert not Hold.objects.filter(event=sold_event, status="active").exists()
