"""The lock protocol of seasons, from the statements sent to PostgreSQL (see test_lock_order.py):
a season hold locks the buyer, then every event seat of every season event in one SKIP LOCKED
statement by pk (= events by id, then seats by id); booking and cancelling it wait in pk order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import UserFactory, hall_with_layout, on_sale_event
from tests.races.harness import requires_postgres
from tests.ticketing.locking.capture import locks_taken
from tests.ticketing.locking.test_lock_order import (
    BOOKING,
    HOLD,
    PAYMENT,
    SEAT,
    TICKET,
    USER,
    assert_protocol,
)
from ticketing.services.bookings import booking_confirm, booking_create, bookings_cancel
from ticketing.services.seasons import season_create, season_hold_create
from venues.models import Seat

pytestmark = [requires_postgres, pytest.mark.django_db]


@pytest.fixture
def season(db):
    hall = hall_with_layout()
    events = [on_sale_event(hall=hall, starts_in=timedelta(days=7 + i)) for i in range(3)]
    season = season_create(
        name="S", hall=hall, event_ids=[e.id for e in events], prices={"vip": "90", "standard": "30"}
    )
    seats = list(Seat.objects.filter(section__hall=hall).order_by("id").values_list("id", flat=True))
    return season, seats


def test_season_hold(season):
    season, seats = season
    buyer = UserFactory()
    locks = locks_taken(lambda: season_hold_create(buyer=buyer, season=season, seat_ids=seats[:2]))
    assert_protocol(locks, [USER, SEAT])
    assert [lock.how for lock in locks] == ["no key", "skip locked"]


def test_season_booking_confirm(season):
    season, seats = season
    buyer = UserFactory()
    hold = season_hold_create(buyer=buyer, season=season, seat_ids=seats[:2])
    assert_protocol(locks_taken(lambda: booking_confirm(buyer=buyer, hold_id=hold.pk)), [SEAT, HOLD])


def test_season_booking_cancel_with_a_refund(season):
    season, seats = season
    buyer = UserFactory()
    hold = season_hold_create(buyer=buyer, season=season, seat_ids=seats[:2])
    booking = booking_create(buyer=buyer, hold_id=hold.pk)
    locks = locks_taken(lambda: bookings_cancel(booking_ids=[booking.pk], actor=buyer))
    # the payment marked refunding with its pro rata amount (the gateway is called after commit)
    assert_protocol(locks, [SEAT, BOOKING, TICKET, PAYMENT])
