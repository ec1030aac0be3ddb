"""A lock wait that times out is a clean 503 busy with Retry-After, never a 500 or a raw error.

Real locks held by another connection: row locks on PostgreSQL, the write lock on SQLite.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading

import pytest
from django.db import connection, transaction

from accounts.models import User
from tests.conftest import client_for
from tests.factories import UserFactory, on_sale_event
from tests.ticketing.helpers import assert_inventory_clean, seat_ids
from ticketing.models import EventSeat, Hold
from ticketing.services.bookings import booking_confirm
from ticketing.services.holds import hold_create

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]


@contextlib.contextmanager
def rows_locked_elsewhere(*, user_id: int, seat_ids: list[int]):
    """Another connection holds the buyer's row and the seats' rows (PostgreSQL) or the
    database's write lock (SQLite) until the block ends."""
    if connection.vendor == "sqlite":
        other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    locked, done = threading.Event(), threading.Event()

    def hold_locks() -> None:
        try:
            with transaction.atomic():
                list(User.objects.select_for_update(no_key=True).filter(pk=user_id))  # as hold_create
                list(EventSeat.objects.select_for_update().filter(pk__in=seat_ids).order_by("pk"))
                locked.set()
                done.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=hold_locks, daemon=True)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        yield
    finally:
        done.set()
        thread.join(timeout=10)


@pytest.fixture
def short_lock_waits(settings):
    """Waits of 0.2 s instead of seconds: TICKETING_LOCK_TIMEOUT_MS on PostgreSQL, the busy
    timeout of new connections on SQLite."""
    settings.TICKETING_LOCK_TIMEOUT_MS = 200
    options = connection.settings_dict.setdefault("OPTIONS", {})
    saved = options.get("timeout")
    if connection.vendor == "sqlite":
        options["timeout"] = 0.2
        connection.close()
    yield
    if connection.vendor == "sqlite":
        options["timeout"] = saved
        connection.close()


@pytest.mark.parametrize("action", ["hold", "release", "book", "cancel"])
def test_a_lock_timeout_is_503_busy_with_retry_after(short_lock_waits, action):
    # given: a buyer with a hold, a booking, and free seats, all locked by someone else
    event = on_sale_event()
    buyer = UserFactory()
    ids = seat_ids(event, 3)
    hold = hold_create(buyer=buyer, event=event, seat_ids=ids[:1])
    booking = booking_confirm(
        buyer=buyer, hold_id=hold_create(buyer=buyer, event=event, seat_ids=ids[1:2]).id
    )
    client = client_for(buyer)
    requests = {
        "hold": lambda: client.post(
            f"/api/v1/events/{event.id}/holds/", {"seat_ids": ids[2:]}, format="json"
        ),
        "release": lambda: client.delete(f"/api/v1/holds/{hold.id}/"),
        "book": lambda: client.post("/api/v1/bookings/", {"hold_id": hold.id}, format="json"),
        "cancel": lambda: client.post(f"/api/v1/bookings/{booking.id}/cancel/"),
    }
    # when
    with rows_locked_elsewhere(user_id=buyer.id, seat_ids=ids):
        response = requests[action]()
    # then
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "busy"
    assert int(response["Retry-After"]) >= 1
    assert Hold.objects.filter(pk=hold.pk, status="active").exists()  # nothing changed
    # and the retry, once the lock is gone, goes through
    assert requests[action]().status_code in (200, 201, 204)
    assert_inventory_clean(event.id)


def test_busy_is_not_stored_under_the_idempotency_key(short_lock_waits):
    event = on_sale_event()
    buyer = UserFactory()
    hold = hold_create(buyer=buyer, event=event, seat_ids=seat_ids(event, 1))
    client = client_for(buyer)

    def release():
        return client.delete(f"/api/v1/holds/{hold.id}/")

    def book():
        return client.post(
            "/api/v1/bookings/", {"hold_id": hold.id}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
        )

    with rows_locked_elsewhere(user_id=buyer.id, seat_ids=seat_ids(event, 1)):
        first = book()
    retry = book()
    assert first.status_code == 503
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry
    assert release().status_code == 409  # booked: the hold is gone
