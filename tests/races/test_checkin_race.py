"""Two gates scan the same ticket at the same instant: exactly one admits it (PostgreSQL).

Run with ``pytest -s`` to see the numbers.
"""

from collections import Counter

import pytest

from tests.conftest import client_for
from tests.factories import UserFactory, hall_with_layout, on_sale_event
from tests.races.harness import outcome, race, requires_postgres
from tests.ticketing.helpers import booked, seat_ids
from ticketing.services.checkin import ticket_check_in

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True), requires_postgres]

ROUNDS = 20
GATES = 2


def test_two_gates_scanning_one_ticket_at_once_admit_it_exactly_once():
    # given: 20 tickets, and two gate devices with their own staff login and connection
    event = on_sale_event(hall=hall_with_layout(rows=4, seats=5), max_seats_per_buyer=ROUNDS)
    buyer = UserFactory()
    tickets = [booked(buyer, event, [seat]).tickets.get() for seat in seat_ids(event, ROUNDS)]
    gates = [client_for(UserFactory(is_staff=True)) for _ in range(GATES)]
    answers: Counter = Counter()
    # when: for each ticket, both gates scan it at the same instant
    for ticket in tickets:
        result = race(
            [lambda g=g: g.post("/api/v1/checkin/", {"code": ticket.code}, format="json") for g in gates]
        )
        statuses = sorted(r.status_code for r in result.results)
        answers[tuple(statuses)] += 1
        # then: one 200, one 409 already_checked_in carrying the winner's scan time
        assert statuses == [200, 409], [r.json() for r in result.results]
        winner = next(r.json() for r in result.results if r.status_code == 200)
        loser = next(r.json() for r in result.results if r.status_code == 409)
        assert loser["code"] == "already_checked_in"
        assert loser["checked_in_at"] == winner["checked_in_at"]
    print(f"\n[check-in race] {len(tickets)} tickets x {GATES} gates at once: {dict(answers)}")


def test_control_without_locks_both_gates_admit_the_same_ticket(settings):
    # given: the lock helper switched off (only for this proof)
    settings.TICKETING_LOCKING_ENABLED = False
    event = on_sale_event()
    buyer, gate = UserFactory(), UserFactory(is_staff=True)
    tickets = [booked(buyer, event, [s]).tickets.get() for s in seat_ids(event, 10)]
    # when: several scanners race for each ticket until one ticket is admitted twice
    seen = Counter()
    for ticket in tickets:
        result = race([lambda: ticket_check_in(code=ticket.code, actor=gate) for _ in range(4)])
        admitted = sum(1 for r in result.results if outcome(r) == "ok")
        seen[admitted] += 1
        if admitted > 1:
            break
    print(f"\n[check-in control] locks off: tickets by number of admissions {dict(seen)}")
    # then: the test sees the race
    assert max(seen) > 1
