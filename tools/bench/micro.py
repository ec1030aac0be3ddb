"""Micro-benchmarks: inventory creation and the seat map of a 40,000-seat event.

Server time is measured in this process through Django's full request handler (middleware,
authentication, view, gzip), without a socket; wire time and bytes through a gunicorn server.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

import httpx

from tools.bench.prepare import Buyer, event_new


def shared_bodies_clear() -> None:
    try:
        from ticketing.selectors.seat_map import _bodies
    except ImportError:  # an implementation without the cache
        return
    _bodies.clear()


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def inventory_benchmark(*, hall_id: int, repeats: int, hold_seconds: int) -> tuple[dict[str, Any], int]:
    """event_create (event, prices, one INSERT ... SELECT of 40,000 event seats), ``repeats`` times."""
    from ticketing.models import EventSeat

    timings, event_id = [], 0
    for index in range(repeats):
        started = time.perf_counter()
        event_id = event_new(hall_id=hall_id, name=f"Inventory {index}", hold_seconds=hold_seconds)
        timings.append(time.perf_counter() - started)
    seats = EventSeat.objects.filter(event_id=event_id).count()
    return {
        "seats": seats,
        "runs_ms": [_ms(t) for t in timings],
        "median_ms": _ms(statistics.median(timings)),
        "best_ms": _ms(min(timings)),
    }, event_id


def seat_map_benchmark(
    *, event_id: int, buyer: Buyer, others: list[Buyer], base_url: str, repeats: int
) -> dict[str, Any]:
    """A realistic 40k map (some seats held and booked), as a logged-in buyer: full, gzip, 304."""
    from django.test import Client

    from accounts.models import User
    from ticketing.models import Event, EventSeat
    from ticketing.services.bookings import booking_confirm
    from ticketing.services.holds import hold_create

    event = Event.objects.get(pk=event_id)
    ids = list(EventSeat.objects.filter(event_id=event_id).order_by("id").values_list("id", flat=True))
    rng = random.Random(7)
    starts = sorted(rng.sample(range(len(ids) // 3), len(others[:150])))
    for index, other in enumerate(others[:150]):  # 150 holds of 3 seats, two thirds booked
        start = starts[index] * 3
        user = User.objects.get(pk=other.user_id)
        hold = hold_create(buyer=user, event=event, seat_ids=ids[start : start + 3])
        if index % 3:
            booking_confirm(buyer=user, hold_id=hold.pk)

    url = f"/api/v1/events/{event_id}/seats/"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {buyer.token}", "HTTP_HOST": "127.0.0.1"}
    client = Client()

    cpu: dict[str, list[float]] = {}

    def timed(label: str = "", **headers) -> tuple[float, Any]:
        shared_bodies_clear()  # measure the rendering, not the cache of identical maps
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url, **auth, **headers)
        cpu.setdefault(label, []).append(time.process_time() - cpu_started)
        return time.perf_counter() - started, response

    first = timed("first", HTTP_ACCEPT_ENCODING="gzip")  # a cold process: renders the layout once
    full = [timed("full", HTTP_ACCEPT_ENCODING="gzip") for _ in range(repeats)]
    raw = [timed("raw") for _ in range(max(3, repeats // 2))]
    etag = full[-1][1]["ETag"]
    not_modified = [timed("304", HTTP_IF_NONE_MATCH=etag) for _ in range(repeats * 3)]
    assert not_modified[-1][1].status_code == 304, not_modified[-1][1].status_code

    with httpx.Client(base_url=base_url, timeout=30) as http:
        headers = {"Authorization": f"Bearer {buyer.token}", "Accept-Encoding": "gzip"}
        http.get(url, headers=headers)
        wire, wire_bytes, body_bytes = [], 0, 0
        for _ in range(repeats):
            started = time.perf_counter()
            response = http.get(url, headers=headers)
            wire.append(time.perf_counter() - started)
            wire_bytes, body_bytes = response.num_bytes_downloaded, len(response.content)
        wire_304 = []
        for _ in range(repeats * 3):
            started = time.perf_counter()
            response = http.get(url, headers={**headers, "If-None-Match": etag})
            wire_304.append(time.perf_counter() - started)
        assert response.status_code == 304

    def med(samples) -> float:
        return _ms(statistics.median(t for t, _ in samples))

    return {
        "seats": len(ids),
        "server_first_ms": _ms(first[0]),
        "server_full_gzip_ms": med(full),
        "server_full_gzip_cpu_ms": _ms(statistics.median(cpu["full"])),
        "server_304_cpu_ms": _ms(statistics.median(cpu["304"])),
        "server_full_gzip_p95_ms": _ms(sorted(t for t, _ in full)[int(len(full) * 0.95) - 1]),
        "server_full_identity_ms": med(raw),
        "server_304_ms": med(not_modified),
        "gzip_bytes": len(full[-1][1].content),
        "json_bytes": len(raw[-1][1].content),
        "http_full_gzip_ms": _ms(statistics.median(wire)),
        "http_wire_bytes": wire_bytes,
        "http_body_bytes": body_bytes,
        "http_304_ms": _ms(statistics.median(wire_304)),
    }
