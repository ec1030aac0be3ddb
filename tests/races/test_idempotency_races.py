"""Identical requests arriving together with one Idempotency-Key: exactly one operation."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import client_for
from tests.factories import UserFactory, on_sale_event
from tests.races.harness import race
from tests.ticketing.helpers import assert_inventory_clean, seat_ids
from ticketing.models import Booking, Hold
from ticketing.services.holds import hold_create

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

COPIES = 8


def _answers(result) -> list:
    errors = [r for r in result.results if isinstance(r, BaseException)]
    assert not errors, errors
    return result.results


def test_a_hold_sent_8_times_at_once_with_one_key_holds_once():
    event = on_sale_event()
    buyer = UserFactory()
    clients = [client_for(buyer) for _ in range(COPIES + 1)]  # one per thread, one to retry
    client = clients.pop()
    body = {"seat_ids": seat_ids(event, 2)}
    url = f"/api/v1/events/{event.id}/holds/"
    answers = _answers(
        race([lambda c=c: c.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="hold-1") for c in clients])
    )
    by_status = Counter(a.status_code for a in answers)
    print(f"\n[race] {COPIES} identical holds, one key: {dict(by_status)}")
    # one hold; every answer is that hold (first or replayed) or a 503 to retry
    assert Hold.objects.count() == 1
    assert set(by_status) <= {201, 503} and by_status[201] >= 1
    assert {a.json()["id"] for a in answers if a.status_code == 201} == {Hold.objects.get().id}
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == by_status[201] - 1
    retry = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="hold-1")
    assert retry.status_code == 201 and retry.json()["id"] == Hold.objects.get().id
    assert_inventory_clean(event.id)


def test_a_booking_retried_8_times_at_once_with_one_key_books_once():
    event = on_sale_event()
    buyer = UserFactory()
    hold = hold_create(buyer=buyer, event=event, seat_ids=seat_ids(event, 2))
    clients = [client_for(buyer) for _ in range(COPIES + 1)]  # one per thread, one to retry
    client = clients.pop()
    body = {"hold_id": hold.id}
    answers = _answers(
        race(
            [
                lambda c=c: c.post("/api/v1/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY="book-1")
                for c in clients
            ]
        )
    )
    by_code = Counter(a.status_code if a.status_code < 300 else a.json()["code"] for a in answers)
    print(f"\n[race] {COPIES} identical bookings, one key: {dict(by_code)}")
    # exactly one booking; the others replay it or are told to retry (409/503), never a 5xx
    assert Booking.objects.count() == 1
    booking = Booking.objects.get()
    assert {a.json()["id"] for a in answers if a.status_code == 201} <= {booking.id}
    assert all(a.status_code in (201, 409, 503) for a in answers), by_code
    # and a retry now gets the booking back
    retry = client.post("/api/v1/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY="book-1")
    assert retry.status_code == 201 and retry.json()["id"] == booking.id
    assert_inventory_clean(event.id)


def test_a_booking_sent_8_times_at_once_without_a_key_books_once():
    event = on_sale_event()
    buyer = UserFactory()
    hold = hold_create(buyer=buyer, event=event, seat_ids=seat_ids(event, 1))
    clients = [client_for(buyer) for _ in range(COPIES)]
    answers = _answers(
        race([lambda c=c: c.post("/api/v1/bookings/", {"hold_id": hold.id}, format="json") for c in clients])
    )
    assert Counter(a.status_code for a in answers)[201] == 1
    assert all(a.status_code in (201, 409, 503) for a in answers)
    assert Booking.objects.count() == 1
    assert_inventory_clean(event.id)
