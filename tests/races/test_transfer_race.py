"""A ticket transferred while a gate scans it, or transferred twice at once (PostgreSQL).

Both the transfer and the scan lock the ticket row (the transfer after the ticket's booking), so
exactly one of them wins: admitted and not transferred (the transfer gets already_checked_in),
or transferred and the old code refused (ticket_transferred); two transfers of one ticket give
one new ticket, the other gets ticket_transferred. Each use case is slowed a little after its
locking read, in the test and in its control alike, so that the two overlap every round; the
controls switch the row locks off (TICKETING_LOCKING_ENABLED) and see both win.
Run with ``pytest -s`` to see the numbers.
"""

import time
from collections import Counter

import pytest

from tests.factories import UserFactory, hall_with_layout, on_sale_event
from tests.races.harness import outcome, race, requires_postgres
from tests.ticketing.helpers import assert_inventory_clean, booked, seat_ids
from ticketing import locking
from ticketing.models import Ticket
from ticketing.services import checkin, transfers
from ticketing.services.checkin import ticket_check_in
from ticketing.services.transfers import ticket_transfer

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True), requires_postgres]

ROUNDS = 15
PAUSE = 0.02  # seconds each use case waits after its locking read: the window a lock must close


@pytest.fixture
def slowed(monkeypatch):
    """Both use cases pause after reading their ticket, as under load."""

    def slow(lock):
        def locked(**kwargs):
            row = lock(**kwargs)
            time.sleep(PAUSE)
            return row

        return locked

    monkeypatch.setattr(checkin, "lock_ticket", slow(locking.lock_ticket))
    monkeypatch.setattr(transfers, "lock_ticket_for_transfer", slow(locking.lock_ticket_for_transfer))


def world(rounds: int):
    """A buyer's one-seat tickets, a gate and two friends."""
    event = on_sale_event(hall=hall_with_layout(rows=4, seats=10), max_seats_per_buyer=rounds)
    buyer, gate = UserFactory(), UserFactory(is_staff=True)
    friends = [UserFactory(), UserFactory()]
    tickets = [booked(buyer, event, [seat]).tickets.get() for seat in seat_ids(event, rounds)]
    return buyer, gate, friends, tickets


def race_scan_and_transfer(rounds: int) -> Counter:
    """Per ticket, one gate scan and one transfer at once: (scan, transfer, checked in, transferred)."""
    buyer, gate, friends, tickets = world(rounds)
    seen: Counter = Counter()
    for ticket in tickets:
        result = race(
            [
                lambda: ticket_check_in(code=ticket.code, actor=gate),
                lambda: ticket_transfer(ticket_id=ticket.pk, actor=buyer, to=friends[0].username),
            ]
        )
        ticket.refresh_from_db()
        successors = Ticket.objects.filter(replaces=ticket).count()
        seen[(*map(outcome, result.results), ticket.checked_in_at is not None, successors)] += 1
    return seen


def race_two_transfers(rounds: int) -> Counter:
    """Per ticket, two transfers to two accounts at once: (first, second, successors)."""
    buyer, _gate, friends, tickets = world(rounds)
    seen: Counter = Counter()
    for ticket in tickets:
        result = race(
            [lambda f=f: ticket_transfer(ticket_id=ticket.pk, actor=buyer, to=f.username) for f in friends]
        )
        outcomes = sorted(map(outcome, result.results))
        seen[(*outcomes, Ticket.objects.filter(replaces=ticket).count())] += 1
    return seen


def test_a_transfer_and_a_scan_of_one_ticket_have_exactly_one_winner(slowed):
    seen = race_scan_and_transfer(ROUNDS)
    print(f"\n[scan vs transfer] {ROUNDS} rounds: {dict(seen)}")
    assert set(seen) <= {
        ("ok", "already_checked_in", True, 0),  # the scan won: nothing transferred
        ("ticket_transferred", "ok", False, 1),  # the transfer won: the old code is refused
    }, dict(seen)
    assert_inventory_clean()


def test_two_transfers_of_one_ticket_make_one_new_ticket(slowed):
    seen = race_two_transfers(ROUNDS)
    print(f"\n[transfer vs transfer] {ROUNDS} rounds: {dict(seen)}")
    assert set(seen) == {("ok", "ticket_transferred", 1)}, dict(seen)
    assert_inventory_clean()


def test_control_without_locks_a_transferred_ticket_is_also_admitted(slowed, settings):
    settings.TICKETING_LOCKING_ENABLED = False
    seen = race_scan_and_transfer(ROUNDS)
    print(f"\n[scan vs transfer control] locks off: {dict(seen)}")
    assert seen[("ok", "ok", True, 1)] > 0, dict(seen)  # both won: the old code let someone in


def test_control_without_locks_both_transfers_pass_the_checks(slowed, settings):
    settings.TICKETING_LOCKING_ENABLED = False
    seen = race_two_transfers(ROUNDS)
    print(f"\n[transfer vs transfer control] locks off: {dict(seen)}")
    # both passed every check; only the database's backstop (one active ticket per seat, one
    # successor per ticket) refused the second, as an integrity error instead of a clean 409
    assert any(key[0].startswith("db:") for key in seen), dict(seen)
