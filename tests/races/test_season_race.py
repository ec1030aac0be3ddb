"""Races on PostgreSQL: season holds against single-event holds on overlapping seats, in opposite
orders; then their bookings against new holds. The controls: without the row locks a seat is
held twice; locking the events of a season in the opposite order does deadlock."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import OperationalError, transaction

from config.errors import Busy, translate
from tests.factories import UserFactory, hall_with_layout, on_sale_event
from tests.races.harness import outcome, race, requires_postgres
from tests.ticketing.helpers import assert_inventory_clean
from ticketing.models import EventSeat, Hold, Season, Ticket
from ticketing.selectors.invariants import inventory_check
from ticketing.services.bookings import booking_confirm
from ticketing.services.holds import hold_create
from ticketing.services.seasons import season_create, season_hold_create
from venues.models import Seat

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True), requires_postgres]

GROUPS = 10  # groups of 4 buyers wanting the same 2 hall seats


def _season(events: int = 3) -> Season:
    hall = hall_with_layout(rows=4, seats=10)
    made = [
        on_sale_event(hall=hall, starts_in=timedelta(days=7 + i), max_seats_per_buyer=100)
        for i in range(events)
    ]
    return season_create(
        name="Race season", hall=hall, event_ids=[e.id for e in made], prices={"vip": "90", "standard": "30"}
    )


def _hall_seats(season: Season) -> list[int]:
    return list(Seat.objects.filter(section__hall=season.hall).order_by("id").values_list("id", flat=True))


def _event_seat(event, hall_seat: int) -> int:
    return EventSeat.objects.values_list("id", flat=True).get(event=event, seat_id=hall_seat)


def _contenders(season: Season):
    """Per group of hall seats (a, b): two season buyers, (a, b) and (b, a); a single buyer of the
    last event asking (b, a), one of the first event asking (a, b): overlapping, opposite orders."""
    events = list(season.events.order_by("id"))
    first, last = events[0], events[-1]
    hall = _hall_seats(season)
    buyers = UserFactory.create_batch(4 * GROUPS)
    workers = []
    for group in range(GROUPS):
        a, b = hall[2 * group], hall[2 * group + 1]
        s1, s2, u1, u2 = buyers[4 * group : 4 * group + 4]
        first_ids = [_event_seat(first, a), _event_seat(first, b)]
        last_ids = [_event_seat(last, b), _event_seat(last, a)]
        workers += [
            lambda s1=s1, ids=[a, b]: season_hold_create(buyer=s1, season=season, seat_ids=ids),
            lambda s2=s2, ids=[b, a]: season_hold_create(buyer=s2, season=season, seat_ids=ids),
            lambda u1=u1, ids=last_ids: hold_create(buyer=u1, event=last, seat_ids=ids),
            lambda u2=u2, ids=first_ids: hold_create(buyer=u2, event=first, seat_ids=ids),
        ]
    return workers


def _each_seat_held_once(holds: list[Hold]) -> None:
    """Every hold a worker was given still holds every one of its seats: no seat was claimed by
    two holds (the second write would have taken it from the first)."""
    claimed = Counter(seat.id for hold in holds for seat in hold.seats.all())
    assert max(claimed.values(), default=1) == 1, "an event seat was given to two holds"
    for hold in holds:
        assert EventSeat.objects.filter(hold=hold, status=EventSeat.Status.HELD).count() == hold.seat_count


def test_season_holds_and_single_holds_in_opposite_orders_never_deadlock_nor_double_hold(settings):
    settings.TICKETING_MAX_SEATS_PER_BUYER = 100
    tally: Counter[str] = Counter()
    for _ in range(3):
        # given a 3-event season and 10 groups of 4 buyers on the same 2 hall seats
        season = _season()
        # when all 40 ask at once, in opposite orders, season and single
        results = race(_contenders(season)).results
        outcomes = [outcome(r) for r in results]
        tally.update(outcomes)
        # then: no deadlock, no busy, no other error; nobody holds a seat another holds
        assert set(outcomes) <= {"ok", "seats_unavailable"}, Counter(outcomes)
        won = [r for r in results if isinstance(r, Hold)]
        _each_seat_held_once(won)
        for group in range(GROUPS):
            mine = outcomes[4 * group : 4 * group + 4]
            if "ok" in mine[:2]:  # a season hold of (a, b) leaves nothing of (a, b) to anyone
                assert mine.count("ok") == 1, mine
        assert_inventory_clean()
        # and: booking every winner while new season holds ask for the same seats again
        bookers = [lambda hold=hold: booking_confirm(buyer=hold.buyer, hold_id=hold.id) for hold in won]
        again = _contenders(season)
        results = race(bookers + again).results
        booked = [outcome(r) for r in results[: len(bookers)]]
        assert booked == ["ok"] * len(bookers), booked
        assert set(outcome(r) for r in results[len(bookers) :]) <= {"ok", "seats_unavailable"}
        assert not any(
            count > 1
            for count in Counter(
                Ticket.objects.filter(status=Ticket.Status.ACTIVE).values_list("event_seat_id", flat=True)
            ).values()
        ), "a seat sold twice"
        assert_inventory_clean()
    print(f"\n[race] season vs single holds, opposite orders, 3 rounds of 40: {dict(tally)}")


def test_control_without_locks_a_seat_is_held_twice(settings):
    """The negative control: the lock helper off, season and single holds of the same seats all
    win sometimes, and check_inventory sees holds that lost their seats to a later write."""
    settings.TICKETING_LOCKING_ENABLED = False
    settings.TICKETING_MAX_SEATS_PER_BUYER = 100
    seen = []
    for attempt in range(5):
        season = _season()
        events = list(season.events.order_by("id"))
        a = _hall_seats(season)[0]
        seasons_buyers, single_buyers = UserFactory.create_batch(8), UserFactory.create_batch(8)
        workers = [
            lambda b=b: season_hold_create(buyer=b, season=season, seat_ids=[a]) for b in seasons_buyers
        ] + [
            lambda b=b, e=events[i % len(events)]: hold_create(buyer=b, event=e, seat_ids=[_event_seat(e, a)])
            for i, b in enumerate(single_buyers)
        ]
        outcomes = Counter(outcome(r) for r in race(workers).results)
        rules = {v.rule for v in inventory_check().violations}
        seen.append((outcomes, rules))
        print(f"\n[control] locks off, attempt {attempt + 1}: {dict(outcomes)}, violations {sorted(rules)}")
        if "hold_seat_count" in rules:
            break
    outcomes, rules = seen[-1]
    assert "hold_seat_count" in rules, seen  # a hold was told it holds a seat it no longer holds
    assert outcomes["ok"] > 1


def test_control_events_locked_in_opposite_orders_do_deadlock():
    """The negative control of the lock order: two season claims that wait for their seats, one
    taking the events by id, the other in the opposite order, deadlock (40P01, a 503 busy). The
    protocol's one order (events by id, then seats) leaves no such pair."""
    season = _season(events=2)
    first, second = season.events.order_by("id")
    a = _hall_seats(season)[0]
    one, two = _event_seat(first, a), _event_seat(second, a)
    both_hold_one = threading.Barrier(2, timeout=10)

    def claim(order: list[int]) -> None:
        with transaction.atomic():
            list(EventSeat.objects.select_for_update().filter(pk=order[0]))
            both_hold_one.wait()
            list(EventSeat.objects.select_for_update().filter(pk=order[1]))

    results = race([lambda: claim([one, two]), lambda: claim([two, one])]).results
    deadlocks = [r for r in results if isinstance(r, OperationalError)]
    assert [outcome(r) for r in deadlocks] == ["db:40P01"], results
    assert isinstance(translate(deadlocks[0]), Busy)


def test_events_of_one_hall_created_at_once_keep_seat_ids_in_event_order():
    """Why the season lock's pk order is events by id, then seats: event_create copies a hall's
    inventory under the hall's row lock, so even events created at the same moment get their
    ids and all their seat ids one event after the other."""
    hall = hall_with_layout(rows=10, seats=20)
    results = race([lambda: on_sale_event(hall=hall) for _ in range(6)]).results
    assert all(outcome(r) == "ok" for r in results), results
    rows = list(EventSeat.objects.filter(event__hall=hall).order_by("id").values_list("event_id", "id"))
    assert len(rows) == 6 * 200 and rows == sorted(rows)


def test_control_without_the_hall_lock_seat_ids_interleave_across_events(settings):
    """The negative control: without the hall lock, events created at once can get their seat
    ids out of event order (or interleaved), which would make pk order differ from events by id."""
    settings.TICKETING_LOCKING_ENABLED = False
    seen = []
    for _ in range(5):
        hall = hall_with_layout(rows=40, seats=50)
        results = race([lambda hall=hall: on_sale_event(hall=hall) for _ in range(6)]).results
        assert all(outcome(r) == "ok" for r in results), results
        rows = list(EventSeat.objects.filter(event__hall=hall).order_by("id").values_list("event_id", "id"))
        seen.append(rows == sorted(rows))
        if not seen[-1]:
            break
    print(f"\n[control] hall lock off: seat ids in event order per attempt: {seen}")
    assert not seen[-1], "the seat ids stayed in event order without the hall lock"
