"""A lock that waited for a buyer's claim sees the claim: staff blocking a seat, and best
available's last attempt (the one that waits), while another buyer is holding the seats."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction

from tests.factories import StaffFactory, UserFactory, on_sale_event
from tests.races.harness import outcome, race, requires_postgres
from tests.ticketing.helpers import assert_inventory_clean, event_with_rows, seat_ids
from ticketing.services import best_available
from ticketing.services.best_available import hold_create_best_available
from ticketing.services.holds import hold_create
from ticketing.services.inventory import seats_block

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True), requires_postgres]


def test_a_block_that_waited_for_a_claim_sees_the_new_hold(monkeypatch):
    """After a lock wait PostgreSQL re-checks the seat row but not a joined hold row: the block
    must read the seat's current hold, or a seat held meanwhile looks "held with no hold"."""
    # given: a buyer's hold transaction that has locked the seat and is slow to commit
    event = on_sale_event()
    seat = seat_ids(event, 1)
    buyer, staff = UserFactory(), StaffFactory()
    claiming = threading.Event()

    def slow_hold():
        with transaction.atomic():
            hold = hold_create(buyer=buyer, event=event, seat_ids=seat)
            claiming.set()
            time.sleep(0.5)  # the staff request queues behind this row lock meanwhile
        return hold

    def block_after_the_claim_started():
        assert claiming.wait(5)
        return seats_block(event=event, seat_ids=seat, actor=staff, reason="camera")

    # when
    results = race([slow_hold, block_after_the_claim_started]).results
    # then: the hold won, the block waited and answered 409, nothing crashed
    assert [outcome(r) for r in results] == ["ok", "seats_unavailable"], results
    assert results[1].extra["seats"] == [{"id": seat[0], "status": "held"}]
    assert_inventory_clean(event.id)


def test_best_available_that_waited_for_a_claim_does_not_take_its_seats(monkeypatch):
    """Best available skips seats being claimed; when nothing else is left it reads again and
    waits for their locks. After that wait the seats are held by a hold newer than its statement:
    they must count as taken (lock_seats_for_hold's expiry sub-select cannot see that hold)."""
    # given: one row of two seats, and a buyer's hold of both that is slow to commit
    event = event_with_rows(2)
    seats = seat_ids(event, 2)
    buyer, other = UserFactory(), UserFactory()
    claiming = threading.Event()
    waited = []
    lock = best_available.lock_seats_for_hold

    def lock_seen(**kwargs):
        waited.append(not kwargs["skip_locked"])
        return lock(**kwargs)

    monkeypatch.setattr(best_available, "lock_seats_for_hold", lock_seen)

    def slow_hold():
        with transaction.atomic():
            hold = hold_create(buyer=buyer, event=event, seat_ids=seats)
            claiming.set()
            time.sleep(0.5)  # best available skips these locked seats, then queues behind them
        return hold

    def best_after_the_claim_started():
        assert claiming.wait(5)
        return hold_create_best_available(buyer=other, event=event, count=2)

    # when
    results = race([slow_hold, best_after_the_claim_started]).results
    # then: the first buyer holds both seats, the second is told there are none, nothing crashed
    assert [outcome(r) for r in results] == ["ok", "no_adjacent_seats"], results
    assert waited[0] is False and True in waited  # it skipped the locked seats, then waited for them
    assert sorted(seat.id for seat in results[0].seats.all()) == seats
    assert_inventory_clean(event.id)
