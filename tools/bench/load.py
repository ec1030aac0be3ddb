"""Virtual buyers over real HTTP (asyncio + httpx), closed loop: each buyer waits for its answer.

Three loads, all with N concurrent buyers and pre-issued JWTs:
- ``floor``: ``GET /api/v1/auth/me/`` in a loop: what a request costs in our stack before any
  ticketing logic (JWT check + one indexed query);
- ``holds``: ``POST /events/{id}/holds/`` in a loop on a large event, buyers picking from a
  shared, always fresh view of the seats (hot: near the best free seats; spread: anywhere); a
  buyer identity is replaced after each 201 (the per-buyer seat limit). The same load as the
  floor, on the hold endpoint;
- ``rush``: the whole buyer journey on the hot 1,000-seat block: seat map with If-None-Match,
  pick 1-4 adjacent seats, hold, then book (80%), release (10%) or abandon (10%); a 409 marks
  the seats taken and tries others (the map is reloaded after two 409s in a row); until the
  block is sold out (no seat left available) or the time limit. Buyers think between steps
  (``think``, about a second by default) or, with ``think=0``, fire the next request at once
  (a stampede: a closed loop that measures capacity, not what a buyer waits).
Every answer is recorded: latency per endpoint, status codes, and the 201 holds and bookings
the buyers saw, for the invariant checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import ssl
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from tools.bench.prepare import Buyer

LAG_PROBE_SECONDS = 0.01
MAX_HOLD_ATTEMPTS = 12  # a buyer gives up after this many refused holds
HOT_WINDOW = 20  # hot buyers aim at one of the best 20 free seats they can see


# --- recording --------------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


class Stats:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.started = time.perf_counter()
        self.finished: float | None = None
        self.loop_lags: list[float] = []  # see Harness.run's lag probe
        self.client_cpu = 0.0  # seconds of this process's CPU during the run (Harness.run)

    def record(self, endpoint: str, status: int | str, seconds: float) -> None:
        self.latencies[endpoint].append(seconds)
        self.statuses[endpoint][status] += 1

    def count(self, endpoint: str, status: int | None = None) -> int:
        counts = self.statuses.get(endpoint, Counter())
        return counts[status] if status is not None else sum(counts.values())

    @property
    def requests(self) -> int:
        return sum(sum(c.values()) for c in self.statuses.values())

    @property
    def elapsed(self) -> float:
        return (self.finished or time.perf_counter()) - self.started

    def server_errors(self) -> int:
        return sum(
            n
            for c in self.statuses.values()
            for status, n in c.items()
            if isinstance(status, int) and status >= 500
        )

    def transport_errors(self) -> int:
        return sum(n for c in self.statuses.values() for status, n in c.items() if isinstance(status, str))

    def summary(self) -> dict[str, Any]:
        latency = {}
        for endpoint, values in sorted(self.latencies.items()):
            ordered = sorted(values)
            latency[endpoint] = {
                "n": len(ordered),
                **{f"p{q}": round(percentile(ordered, q) * 1000, 2) for q in (50, 95, 99)},
                "max": round(ordered[-1] * 1000, 2),
            }
        return {
            "seconds": round(self.elapsed, 3),
            "requests": self.requests,
            "requests_per_s": round(self.requests / self.elapsed, 1),
            "latency_ms": latency,
            "status": {
                e: {str(s): n for s, n in sorted(c.items(), key=str)} for e, c in self.statuses.items()
            },
            "client_loop_lag_ms": {
                f"p{q}": round((percentile(sorted(self.loop_lags), q) or 0) * 1000, 2) for q in (50, 99)
            },
            # The load generator shares the box: the CPU it spends per request is CPU the
            # servers did not get (compare phases: a heavier client lowers a ratio).
            "client_cpu_ms_per_request": round(self.client_cpu / max(1, self.requests) * 1000, 3),
            "server_errors_5xx": self.server_errors(),
            "transport_errors": self.transport_errors(),
        }


# --- seats ------------------------------------------------------------------------------------


@dataclass
class Region:
    """The seats buyers want, ranked best first, with their row neighbours for groups."""

    ranked: list[int]
    place: dict[int, tuple[str, int, int]]  # id -> (section, row index, number)
    at: dict[tuple[str, int, int], int]  # (section, row index, number) -> id

    @classmethod
    def from_seats(cls, seats: list[tuple[int, str, int, int]]) -> Region:
        sections = list(dict.fromkeys(section for _, section, _, _ in seats))
        widest: dict[tuple[str, int], int] = defaultdict(int)
        for _, section, row, number in seats:
            widest[section, row] = max(widest[section, row], number)

        def desirability(seat: tuple[int, str, int, int]) -> tuple:
            _, section, row, number = seat
            centre = (widest[section, row] + 1) / 2
            return (sections.index(section), row, abs(number - centre), number)

        ranked = [seat[0] for seat in sorted(seats, key=desirability)]
        place = {seat_id: (section, row, number) for seat_id, section, row, number in seats}
        return cls(ranked=ranked, place=place, at={v: k for k, v in place.items()})

    def group(self, anchor: int, k: int, free) -> list[int]:
        """``anchor`` and up to k-1 free neighbours in its row, alternately right and left."""
        section, row, number = self.place[anchor]
        chosen = [anchor]
        for step in itertools.count(1):
            if len(chosen) >= k or step > k + 2:
                break
            for candidate in (number + step, number - step):
                seat_id = self.at.get((section, row, candidate))
                if seat_id is not None and free(seat_id) and len(chosen) < k:
                    chosen.append(seat_id)
        return sorted(chosen)

    def pick(self, *, hot: bool, k: int, rng: random.Random, free, start: int = 0) -> list[int]:
        """Hot: one of the best free seats; spread: any free seat. Empty when none is free."""
        if hot:
            candidates = []
            for seat_id in itertools.islice(self.ranked, start, None):
                if free(seat_id):
                    candidates.append(seat_id)
                    if len(candidates) == HOT_WINDOW:
                        break
            if not candidates:
                return []
            return self.group(rng.choice(candidates), k, free)
        for _ in range(64):
            seat_id = rng.choice(self.ranked)
            if free(seat_id):
                return self.group(seat_id, k, free)
        candidates = [seat_id for seat_id in self.ranked if free(seat_id)]
        return self.group(rng.choice(candidates), k, free) if candidates else []


# --- harness ----------------------------------------------------------------------------------


@dataclass
class Ledger:
    """What the buyers were told: the raw material of the invariant checks."""

    holds: dict[int, dict[str, Any]] = field(default_factory=dict)  # hold id -> buyer, seats, outcome
    bookings: dict[int, dict[str, Any]] = field(default_factory=dict)  # booking id -> buyer, seats, hold
    sold_out_at: float | None = None
    gave_up: int = 0
    unexpected: Counter = field(default_factory=Counter)


class Harness:
    def __init__(self, *, urls: list[str], buyers: list[Buyer], concurrency: int, label: str, seed: int):
        self.urls, self.concurrency, self.label = urls, concurrency, label
        self.identities = itertools.cycle(buyers)
        self.stats = Stats()
        self.ledger = Ledger()
        self.codes: Counter = Counter()  # the stampede's answers by endpoint, status and error code
        self.stop = asyncio.Event()
        self.seed = seed
        # One client (one keep-alive connection) per buyer: httpx's shared pool scans all its
        # connections on every request, which made 100 buyers cost ~10 ms of client CPU per
        # request. The TLS context is shared: building one per client is slow (and unused).
        tls = ssl.create_default_context()
        one = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self.clients = [
            httpx.AsyncClient(
                base_url=urls[vu % len(urls)], limits=one, timeout=httpx.Timeout(30.0), verify=tls
            )
            for vu in range(concurrency)
        ]
        self.progress_extra = lambda: ""

    async def pause(self, seconds: float) -> None:
        """A buyer thinking: sleep, cut short when the run stops."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), timeout=seconds)

    def client_for(self, vu: int) -> httpx.AsyncClient:
        return self.clients[vu]

    async def call(self, client: httpx.AsyncClient, endpoint: str, method: str, url: str, **kwargs):
        started = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            self.stats.record(endpoint, f"error:{type(error).__name__}", time.perf_counter() - started)
            return None
        self.stats.record(endpoint, response.status_code, time.perf_counter() - started)
        return response

    async def book(self, client: httpx.AsyncClient, buyer: Buyer, hold_id: int) -> httpx.Response | None:
        """Book the buyer's hold, retrying a 429 or 503 with the same Idempotency-Key (safe); a
        201 is recorded in the ledger. Returns the last answer (None: no answer)."""
        key = uuid.uuid4().hex
        for _ in range(3):
            response = await self.call(
                client,
                "book",
                "POST",
                "/api/v1/bookings/",
                json={"hold_id": hold_id},
                headers={**auth(buyer), "Idempotency-Key": key},
            )
            if response is not None and response.status_code not in (429, 503):
                break
            await asyncio.sleep(retry_after(response) if response is not None else 0.2)
        if response is not None and response.status_code == 201:
            body = orjson.loads(response.content)
            self.ledger.bookings[body["id"]] = {
                "buyer": buyer.user_id,
                "seats": sorted(body["seats"]),
                "hold": hold_id,
            }
        return response

    async def progress(self) -> None:
        last_n, last_t = 0, time.perf_counter()
        while not self.stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), timeout=1.0)
            now, n = time.perf_counter(), self.stats.requests
            rate = (n - last_n) / max(1e-6, now - last_t)
            last_n, last_t = n, now
            line = (
                f"  {self.label:<26} {self.stats.elapsed:5.1f}s  {n:7d} req  {rate:6.0f} req/s"
                f"  5xx {self.stats.server_errors()}{self.progress_extra()}"
            )
            sys.stderr.write("\r" + line.ljust(110)[:110])
            sys.stderr.flush()
        sys.stderr.write("\r" + " " * 110 + "\r")

    async def run(self, vu_coroutine, seconds: float) -> None:
        async def timer() -> None:
            try:
                await asyncio.wait_for(self.stop.wait(), timeout=seconds)
            except TimeoutError:
                self.stop.set()

        async def lag_probe() -> None:
            """How late the load generator's own event loop wakes up: the part of a measured
            latency that is the client's queue, not the server's (a 2-core box is shared)."""
            while not self.stop.is_set():
                asked = time.perf_counter()
                await asyncio.sleep(LAG_PROBE_SECONDS)
                self.stats.loop_lags.append(time.perf_counter() - asked - LAG_PROBE_SECONDS)

        progress = asyncio.create_task(self.progress())
        timer_task = asyncio.create_task(timer())
        probe = asyncio.create_task(lag_probe())
        self.stats.started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(
            *(vu_coroutine(vu, random.Random(self.seed * 100_003 + vu)) for vu in range(self.concurrency))
        )
        self.stats.finished, self.stats.client_cpu = time.perf_counter(), time.process_time() - cpu
        self.stop.set()
        await asyncio.gather(progress, timer_task, probe)
        for client in self.clients:
            await client.aclose()


def auth(buyer: Buyer) -> dict[str, str]:
    return {"Authorization": f"Bearer {buyer.token}"}


def retry_after(response: httpx.Response) -> float:
    try:
        return min(2.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0


# --- the three loads --------------------------------------------------------------------------


async def floor_load(*, urls: list[str], buyers: list[Buyer], concurrency: int, seconds: float, seed: int):
    harness = Harness(
        urls=urls, buyers=buyers, concurrency=concurrency, label=f"floor N={concurrency}", seed=seed
    )

    async def vu(index: int, rng: random.Random) -> None:
        client, headers = harness.client_for(index), auth(next(harness.identities))
        while not harness.stop.is_set():
            await harness.call(client, "me", "GET", "/api/v1/auth/me/", headers=headers)

    await harness.run(vu, seconds)
    return harness


async def holds_load(
    *,
    urls: list[str],
    buyers: list[Buyer],
    concurrency: int,
    seconds: float,
    event_id: int,
    region: Region,
    hot: bool,
    seed: int,
):
    label = f"holds {'hot' if hot else 'spread'} N={concurrency}"
    harness = Harness(urls=urls, buyers=buyers, concurrency=concurrency, label=label, seed=seed)
    status: dict[int, str] = dict.fromkeys(region.ranked, "available")
    cursor = 0

    def free(seat_id: int) -> bool:
        return status[seat_id] == "available"

    def advance() -> int:
        nonlocal cursor
        while cursor < len(region.ranked) and not free(region.ranked[cursor]):
            cursor += 1
        return cursor

    harness.progress_extra = lambda: f"  holds {harness.stats.count('hold', 201)}"

    async def vu(index: int, rng: random.Random) -> None:
        client = harness.client_for(index)
        buyer = next(harness.identities)
        while not harness.stop.is_set():
            seats = region.pick(hot=hot, k=rng.randint(1, 4), rng=rng, free=free, start=advance())
            if not seats:
                harness.ledger.sold_out_at = harness.ledger.sold_out_at or harness.stats.elapsed
                return
            response = await harness.call(
                client,
                "hold",
                "POST",
                f"/api/v1/events/{event_id}/holds/",
                json={"seat_ids": seats},
                headers={**auth(buyer), "Idempotency-Key": uuid.uuid4().hex},
            )
            if response is None:
                continue
            if response.status_code == 201:
                for seat_id in seats:
                    status[seat_id] = "held"
                buyer = next(harness.identities)
            elif response.status_code == 409:
                body = orjson.loads(response.content)
                for seat in body.get("seats", []):
                    status[seat["id"]] = seat["status"]
                if body.get("code") == "seat_limit_exceeded":
                    buyer = next(harness.identities)
            elif response.status_code in (429, 503):
                await asyncio.sleep(retry_after(response))

    await harness.run(vu, seconds)
    return harness


async def rush_load(
    *,
    urls: list[str],
    buyers: list[Buyer],
    concurrency: int,
    seconds: float,
    event_id: int,
    region: Region,
    hot: bool,
    seed: int,
    map_query: str = "",
    book_share: float = 0.8,
    release_share: float = 0.1,
    best_section: str | None = None,
    think: float = 0.0,
):
    """``best_section``: scenario ``best``: buyers ask the server for the best 1-4 adjacent seats
    of that section (``best_available``) instead of choosing seats from the map.
    ``think``: mean seconds a buyer spends choosing seats before a hold (half of it after a
    409) and paying before the booking, each drawn uniformly from 0.5x to 1.5x; 0 is a
    stampede of scripts that never pause."""
    scenario = "best" if best_section else ("hot" if hot else "spread")
    label = f"rush {scenario} N={concurrency}" + (f" x{len(urls)}" if len(urls) > 1 else "")
    harness = Harness(urls=urls, buyers=buyers, concurrency=concurrency, label=label, seed=seed)
    ledger = harness.ledger
    block = set(region.ranked)
    seen_left = [len(block)]
    map_url = f"/api/v1/events/{event_id}/seats/{map_query}"
    harness.progress_extra = lambda: (
        f"  holds {harness.stats.count('hold', 201)}  booked {harness.stats.count('book', 201)}"
        f"  left {seen_left[0]}/{len(block)}"
    )

    async def load_map(client, buyer: Buyer, cache: dict) -> dict[int, str] | None:
        headers = {**auth(buyer), "Accept-Encoding": "gzip"}
        if cache.get("etag"):
            headers["If-None-Match"] = cache["etag"]
        response = await harness.call(client, "map", "GET", map_url, headers=headers)
        if response is None or response.status_code not in (200, 304):
            return None
        if response.status_code == 200:
            seats = orjson.loads(response.content)["seats"]
            cache["view"] = {seat["id"]: seat["status"] for seat in seats if seat["id"] in block}
            cache["etag"] = response.headers.get("ETag")
        view = cache["view"]
        left = sum(1 for s in view.values() if s == "available")
        seen_left[0] = left
        if left == 0 and response.status_code == 200 and ledger.sold_out_at is None:
            ledger.sold_out_at = harness.stats.elapsed
            harness.stop.set()
        return view

    def thinking(rng: random.Random, share: float = 1.0) -> float:
        return think * share * rng.uniform(0.5, 1.5)

    async def finish(client, buyer: Buyer, hold_id: int, seats: list[int], rng: random.Random) -> None:
        roll = rng.random()
        await harness.pause(thinking(rng))  # paying, or deciding to let the seats go
        record = ledger.holds[hold_id]
        if roll < book_share:
            response = await harness.book(client, buyer, hold_id)
            if response is not None and response.status_code == 201:
                record["outcome"] = "booked"
            else:
                record["outcome"] = f"book_failed:{response.status_code if response is not None else 'error'}"
        elif roll < book_share + release_share:
            response = await harness.call(
                client, "release", "DELETE", f"/api/v1/holds/{hold_id}/", headers=auth(buyer)
            )
            record["outcome"] = (
                "released" if response is not None and response.status_code == 204 else "release_failed"
            )
        else:
            record["outcome"] = "abandoned"

    async def purchase(client, buyer: Buyer, rng: random.Random) -> None:
        cache: dict[str, Any] = {}
        view = await load_map(client, buyer, cache)
        refused_in_a_row = 0
        for attempt in range(MAX_HOLD_ATTEMPTS):
            await harness.pause(thinking(rng, 1.0 if attempt == 0 else 0.5))  # choosing seats
            if view is None or harness.stop.is_set():
                return
            if best_section:
                seats = []
                request = {"best_available": {"count": rng.randint(1, 4), "section": best_section}}
            else:
                seats = region.pick(
                    hot=hot, k=rng.randint(1, 4), rng=rng, free=lambda s, v=view: v.get(s) == "available"
                )
                if not seats:
                    view = await load_map(client, buyer, cache)
                    continue
                request = {"seat_ids": seats}
            response = await harness.call(
                client,
                "hold",
                "POST",
                f"/api/v1/events/{event_id}/holds/",
                json=request,
                headers={**auth(buyer), "Idempotency-Key": uuid.uuid4().hex},
            )
            if response is None:
                continue
            if response.status_code == 201:
                body = orjson.loads(response.content)
                held = sorted(seat["id"] for seat in body["seats"])
                if (held != seats and not best_section) or not set(held) <= block:
                    ledger.unexpected["hold_seats_differ"] += 1
                ledger.holds[body["id"]] = {"buyer": buyer.user_id, "seats": held, "outcome": "held"}
                await finish(client, buyer, body["id"], held, rng)
                return
            if response.status_code == 409:
                body = orjson.loads(response.content)
                if best_section and body.get("code") == "no_adjacent_seats":
                    view = await load_map(client, buyer, cache)  # sold out stops the run
                    continue
                if body.get("code") != "seats_unavailable":
                    ledger.unexpected[f"hold_409_{body.get('code')}"] += 1
                    return
                for seat in body.get("seats", []):
                    view[seat["id"]] = seat["status"]
                refused_in_a_row += 1
                if refused_in_a_row >= 2:
                    view, refused_in_a_row = await load_map(client, buyer, cache), 0
            elif response.status_code in (429, 503):
                await asyncio.sleep(retry_after(response))
            else:
                ledger.unexpected[f"hold_{response.status_code}"] += 1
                return
        ledger.gave_up += 1

    async def vu(index: int, rng: random.Random) -> None:
        client = harness.client_for(index)
        while not harness.stop.is_set():
            await purchase(client, next(harness.identities), rng)

    await harness.run(vu, seconds)
    return harness


STAMPEDE_WINDOW = 40  # a stampede buyer picks among the 40 best seats not yet booked


async def stampede_load(
    *,
    urls: list[str],
    buyers: list[Buyer],
    concurrency: int,
    seconds: float,
    event_id: int,
    region: Region,
    seed: int,
    book_share: float = 0.8,
    best_section: str | None = None,
):
    """The on-sale stampede: ``concurrency`` buyers with no think time on a fresh show.

    Each buyer, again and again: picks 1-4 seats at random among the 40 best seats not yet
    booked (front rows first, then closest to the row's centre; ``Region.ranked``), leaving out
    the seats its last refused hold asked for; holds them; then books (``book_share``, 80%) or
    releases them (20%), and starts over as a fresh identity (the per-buyer limit). What
    "booked" means here is what the buyers were told: the seats of every 201 booking and those a
    409 reported ``booked``, shared by all of them like a live map would. With ``best_section``
    buyers ask instead for the best 2-4 seats together in that section (``best_available``), and
    once told none are left together, for the best single seat.
    The run ends when every seat of the block is booked (``sold_out_at``) or after ``seconds``.
    No map reads: every request is a hold, a booking or a release.
    """
    scenario = "best" if best_section else "pick"
    label = f"stampede {scenario} N={concurrency}" + (f" x{len(urls)}" if len(urls) > 1 else "")
    harness = Harness(urls=urls, buyers=buyers, concurrency=concurrency, label=label, seed=seed)
    ledger, block = harness.ledger, set(region.ranked)
    booked: set[int] = set()
    cursor = [0]  # ranked[:cursor] are all booked
    holds_url = f"/api/v1/events/{event_id}/holds/"
    harness.progress_extra = lambda: (
        f"  holds {harness.stats.count('hold', 201)}  booked {len(booked)}/{len(block)}"
    )

    def mark_booked(seat_ids) -> None:
        booked.update(seat_ids)
        if len(booked) >= len(block) and ledger.sold_out_at is None:
            ledger.sold_out_at = harness.stats.elapsed
            harness.stop.set()

    def candidates(avoid: set[int]) -> list[int]:
        ranked = region.ranked
        while cursor[0] < len(ranked) and ranked[cursor[0]] in booked:
            cursor[0] += 1
        found = []
        for seat_id in itertools.islice(ranked, cursor[0], None):
            if seat_id not in booked and seat_id not in avoid:
                found.append(seat_id)
                if len(found) == STAMPEDE_WINDOW:
                    break
        return found

    async def finish(client, buyer: Buyer, hold_id: int, rng: random.Random) -> None:
        record = ledger.holds[hold_id]
        if rng.random() >= book_share:
            response = await harness.call(
                client, "release", "DELETE", f"/api/v1/holds/{hold_id}/", headers=auth(buyer)
            )
            ok = response is not None and response.status_code == 204
            harness.codes[f"release {response.status_code if response is not None else 'error'}"] += 1
            record["outcome"] = "released" if ok else "release_failed"
            return
        response = await harness.book(client, buyer, hold_id)
        harness.codes[f"book {response.status_code if response is not None else 'error'}"] += 1
        if response is not None and response.status_code == 201:
            record["outcome"] = "booked"
            mark_booked(ledger.bookings[orjson.loads(response.content)["id"]]["seats"])
        else:
            record["outcome"] = f"book_failed:{response.status_code if response is not None else 'error'}"

    async def vu(index: int, rng: random.Random) -> None:
        client, buyer = harness.client_for(index), next(harness.identities)
        avoid: set[int] = set()
        apart = False  # best available: ask for seats together until none are left together
        while not harness.stop.is_set():
            if best_section:
                seats = []
                count = 1 if apart else rng.randint(2, 4)  # the last seats go one by one
                wanted = {"count": count, "section": best_section, "together": not apart}
                request = {"best_available": wanted}
            else:
                choice = candidates(avoid) or candidates(set())
                if not choice:  # every seat not booked is held right now: try again
                    avoid = set()
                    await asyncio.sleep(0.01)
                    continue
                seats = sorted(rng.sample(choice, min(len(choice), rng.randint(1, 4))))
                request = {"seat_ids": seats}
            response = await harness.call(
                client,
                "hold",
                "POST",
                holds_url,
                json=request,
                headers={**auth(buyer), "Idempotency-Key": uuid.uuid4().hex},
            )
            if response is None:
                harness.codes["hold error"] += 1
                continue
            code = ""
            if response.status_code == 409:
                body = orjson.loads(response.content)
                code = body.get("code")
            harness.codes[f"hold {response.status_code} {code}".strip()] += 1
            if response.status_code == 201:
                body = orjson.loads(response.content)
                held = sorted(seat["id"] for seat in body["seats"])
                if (held != seats and not best_section) or not set(held) <= block:
                    ledger.unexpected["hold_seats_differ"] += 1
                ledger.holds[body["id"]] = {"buyer": buyer.user_id, "seats": held, "outcome": "held"}
                await finish(client, buyer, body["id"], rng)
                buyer, avoid = next(harness.identities), set()
            elif response.status_code == 409:
                if code == "seats_unavailable":
                    mark_booked(seat["id"] for seat in body.get("seats", []) if seat["status"] == "booked")
                    avoid = set(seats)
                elif code == "seat_limit_exceeded":
                    buyer = next(harness.identities)
                elif code == "no_adjacent_seats":
                    if not apart:  # no 2-4 together left: from now on this buyer takes single seats
                        apart = True
                    else:
                        await asyncio.sleep(0.01)  # the rest is held: releases come back
                else:
                    ledger.unexpected[f"hold_409_{code}"] += 1
                    return  # an answer the stampede does not expect: this buyer stops
            elif response.status_code in (429, 503):
                await asyncio.sleep(retry_after(response))
            else:
                ledger.unexpected[f"hold_{response.status_code}"] += 1
                return

    await harness.run(vu, seconds)
    return harness
