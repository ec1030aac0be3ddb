"""Watchers of one event's seat map during a rush: N stream subscribers, or N pollers.

``watch_stream``: N Server-Sent Events subscribers of ``GET /events/{id}/seats/stream/`` through
nginx and Pushpin, on plain asyncio sockets (HTTP/1.0, so nginx never chunks the stream), each
recording when every message number reached it. ``watch_polling``: N buyers asking for the map
every second with If-None-Match, as the web client did before the stream. Meanwhile ``rush``
changes seats through the API (holds, then releases) and records, per change, when its request
left and when its answer came: the commit lies between. A change's delivery delay is counted
from the request's start (an upper bound of commit → subscriber); expiries, planted by
``expiries_plant`` with a known end, count from that end.
"""

from __future__ import annotations

import asyncio
import random
import resource
import time
from dataclasses import dataclass, field

import httpx
import orjson

from tools.bench.load import percentile


def raise_open_files_limit() -> int:
    """As many file descriptors as the hard limit allows (thousands of sockets)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 1_048_576
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@dataclass
class Change:
    seat: int
    status: str
    began: float  # time.time() the request left (or the expiry's instant)
    answered: float


@dataclass
class StreamWatch:
    subscribers: int
    connected: int = 0
    failed: int = 0
    connect_seconds: float = 0.0
    arrivals: list[list[tuple[int, float]]] = field(default_factory=list)  # per subscriber: (seq, t)
    live: set[int] = field(default_factory=set)  # the subscribers whose stream opened
    reasons: dict[str, int] = field(default_factory=dict)  # why subscriptions failed
    contents: dict[int, list[dict]] = field(default_factory=dict)  # seq → changes (one probe)


async def _subscribe(host: str, port: int, path: str, index: int, watch: StreamWatch, stop: asyncio.Event):
    arrivals = watch.arrivals[index]
    probe = index == 0
    try:
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
    except OSError as error:
        watch.failed += 1
        watch.reasons[f"connect: {error.strerror or error}"] = (
            watch.reasons.get(f"connect: {error.strerror or error}", 0) + 1
        )
        return
    try:
        writer.write(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 60)
        if b" 200 " not in status:
            watch.failed += 1
            reason = status.decode(errors="replace").strip() or "no answer"
            watch.reasons[reason] = watch.reasons.get(reason, 0) + 1
            return
        while (await reader.readline()).strip():
            pass
        watch.connected += 1
        watch.live.add(index)
        # Whole chunks, split into messages by hand: a readline per line cost this process more
        # CPU than Pushpin spent sending (the box is shared with the servers being measured).
        pending = b""
        while not stop.is_set():
            chunk = await reader.read(65536)
            if not chunk:
                break
            now = time.time()
            pending += chunk
            *messages, pending = pending.split(b"\n\n")
            for message in messages:
                at = message.find(b"id: ")
                if at < 0:
                    continue
                end = message.find(b"\n", at)
                seq = int(message[at + 4 : end if end > 0 else None])
                arrivals.append((seq, now))
                if probe:
                    data = message.find(b"data: ")
                    if data >= 0:
                        watch.contents[seq] = orjson.loads(message[data + 6 :].split(b"\n", 1)[0])["changes"]
    except (OSError, TimeoutError, ValueError) as error:
        if index not in watch.live:
            watch.failed += 1
            watch.reasons[type(error).__name__] = watch.reasons.get(type(error).__name__, 0) + 1
    finally:
        writer.close()


async def stream_connect(
    base: str, event_id: int, n: int, *, stop: asyncio.Event, rate: float = 400.0
) -> tuple[StreamWatch, list[asyncio.Task]]:
    """Open ``n`` subscriptions, ``rate`` per second (each is one request to the app); returns
    when they have all answered or failed."""
    url = httpx.URL(base)
    watch = StreamWatch(subscribers=n, arrivals=[[] for _ in range(n)])
    path = f"/api/v1/events/{event_id}/seats/stream/"
    started = time.perf_counter()
    tasks = []
    for index in range(n):
        tasks.append(asyncio.create_task(_subscribe(url.host, url.port, path, index, watch, stop)))
        if index % 50 == 49:
            await asyncio.sleep(50 / rate)
    deadline = time.perf_counter() + 120
    while watch.connected + watch.failed < n and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    watch.connect_seconds = time.perf_counter() - started
    return watch, tasks


async def rush(
    client: httpx.AsyncClient, *, event_id: int, tokens: list[str], seats: list[int], seconds: float
) -> list[Change]:
    """Each buyer holds one free seat of ``seats``, waits 0.3 s, releases it, again, for
    ``seconds``: about 2 changes per second per buyer, every one published."""
    changes: list[Change] = []
    errors: list[str] = []
    free = list(seats)
    random.shuffle(free)
    deadline = time.perf_counter() + seconds

    async def buyer(token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        while time.perf_counter() < deadline and free:
            seat = free.pop()
            try:
                began = time.time()
                r = await client.post(
                    f"/api/v1/events/{event_id}/holds/", json={"seat_ids": [seat]}, headers=headers
                )
                if r.status_code != 201:
                    free.insert(0, seat)
                    await asyncio.sleep(0.3)
                    continue
                changes.append(Change(seat, "held", began, time.time()))
                await asyncio.sleep(0.3)
                began = time.time()
                r = await client.delete(f"/api/v1/holds/{r.json()['id']}/", headers=headers)
                if r.status_code == 204:
                    changes.append(Change(seat, "available", began, time.time()))
                    free.insert(0, seat)
            except httpx.HTTPError as error:  # a server drowned by pollers: counted, not fatal
                errors.append(type(error).__name__)
            await asyncio.sleep(0.3)

    await asyncio.gather(*(buyer(token) for token in tokens))
    if errors:
        print(f"rush: {len(errors)} requests failed ({', '.join(sorted(set(errors)))})", flush=True)
    return changes


def expiries_plant(*, event_id: int, buyer_ids: list[int], seats: list[int], within: float) -> list[Change]:
    """Holds (through the product's hold_create) that end at known instants in the next
    ``within`` seconds, with no write when they do: the stream must publish each ending."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from accounts.models import User
    from ticketing.models import Event
    from ticketing.services.holds import hold_create

    event = Event.objects.get(pk=event_id)
    planted = []
    for index, (buyer_id, seat) in enumerate(zip(buyer_ids, seats, strict=False)):
        ends_in = 2.0 + (within - 2.0) * index / max(1, len(seats) - 1)
        now = timezone.now() - timedelta(seconds=settings.TICKETING_HOLD_SECONDS) + timedelta(seconds=ends_in)
        hold = hold_create(buyer=User.objects.get(pk=buyer_id), event=event, seat_ids=[seat], now=now)
        end = hold.expires_at.timestamp()
        planted.append(Change(seat, "available", end, end))
    return planted


def stream_delays(watch: StreamWatch, changes: list[Change]) -> dict:
    """Delivery delay of every change to every subscriber, in ms: from the start of its request
    (or the instant an expiry fell due) to the first message that shows the seat in its new
    status. A later message repeating that status (the sweeper tidying an expired hold, say) is
    not a delivery."""
    probe = dict(watch.arrivals[0]) if watch.arrivals else {}
    shown: dict[tuple[int, str], list[tuple[float, int]]] = {}  # (seat, status) → [(probe time, seq)]
    for seq, listed in watch.contents.items():
        if seq in probe:
            for item in listed:
                shown.setdefault((item["id"], item["status"]), []).append((probe[seq], seq))
    for times in shown.values():
        times.sort()
    first: list[tuple[Change, int]] = []  # each change and the message that delivered it
    for change in changes:
        later = [seq for at, seq in shown.get((change.seat, change.status), []) if at >= change.began]
        if later:
            first.append((change, later[0]))
    delays, expiry_delays = [], []
    worst: dict[int, float] = {}
    for index in watch.live:
        arrived = dict(watch.arrivals[index])
        for change, seq in first:
            if seq in arrived:
                delay = (arrived[seq] - change.began) * 1000
                expiry = change.began == change.answered
                (expiry_delays if expiry else delays).append(delay)
                worst[seq] = max(worst.get(seq, 0.0), delay)
    delays.sort()
    expiry_delays.sort()
    both = sorted(delays + expiry_delays)
    expiry_seqs = {seq for change, seq in first if change.began == change.answered}
    delivered = {seq for _, seq in first}
    return {
        "changes": len(changes),
        "undelivered_changes": len(changes) - len(first),
        "deliveries": len(both),
        "p50_ms": percentile(both, 50),
        "p99_ms": percentile(both, 99),
        "max_ms": both[-1] if both else None,
        "expiry_deliveries": len(expiry_delays),
        "expiry_p99_ms": percentile(expiry_delays, 99),
        "slowest_messages": sorted(
            ([seq, round(ms), "expiry" if seq in expiry_seqs else "change"] for seq, ms in worst.items()),
            key=lambda item: -item[1],
        )[:5],
        # a subscriber that did not get a message the probe got
        "missed": sum(len(delivered - {seq for seq, _ in watch.arrivals[i]}) for i in watch.live),
    }


@dataclass
class PollWatch:
    pollers: int
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0


async def _poll(base: httpx.URL, path: str, watch: PollWatch, stop: asyncio.Event, every: float) -> None:
    await asyncio.sleep(random.random() * every)  # spread over the second, as real tabs are
    etag = None
    reader = writer = None
    while not stop.is_set():
        began = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(base.host, base.port)
            extra = f"If-None-Match: {etag}\r\n" if etag else ""
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n{extra}\r\n".encode()
            )
            await writer.drain()
            status_line = await asyncio.wait_for(reader.readline(), 30)
            status = int(status_line.split()[1])
            length = 0
            while True:
                line = await reader.readline()
                if not line.strip():
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "etag":
                    etag = value.strip()
            if length:
                await reader.readexactly(length)
            watch.latencies.append((time.perf_counter() - began) * 1000)
            watch.statuses[status] = watch.statuses.get(status, 0) + 1
        except (OSError, TimeoutError, ValueError, IndexError, asyncio.IncompleteReadError):
            watch.errors += 1
            if writer is not None:
                writer.close()
            reader = writer = None
        await asyncio.sleep(max(0.0, every - (time.perf_counter() - began)))
    if writer is not None:
        writer.close()


def poll_start(base: str, event_id: int, n: int, *, stop: asyncio.Event, every: float = 1.0):
    watch = PollWatch(pollers=n)
    url = httpx.URL(base)
    path = f"/api/v1/events/{event_id}/seats/"
    tasks = [asyncio.create_task(_poll(url, path, watch, stop, every)) for _ in range(n)]
    return watch, tasks


def poll_summary(watch: PollWatch, seconds: float) -> dict:
    latencies = sorted(watch.latencies)
    return {
        "answered_per_s": len(latencies) / seconds if seconds else None,
        "asked_per_s": watch.pollers / 1.0,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "statuses": dict(sorted(watch.statuses.items())),
        "errors": watch.errors,
    }


class RawClient:
    """One keep-alive HTTP/1.1 connection, as a browser tab holds one: far cheaper per request
    than httpx, so that thousands of them leave the box's CPU to the servers."""

    def __init__(self, base: str) -> None:
        url = httpx.URL(base)
        self.host, self.port = url.host, url.port
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, json: object = None
    ) -> tuple[int, dict[str, str], bytes]:
        body = orjson.dumps(json) if json is not None else b""
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if json is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        for attempt in (1, 2):  # a kept connection the server closed meanwhile: once more
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                self.writer.write(payload)
                await self.writer.drain()
                status_line = await asyncio.wait_for(self.reader.readline(), 30)
                if not status_line:
                    raise ConnectionResetError("closed")
                status = int(status_line.split()[1])
                answer: dict[str, str] = {}
                while True:
                    line = await self.reader.readline()
                    if not line.strip():
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    answer[name.strip().lower()] = value.strip()
                content = await self.reader.readexactly(int(answer.get("content-length", 0)))
                if answer.get("connection", "").lower() == "close":
                    self.close()
                return status, answer, content
            except (OSError, asyncio.IncompleteReadError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None
