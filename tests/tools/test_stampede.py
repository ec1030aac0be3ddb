"""The stampede benchmark's own parts: its buyers against a real server, and its CPU meter."""

from __future__ import annotations

import asyncio
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import UserFactory, hall_with_layout, on_sale_event
from tests.live_server import gunicorn
from ticketing.models import Booking, EventSeat
from tools.bench import checks, load, prepare
from tools.bench.cpu import CpuMeter, per_request_ms

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def run_in_a_thread(coroutine):
    """asyncio.run in a thread of its own: the browser tests leave an event loop in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("best", [False, True], ids=["pick", "best"])
def test_the_stampede_sells_a_small_show_out_and_the_tables_agree(best):
    # given: a 40-seat show and 40 buyers with tokens
    event = on_sale_event(hall=hall_with_layout(sections=1, rows=2, seats=20))
    users = UserFactory.create_batch(40)
    buyers = [prepare.Buyer(user.pk, str(AccessToken.for_user(user))) for user in users]
    region = load.Region.from_seats(prepare.event_seats(event.pk))
    section = EventSeat.objects.filter(event=event).values_list("seat__section__name", flat=True).first()
    env = {
        "THROTTLE_HOLD": "100000/min",
        "THROTTLE_BOOK": "100000/min",
        "JWT_SIGNING_KEY": settings.SIMPLE_JWT["SIGNING_KEY"],  # the tokens made here
    }
    # when: 8 buyers stampede it over two gunicorn workers
    with gunicorn(workers=2, env=env) as server:
        harness = run_in_a_thread(
            load.stampede_load(
                urls=[server.url],
                buyers=buyers,
                concurrency=8,
                seconds=30,
                event_id=event.pk,
                region=region,
                seed=3,
                best_section=section if best else None,
            )
        )
    # then: sold out, every booking the buyers were told of is in the tables, nothing unexpected
    assert harness.ledger.sold_out_at is not None, dict(harness.codes)
    assert EventSeat.objects.filter(event=event, status=EventSeat.Status.BOOKED).count() == 40
    assert (
        harness.codes["book 201"]
        == len(harness.ledger.bookings)
        == Booking.objects.filter(event=event).count()
    )
    assert not harness.ledger.unexpected, harness.ledger.unexpected
    assert harness.stats.server_errors() == 0
    found = checks.tables_check(event_id=event.pk, ledger=harness.ledger)
    assert not any(v for k, v in found.items() if k != "bookings_unseen_by_buyers"), found


def test_the_cpu_meter_counts_what_a_process_spends():
    meter = CpuMeter({"me": lambda: [os.getpid()]})
    meter.start()
    total = sum(i * i for i in range(2_000_000))  # some CPU in this process
    used = meter.stop()
    assert total > 0
    assert used["me"] > 0.01 and used["load_generator"] > 0.01
    assert abs(used["me"] - used["load_generator"]) < 0.05  # the same process, seen two ways
    assert per_request_ms(used, 10)["me"] == pytest.approx(used["me"] * 100, rel=0.01)
