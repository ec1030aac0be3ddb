"""Staff blocking a seat while a buyer is claiming it: the block waits, then sees the claim."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction

from tests.factories import StaffFactory, UserFactory, on_sale_event
from tests.ticketing.races.harness import outcome, race, requires_postgres
from tests.ticketing.services.helpers import assert_inventory_clean, seat_ids
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
