"""Races on PostgreSQL: opposite lock orders, expiry against booking, cancel against re-hold,
the sweeper against a late booking. Each thread has its own connection and real transactions.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from config.errors import Busy, translate
from tests.factories import UserFactory, hall_with_layout, on_sale_event
from tests.races.harness import outcome, race, requires_postgres
from tests.ticketing.helpers import assert_inventory_clean, seat_ids, statuses
from ticketing.models import Booking, EventSeat, Hold, SeatAudit
from ticketing.services.bookings import booking_confirm, bookings_cancel
from ticketing.services.holds import hold_create, holds_release_expired

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

ONE_MS = timedelta(milliseconds=1)


def _big_event(**fields):
    """An on-sale event of 40 seats (4 rows × 10) and a generous per-buyer limit."""
    return on_sale_event(hall=hall_with_layout(rows=4, seats=10), max_seats_per_buyer=100, **fields)


def _jittered(work, seconds: float):
    def run():
        time.sleep(seconds)
        return work()

    return run


# (delay of the first worker, delay of the second), in seconds: who gets there first varies
SCHEDULES = [(0, 0), (0.03, 0), (0, 0.03), (0.002, 0), (0, 0.002), (0.005, 0)]


def test_20_pairs_holding_two_seats_in_opposite_orders_never_deadlock():
    rounds = 3
    tally: Counter[str] = Counter()
    for _ in range(rounds):
        # given: 20 pairs of buyers, each pair wanting the same two seats
        event = _big_event()
        ids = seat_ids(event)
        buyers = UserFactory.create_batch(40)
        workers = []
        for pair in range(20):
            a, b = ids[2 * pair], ids[2 * pair + 1]
            for buyer, order in ((buyers[2 * pair], [a, b]), (buyers[2 * pair + 1], [b, a])):
                workers.append(
                    lambda buyer=buyer, order=order: hold_create(buyer=buyer, event=event, seat_ids=order)
                )
        # when: one asks for (a, b), the other for (b, a), all 40 at once
        result = race(workers)
        outcomes = [outcome(r) for r in result.results]
        tally.update(outcomes)
        # then: no deadlock, no 503, no other error; at most one winner per pair
        assert set(outcomes) <= {"ok", "seats_unavailable"}, Counter(outcomes)
        for pair in range(20):
            assert outcomes[2 * pair : 2 * pair + 2].count("ok") <= 1
        assert_inventory_clean(event.id)
    print(f"\n[race] 20 pairs × {rounds} rounds, opposite orders: {dict(tally)}")


@requires_postgres
def test_control_locking_in_request_order_does_deadlock():
    """The negative control of the pairs race: lock seat by seat in the client's order."""
    event = on_sale_event()
    a, b = seat_ids(event, 2)
    both_hold_one = threading.Barrier(2, timeout=10)

    def naive(first: int, second: int) -> None:
        with transaction.atomic():
            list(EventSeat.objects.select_for_update().filter(pk=first))
            both_hold_one.wait()
            list(EventSeat.objects.select_for_update().filter(pk=second))

    results = race([lambda: naive(a, b), lambda: naive(b, a)]).results
    deadlocks = [r for r in results if isinstance(r, OperationalError)]
    assert [outcome(r) for r in deadlocks] == ["db:40P01"], results
    assert isinstance(translate(deadlocks[0]), Busy)  # and it would be a 503, not a 500


def test_a_hold_expiring_while_its_owner_books_and_another_buyer_grabs_its_seats():
    event = _big_event()
    ids = seat_ids(event)
    owner, grabber = UserFactory(), UserFactory()
    wins: Counter[str] = Counter()
    for round_ in range(12):
        # given: the owner's hold of two seats, at the very end of its life
        seats = ids[3 * round_ : 3 * round_ + 2]
        hold = hold_create(buyer=owner, event=event, seat_ids=seats)
        owner_clock, grabber_clock = hold.expires_at - ONE_MS, hold.expires_at + ONE_MS
        book_delay, grab_delay = SCHEDULES[round_ % len(SCHEDULES)]
        book = lambda h=hold: booking_confirm(buyer=owner, hold_id=h.id, now=owner_clock)  # noqa: E731
        grab = lambda s=seats: hold_create(buyer=grabber, event=event, seat_ids=s, now=grabber_clock)  # noqa: E731
        # when: the owner books (their clock: still live) as the grabber holds (theirs: expired)
        booked, grabbed = race([_jittered(book, book_delay), _jittered(grab, grab_delay)]).results
        # then: exactly one of them gets the seats
        assert isinstance(booked, Booking) != isinstance(grabbed, Hold), (booked, grabbed)
        if isinstance(booked, Booking):
            wins["owner booked"] += 1
            assert outcome(grabbed) == "seats_unavailable"
            assert set(EventSeat.objects.filter(id__in=seats).values_list("booking_id", flat=True)) == {
                booked.id
            }
        else:
            wins["grabber held"] += 1
            assert outcome(booked) == "hold_expired"
            assert set(EventSeat.objects.filter(id__in=seats).values_list("hold_id", flat=True)) == {
                grabbed.id
            }
        assert_inventory_clean(event.id, now=grabber_clock)
    print(f"\n[race] expiry vs booking vs grab, 12 rounds: {dict(wins)}")
    assert len(wins) == 2, "both interleavings should have been seen"


def test_the_sweeper_racing_a_late_booking_never_strands_a_seat():
    event = _big_event()
    ids = seat_ids(event)
    owner = UserFactory()
    wins: Counter[str] = Counter()
    for round_ in range(4):
        seats = ids[10 * round_ : 10 * round_ + 10]
        hold = hold_create(buyer=owner, event=event, seat_ids=seats)
        late, sweep_at = hold.expires_at - ONE_MS, hold.expires_at + ONE_MS
        book_delay, sweep_delay = SCHEDULES[round_ % 3]
        book = lambda h=hold, t=late: booking_confirm(buyer=owner, hold_id=h.id, now=t)  # noqa: E731
        sweep = lambda t=sweep_at: holds_release_expired(now=t)  # noqa: E731
        booked, swept = race([_jittered(book, book_delay), _jittered(sweep, sweep_delay)]).results
        status = Hold.objects.get(pk=hold.pk).status
        # exactly one of: the owner booked, or the sweeper recorded the hold expired
        if isinstance(booked, Booking):
            wins["booked"] += 1
            assert swept == 0 and status == Hold.Status.BOOKED and statuses(seats) == ["booked"] * 10
        else:
            wins["swept"] += 1
            assert outcome(booked) == "hold_expired"
            assert swept == 1 and status == Hold.Status.EXPIRED and statuses(seats) == ["available"] * 10
        assert_inventory_clean(event.id, now=sweep_at)
    print(f"\n[race] sweeper vs late booking, 4 rounds: {dict(wins)}")
    assert len(wins) == 2, "both interleavings should have been seen"


@requires_postgres
def test_the_sweeper_skips_a_hold_while_another_transaction_has_one_of_its_seats(settings):
    """Deterministic: a seat of an expired hold is locked elsewhere (a buyer taking it over, the
    owner's booking attempt) for longer than the lock timeout; the sweeper must not record the
    hold expired and free only the other seats, which would leave the locked seat ``held`` by a
    dead hold if that transaction then rolls back: it waits (bounded), leaves the batch whole,
    and the next run does it."""
    settings.TICKETING_LOCK_TIMEOUT_MS = 300
    event = on_sale_event()
    ids = seat_ids(event, 2)
    hold = hold_create(buyer=UserFactory(), event=event, seat_ids=ids)
    sweep_at = hold.expires_at + ONE_MS
    locked, release = threading.Event(), threading.Event()

    def lock_first_seat_then_roll_back() -> None:
        try:
            with transaction.atomic():
                list(EventSeat.objects.select_for_update().filter(pk=ids[0]))
                locked.set()
                release.wait(timeout=10)
                transaction.set_rollback(True)
        finally:
            connection.close()

    locker = threading.Thread(target=lock_first_seat_then_roll_back, daemon=True)
    locker.start()
    try:
        assert locked.wait(timeout=10)
        # when: the sweeper runs while the seat is locked
        assert holds_release_expired(now=sweep_at) == 0
        # then: the hold and both seats are untouched
        assert Hold.objects.get(pk=hold.pk).status == Hold.Status.ACTIVE
        assert statuses(ids) == ["held", "held"]
    finally:
        release.set()
        locker.join(timeout=10)
    # and once the other transaction is gone, the next run does the whole hold
    assert holds_release_expired(now=sweep_at) == 1
    assert statuses(ids) == ["available", "available"]
    assert_inventory_clean(event.id, now=sweep_at)


def test_cancel_racing_a_re_hold_never_sells_or_loses_a_seat():
    event = _big_event()
    ids = seat_ids(event)
    owner, rival = UserFactory(), UserFactory()
    tally: Counter[str] = Counter()
    for round_ in range(10):
        seats = ids[2 * round_ : 2 * round_ + 2]
        booking = booking_confirm(
            buyer=owner, hold_id=hold_create(buyer=owner, event=event, seat_ids=seats).id
        )
        cancelled, rehold = race(
            [
                lambda b=booking: bookings_cancel(booking_ids=[b.pk], actor=owner),
                lambda s=seats: hold_create(buyer=rival, event=event, seat_ids=s),
            ]
        ).results
        assert outcome(cancelled) == "ok", cancelled
        tally[outcome(rehold)] += 1
        assert outcome(rehold) in ("ok", "seats_unavailable"), rehold
        if not isinstance(rehold, Hold):  # it came too early: the seats are free right after
            rehold = hold_create(buyer=rival, event=event, seat_ids=seats)
        assert set(EventSeat.objects.filter(id__in=seats).values_list("hold_id", flat=True)) == {rehold.id}
        assert_inventory_clean(event.id)
    print(f"\n[race] cancel vs re-hold, 10 rounds, re-hold answers: {dict(tally)}")


def test_two_bookings_of_one_hold_at_once_make_one_booking():
    event = on_sale_event()
    owner = UserFactory()
    hold = hold_create(buyer=owner, event=event, seat_ids=seat_ids(event, 3))
    results = race([lambda: booking_confirm(buyer=owner, hold_id=hold.id) for _ in range(8)]).results
    assert sorted(outcome(r) for r in results) == ["hold_expired"] * 7 + ["ok"]
    assert Booking.objects.count() == 1
    assert_inventory_clean(event.id)


def test_one_buyer_cannot_pass_the_limit_with_parallel_holds():
    # given: a limit of 4 and 8 parallel holds of one seat each by the same buyer
    event = on_sale_event(max_seats_per_buyer=4)
    buyer = UserFactory()
    ids = seat_ids(event, 8)
    results = race([lambda s=s: hold_create(buyer=buyer, event=event, seat_ids=[s]) for s in ids]).results
    assert Counter(outcome(r) for r in results) == {"ok": 4, "seat_limit_exceeded": 4}
    assert EventSeat.objects.filter(event=event, status="held").count() == 4


def test_three_sweepers_at_once_expire_each_hold_exactly_once():
    # given: 30 holds that expired an hour ago
    event = _big_event()
    ids = seat_ids(event)
    long_ago = timezone.now() - timedelta(hours=1)
    holds = [
        hold_create(buyer=UserFactory(), event=event, seat_ids=[seat], now=long_ago) for seat in ids[:30]
    ]
    # when: three sweepers (three machines) run at once, in small batches
    results = race([lambda: holds_release_expired(batch_size=4) for _ in range(3)]).results
    # then: no error; they shared the work (each claims a batch with SKIP LOCKED, so they
    # never wait for, nor skip, one another): every hold expired once, nothing left over
    assert all(isinstance(r, int) for r in results), results
    leftover = holds_release_expired()
    print(f"\n[race] 3 sweepers, 30 expired holds: {results}, next run: {leftover}")
    assert sum(results) == 30 and leftover == 0
    assert set(Hold.objects.filter(pk__in=[h.pk for h in holds]).values_list("status", flat=True)) == {
        "expired"
    }
    expire_rows = SeatAudit.objects.filter(action="expire")
    assert sorted(expire_rows.values_list("event_seat_id", flat=True)) == ids[:30]
    assert_inventory_clean(event.id)
