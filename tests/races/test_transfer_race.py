"""A ticket transferred while a gate scans it, or transferred twice at once (PostgreSQL).

Both the transfer and the scan lock the ticket row (the transfer after the ticket's booking), so
exactly one of them wins: admitted and not transferred (the transfer gets already_checked_in),
or transferred and the old code refused (ticket_transferred); two transfers of one ticket give
one new ticket, the other gets ticket_transferred. Each use case is slowed a little after its
locking read, in the test and in its control alike, so that the two overlap every round; the
controls switch the row locks off (TICKETING_LOCKING_ENABLED) and see both win.
A transfer and a cancel of the same booking never deadlock: the transfer locks the ticket's
seat before the booking, as every cancel does (its new ticket's foreign key to the seat is
checked at commit); the control locks as before that fix (booking, ticket) and sees PostgreSQL
break the deadlock (40P01).
Run with ``pytest -s`` to see the numbers.
"""

import time
from collections import Counter

import pytest

from tests.factories import UserFactory, hall_with_layout, on_sale_event
from tests.races.harness import outcome, race, requires_postgres
from tests.ticketing.helpers import assert_inventory_clean, booked, seat_ids
from ticketing import locking
from ticketing.models import Booking, Ticket
from ticketing.services import checkin, transfers
from ticketing.services.bookings import bookings_cancel
from ticketing.services.checkin import ticket_check_in
from ticketing.services.transfers import ticket_transfer

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True), requires_postgres]

ROUNDS = 15
PAUSE = 0.02  # seconds each use case waits after its locking read: the window a lock must close


def slowed_lock(lock):
    """``lock``, then a pause: the window the other use case runs in."""

    def locked(**kwargs):
        row = lock(**kwargs)
        time.sleep(PAUSE)
        return row

    return locked


@pytest.fixture
def slowed(monkeypatch):
    """Both use cases pause after reading their ticket, as under load."""
    monkeypatch.setattr(checkin, "lock_ticket", slowed_lock(locking.lock_ticket))
    monkeypatch.setattr(transfers, "lock_ticket_for_transfer", slowed_lock(locking.lock_ticket_for_transfer))


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


def race_transfer_and_cancel(rounds: int) -> Counter:
    """Per one-ticket booking, a transfer and the buyer's cancel at once:
    (transfer, cancel, booking status, active tickets left)."""
    buyer, _gate, friends, tickets = world(rounds)
    seen: Counter = Counter()
    for ticket in tickets:
        result = race(
            [
                lambda: ticket_transfer(ticket_id=ticket.pk, actor=buyer, to=friends[0].username),
                lambda: bookings_cancel(booking_ids=[ticket.booking_id], actor=buyer),
            ]
        )
        status = Booking.objects.get(pk=ticket.booking_id).status
        active = Ticket.objects.filter(booking_id=ticket.booking_id, status=Ticket.Status.ACTIVE).count()
        seen[(*map(outcome, result.results), status, active)] += 1
    return seen


def lock_ticket_for_transfer_booking_first(*, ticket_id: int) -> Ticket | None:
    """The transfer's locks before the fix: the booking, then the ticket (the seat left to the
    new ticket's foreign-key check at commit)."""
    booking_id = Ticket.objects.filter(pk=ticket_id).values_list("booking_id", flat=True).first()
    if booking_id is None or not locking.lock_rows(Booking.objects.filter(pk=booking_id), no_key=True):
        return None
    locked = locking.lock_rows(Ticket.objects.filter(pk=ticket_id).select_related("booking__event"))
    return locked[0] if locked else None


def test_a_transfer_and_a_cancel_of_one_booking_never_deadlock(slowed):
    seen = race_transfer_and_cancel(ROUNDS)
    print(f"\n[transfer vs cancel] {ROUNDS} rounds: {dict(seen)}")
    assert set(seen) <= {
        ("ok", "ok", "cancelled", 0),  # the transfer first; the cancel voided the new ticket too
        ("ticket_revoked", "ok", "cancelled", 0),  # the cancel first; nothing left to transfer
    }, dict(seen)
    assert_inventory_clean()


def test_control_locking_the_booking_first_deadlocks_with_a_cancel(monkeypatch, settings):
    monkeypatch.setattr(
        transfers, "lock_ticket_for_transfer", slowed_lock(lock_ticket_for_transfer_booking_first)
    )
    seen = race_transfer_and_cancel(ROUNDS)
    print(f"\n[transfer vs cancel control] booking first: {dict(seen)}")
    assert any("db:40P01" in key for key in seen), dict(seen)


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
