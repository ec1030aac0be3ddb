"""50 buyers race for the same seat: exactly one wins; and the negative control.

Run with ``pytest -s`` to see the numbers.
"""

from __future__ import annotations

import time
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tests.conftest import client_for
from tests.factories import UserFactory, on_sale_event
from tests.races.harness import outcome, race, requires_postgres
from tests.ticketing.helpers import assert_inventory_clean, seat_ids
from ticketing.models import Booking, EventSeat, Hold, Ticket
from ticketing.selectors.invariants import inventory_check
from ticketing.services.holds import hold_create

BUYERS = 50

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]


def test_50_buyers_race_for_one_seat_through_the_api():
    """Runs on PostgreSQL (row locks) and on SQLite (IMMEDIATE transactions)."""
    # given: one on-sale seat and 50 logged-in buyers, each with their own API client
    event = on_sale_event()
    seat = seat_ids(event, 1)[0]
    buyers = UserFactory.create_batch(BUYERS)
    clients = [client_for(buyer) for buyer in buyers]
    url = f"/api/v1/events/{event.id}/holds/"
    # when: all of them ask for it at the same instant
    result = race([lambda c=c: c.post(url, {"seat_ids": [seat]}, format="json") for c in clients])
    # then
    errors = [r for r in result.results if isinstance(r, BaseException)]
    assert not errors, errors
    by_status = Counter(r.status_code for r in result.results)
    codes = Counter(r.json()["code"] for r in result.results if r.status_code != 201)
    print(
        f"\n[race] {BUYERS} buyers, 1 seat, {connection.vendor}: wall {result.wall_seconds * 1000:.0f} ms;"
        f" answers by status {dict(sorted(by_status.items()))}; error codes {dict(codes)}"
    )
    assert by_status == {201: 1, 409: BUYERS - 1}
    assert codes == {"seats_unavailable": BUYERS - 1}
    assert all(
        r.json()["seats"] == [{"id": seat, "status": "held"}] for r in result.results if r.status_code == 409
    )
    winner = next(r.json() for r in result.results if r.status_code == 201)
    assert Hold.objects.count() == 1
    assert EventSeat.objects.get(pk=seat).hold_id == winner["id"]
    assert_inventory_clean(event.id)
    out = StringIO()
    call_command("check_inventory", stdout=out)  # exits 1 (CommandError) on any violation
    print("[race] check_inventory after the race:\n" + out.getvalue().rstrip())


def _race_without_locks(seat: int, event, buyers) -> list:
    return race([lambda b=b: hold_create(buyer=b, event=event, seat_ids=[seat]) for b in buyers]).results


@requires_postgres
def test_control_without_locks_the_race_is_seen_and_the_constraint_still_refuses_a_double_sale(settings):
    # given: the lock helper switched off (only for this proof)
    settings.TICKETING_LOCKING_ENABLED = False
    event = on_sale_event()
    buyers = UserFactory.create_batch(BUYERS)
    # when: 50 buyers race for a seat, up to 5 times (a new seat each time) until two win
    attempts = []
    for attempt, seat in enumerate(seat_ids(event, 5), start=1):
        started = time.perf_counter()
        results = _race_without_locks(seat, event, buyers)
        outcomes = Counter(outcome(r) for r in results)
        attempts.append((seat, outcomes, [r for r in results if isinstance(r, Hold)]))
        print(
            f"\n[control] locks off, attempt {attempt}: {BUYERS} buyers, 1 seat:"
            f" {dict(outcomes)} in {(time.perf_counter() - started) * 1000:.0f} ms"
        )
        if outcomes["ok"] > 1:
            break
    # then: the test sees the race: several buyers were told they hold the same seat
    seat, outcomes, won = attempts[-1]
    assert outcomes["ok"] > 1, f"no double hold in {len(attempts)} attempts: {attempts}"
    assert all(name in ("ok", "seats_unavailable") for name in outcomes), outcomes
    # ...check_inventory sees it too: the holds that lost the last write hold no seat
    report = inventory_check(event_id=event.id)
    assert "hold_seat_count" in {v.rule for v in report.violations}
    # ...and the database itself refuses a second active ticket for that seat
    tickets = []
    for hold in won[:2]:
        booking = Booking.objects.create(
            buyer=hold.buyer, event=event, hold=hold, total=hold.total, created_at=timezone.now()
        )
        tickets.append(
            Ticket(booking=booking, event_seat_id=seat, code=f"control-{hold.id}", price=hold.total)
        )
    Ticket.objects.bulk_create(tickets[:1])
    with pytest.raises(IntegrityError, match="ticket_one_active_per_event_seat"), transaction.atomic():
        tickets[1].save()
    assert Ticket.objects.filter(event_seat_id=seat, status="active").count() == 1
