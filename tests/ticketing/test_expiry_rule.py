"""The expiry rule, one rule in every reader: a hold is live while it is active and
``expires_at > now``. Its forms (``Hold.is_live``/``status_at`` on a row, ``Hold.live_q`` in the
ORM, ``hold_live_sql``/``HOLD_EXPIRED_SQL`` in the hand-written SQL, and the independent copy of
``check_inventory``) must agree at the instant of expiry and on either side of it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import UserFactory, on_sale_event
from tests.ticketing.helpers import held, seat_ids
from ticketing.models import Hold
from ticketing.selectors.events import events_availability
from ticketing.selectors.invariants import inventory_counts
from ticketing.selectors.purchases import holds_live_of
from ticketing.selectors.reports import event_sales_report
from ticketing.selectors.seat_map import seat_map_state
from ticketing.services.best_available import _spots_read
from ticketing.services.holds import buyer_seat_count, seat_states
from ticketing.services.inventory import seat_effective_status

pytestmark = pytest.mark.django_db

TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(("offset", "live"), [(-TICK, True), (timedelta(0), False), (TICK, False)])
def test_every_reader_of_the_expiry_rule_agrees_at_the_instant_of_expiry(offset, live):
    # given a live hold of two seats, and the instant just before, at, or just after its expiry
    event = on_sale_event()
    buyer = UserFactory()
    ids = seat_ids(event, 2)
    hold = held(buyer, event, ids)
    hold = Hold.objects.select_related("event").get(pk=hold.pk)
    at = hold.expires_at + offset

    # then the Python, ORM and SQL forms, and the independent checker, each says live or not alike
    seats = list(hold.seats.select_related("hold").order_by("id"))
    counts = {c.event_id: c for c in inventory_counts(event_id=event.pk, now=at)}[event.pk]
    spots = {
        spot.id: spot
        for spot in _spots_read(event=event, category=None, section=None, now=at, depths=(0, 99))
    }
    map_state = seat_map_state(event=event, user_id=buyer.pk, now=at)
    verdicts = {
        "Hold.is_live": hold.is_live(at),
        "Hold.status_at": hold.status_at(at) == Hold.Status.ACTIVE,
        "Hold.live_q": Hold.objects.filter(Hold.live_q(at), pk=hold.pk).exists(),
        "holds_live_of": list(holds_live_of(buyer=buyer, now=at)) == [hold],
        "seat_effective_status": [seat_effective_status(seat, at) for seat in seats] == ["held"] * 2,
        "events_availability": events_availability(event_ids=[event.pk], now=at)[event.pk]["held"] == 2,
        "event_sales_report": event_sales_report(event=event, now=at).totals.held == 2,
        "seat_states (HOLD_EXPIRED_SQL)": [
            taken for _, _, taken in seat_states(event=event, seat_ids=ids, now=at)
        ]
        == [True, True],
        "_spots_read (HOLD_EXPIRED_SQL)": not any(spots[seat_id].free for seat_id in ids),
        "buyer_seat_count (hold_live_sql)": buyer_seat_count(buyer=buyer, event=event, now=at) == 2,
        "seat_map_state (hold_live_sql)": map_state.taken == [(seat_id, "held", True) for seat_id in ids],
        "inventory_counts (its own SQL)": (counts.held, counts.live_holds) == (2, 1),
    }
    assert verdicts == dict.fromkeys(verdicts, live)
