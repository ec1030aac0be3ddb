"""Fault injection: an on-sale rush under gunicorn while workers die and PostgreSQL restarts.

    .venv/bin/python -m tools.faults                 # about 1.5 minutes
    .venv/bin/python -m tools.faults --duration 60 --clients 32 --kills 6

What it does (loopback only, bounded in time and in the number of faults; see
DESIGN.md §7):

1. Creates a throwaway PostgreSQL 15 cluster in a temporary directory on its own port (default
   5437; never the shared server on 5432), a database, migrates it and seeds one on-sale event
   (default 300 seats) and the buyers (access tokens minted directly, no password hashing).
2. Starts gunicorn (config/gunicorn.py, default 3 workers x 2 threads) on 127.0.0.1 (default
   port 8037) with a short hold time (TICKETING_HOLD_SECONDS, default 8).
3. Runs the rush: each client reads the seat map, holds 1-4 random available seats, and then
   books (with an Idempotency-Key), abandons the hold (it must expire), releases it, or later
   cancels the booking. A share of the bookings are "dropped": the client sends the request
   on a raw socket and closes it at once (FIN or RST) without reading the answer, then retries
   with the same Idempotency-Key until it gets one. Every request that loses its connection
   (a killed worker) is retried the same way.
4. Meanwhile: SIGKILLs one gunicorn worker (a child of the master this script started)
   --kills times, and restarts PostgreSQL once (pg_ctl restart -m immediate: a crash, WAL
   recovery) half-way through.
5. Afterwards waits for every hold to expire and checks: the product's own invariant rules
   (``inventory_check``, what ``check_inventory`` runs), then what only the clients know: every
   booking a client was told about (201, or the same answer replayed) exists, confirmed with
   active tickets on exactly its seats (or cancelled if the client cancelled it); after one run
   of the sweeper no seat is held; and the clients only saw documented answers: 2xx, 409, 429
   and 503, each with a JSON body. Prints the counts and exits 1 on any violation.

Everything it started is stopped by its own pid and the cluster directory is removed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import contextlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tools.bench.server import AppServer

PG_BIN = Path("/usr/lib/postgresql/15/bin")
DOCUMENTED = {200, 201, 204, 409, 429, 503}
PG_PORTS = range(5435, 5440)
APP_PORTS = range(8031, 8040)


def log(message: str) -> None:
    sys.stderr.write(f"[faults {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=40.0, help="seconds of rush (max 300)")
    parser.add_argument("--clients", type=int, default=24, help="concurrent clients (max 100)")
    parser.add_argument("--buyers", type=int, default=24, help="buyer accounts the clients share")
    parser.add_argument("--seats", type=int, default=300, help="seats of the event (rows of 20)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=2, help="gunicorn threads per worker")
    parser.add_argument("--kills", type=int, default=4, help="worker SIGKILLs during the rush (max 20)")
    parser.add_argument("--no-pg-restart", action="store_true", help="skip the PostgreSQL restart")
    parser.add_argument("--pg-restart-mode", choices=["immediate", "fast"], default="immediate")
    parser.add_argument("--drop-share", type=float, default=0.3, help="share of bookings sent and dropped")
    parser.add_argument("--hold-seconds", type=int, default=8, help="TICKETING_HOLD_SECONDS of the server")
    parser.add_argument("--port", type=int, default=8037, help="gunicorn port (8031-8039)")
    parser.add_argument("--pg-port", type=int, default=5437, help="throwaway PostgreSQL port (5435-5439)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the cluster directory (for a post-mortem)")
    args = parser.parse_args(argv)
    if args.port not in APP_PORTS or args.pg_port not in PG_PORTS:
        parser.error("--port must be in 8031-8039 and --pg-port in 5435-5439")
    if not (0 < args.duration <= 300 and 0 < args.clients <= 100 and 0 <= args.kills <= 20):
        parser.error("bounds: duration <= 300 s, clients <= 100, kills <= 20")
    return args


# --- the throwaway PostgreSQL cluster ----------------------------------------------------------


class Cluster:
    """A PostgreSQL cluster of our own in a temporary directory (initdb, pg_ctl)."""

    def __init__(self, port: int):
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="h_faults_pg_"))
        self.data = self.dir / "data"
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root

    def _run(self, *command: str, timeout: float = 120) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        return subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=timeout, check=True
        )

    def url(self, dbname: str = "faults") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def create(self) -> None:
        if port_in_use(self.port):
            raise SystemExit(f"port {self.port} is in use; choose another --pg-port")
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        options = {
            "port": self.port,
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": self.dir,
            "max_connections": 60,
            "shared_buffers": "64MB",
        }
        with (self.data / "postgresql.auto.conf").open("a") as conf:
            conf.writelines(f"{name} = '{value}'\n" for name, value in options.items())
        self.start()
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "faults"],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "pg.log"), "-w", "start")

    def restart(self, mode: str) -> float:
        started = time.monotonic()
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "pg.log"),
            "-m",
            mode,
            "-w",
            "restart",
        )
        return time.monotonic() - started

    def remove(self, keep: bool) -> None:
        if self.data.exists():
            with contextlib.suppress(subprocess.SubprocessError):
                self._run(
                    str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", timeout=60
                )
        if keep:
            log(f"kept the cluster directory {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


# --- the application -----------------------------------------------------------------------------


def server_environment(args: argparse.Namespace, database_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "TICKETING_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "TICKETING_HOLD_SECONDS": str(args.hold_seconds),
        "TICKETING_MAX_SEATS_PER_BUYER": "1000",
        "THROTTLE_HOLD": "1200/min",
        "THROTTLE_BOOK": "1200/min",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
        "ACCESS_LOG": "false",
    }


# --- Django in this process: seeding and the checks ---------------------------------------------


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()


@dataclass
class Fixtures:
    event_id: int
    seat_ids: list[int]
    tokens: list[str]


def seed(args: argparse.Namespace) -> Fixtures:
    from datetime import timedelta
    from decimal import Decimal

    from django.core.management import call_command
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from ticketing.models import Event, EventSeat
    from ticketing.services.events import event_create
    from venues.models import Hall, Venue
    from venues.services import layout_replace

    call_command("migrate", verbosity=0, interactive=False)
    venue = Venue.objects.create(name="Fault Arena", kind=Venue.Kind.ARENA, city="Lyon")
    hall = Hall.objects.create(venue=venue, name="Main")
    rows = max(1, args.seats // 20)
    labels = [f"R{n:02d}" for n in range(rows)]
    layout_replace(
        hall=hall,
        sections=[
            {
                "name": "Floor",
                "rows": [{"label": label, "seats": 20, "category": "standard"} for label in labels],
            }
        ],
    )
    event = event_create(
        kind=Event.Kind.SHOW,
        title="Fault injection night",
        hall=hall,
        starts_at=timezone.now() + timedelta(days=7),
        prices={"standard": Decimal("25.00")},
        status=Event.Status.ON_SALE,
    )
    users = User.objects.bulk_create(
        [
            User(username=f"faults{n}", email=f"faults{n}@example.com", password="!")
            for n in range(args.buyers)
        ]
    )
    tokens = [str(RefreshToken.for_user(user).access_token) for user in users]
    seat_ids = list(EventSeat.objects.filter(event=event).order_by("id").values_list("id", flat=True))
    return Fixtures(event_id=event.pk, seat_ids=seat_ids, tokens=tokens)


# --- the clients ---------------------------------------------------------------------------------


@dataclass
class Record:
    answers: collections.Counter = field(default_factory=collections.Counter)  # "POST hold 201"
    statuses: collections.Counter = field(default_factory=collections.Counter)
    undocumented: list[str] = field(default_factory=list)
    connection_lost: collections.Counter = field(default_factory=collections.Counter)
    told: dict[int, set[int]] = field(default_factory=dict)  # booking id -> seat ids
    cancelled: set[int] = field(default_factory=set)
    replays: int = 0
    drops: int = 0
    gave_up: int = 0
    requests: int = 0

    def answer(self, what: str, response: httpx.Response) -> dict | None:
        self.requests += 1
        status = response.status_code
        self.statuses[status] += 1
        body = None
        if status not in (204, 304):
            try:
                body = response.json()
            except ValueError:
                body = None
            if not isinstance(body, (dict, list)) or "json" not in response.headers.get("content-type", ""):
                self.undocumented.append(f"{what} {status}: not JSON: {response.text[:80]!r}")
        code = body.get("code", "?") if isinstance(body, dict) and status >= 400 else ""
        self.answers[f"{what} {status} {code}".rstrip()] += 1
        if status not in DOCUMENTED:
            self.undocumented.append(f"{what} {status}: {response.text[:120]!r}")
        if status == 503 and "retry-after" not in response.headers:
            self.undocumented.append(f"{what} 503 without Retry-After")
        if response.headers.get("idempotent-replayed") == "true":
            self.replays += 1
        return body if isinstance(body, dict) else None


TRANSPORT_ERRORS = (httpx.TransportError,)
# 409s that say "retry in a moment" rather than "no" (another request of the same hold is paying).
TRANSIENT_CODES = {"payment_in_progress"}


def transient(response: httpx.Response, body: dict) -> bool:
    return response.status_code == 503 or (
        response.status_code == 409 and body.get("code") in TRANSIENT_CODES
    )


class Client:
    def __init__(self, n: int, url: str, fixtures: Fixtures, record: Record, args, deadline: float):
        self.n, self.url, self.fixtures, self.record, self.args = n, url, fixtures, record, args
        self.deadline = deadline
        self.random = random.Random(args.seed * 1000 + n)
        self.token = fixtures.tokens[n % len(fixtures.tokens)]
        self.headers = {"Authorization": f"Bearer {self.token}"}
        self.http = httpx.AsyncClient(base_url=url, headers=self.headers, timeout=30)
        self.my_bookings: list[int] = []

    async def request(
        self, what: str, method: str, path: str, **kwargs
    ) -> tuple[httpx.Response | None, dict]:
        try:
            response = await self.http.request(method, path, **kwargs)
        except TRANSPORT_ERRORS as exc:
            self.record.connection_lost[f"{what} {type(exc).__name__}"] += 1
            return None, {}
        return response, self.record.answer(what, response) or {}

    async def run(self) -> None:
        try:
            while time.monotonic() < self.deadline:
                await self.step()
        finally:
            await self.http.aclose()

    async def step(self) -> None:
        response, seat_map = await self.request(
            "GET seats", "GET", f"/api/v1/events/{self.fixtures.event_id}/seats/"
        )
        if response is None or response.status_code != 200:
            await asyncio.sleep(0.2)
            return
        free = [seat["id"] for seat in seat_map.get("seats", []) if seat.get("status") == "available"]
        if not free:
            await asyncio.sleep(0.5)  # sold out for now: holds will expire, bookings be cancelled
            if self.my_bookings and self.random.random() < 0.3:
                await self.cancel(self.my_bookings.pop())
            return
        wanted = self.random.sample(free, min(len(free), self.random.randint(1, 4)))
        response, hold = await self.request(
            "POST hold", "POST", f"/api/v1/events/{self.fixtures.event_id}/holds/", json={"seat_ids": wanted}
        )
        if response is None or response.status_code != 201:
            await asyncio.sleep(self.backoff(response))
            return
        roll = self.random.random()
        if roll < 0.12:
            return  # abandoned: the hold must expire by itself
        if roll < 0.20:
            await self.request("DELETE hold", "DELETE", f"/api/v1/holds/{hold['id']}/")
            return
        await self.book(hold["id"], drop=self.random.random() < self.args.drop_share)
        if self.my_bookings and self.random.random() < 0.1:
            await self.cancel(self.my_bookings.pop(0))

    def backoff(self, response: httpx.Response | None) -> float:
        if response is not None and response.status_code in (429, 503):
            with contextlib.suppress(ValueError):
                return min(2.0, float(response.headers.get("retry-after", "0.2")) * self.random.random())
        return 0.05

    async def book(self, hold_id: int, *, drop: bool) -> None:
        key = uuid.uuid4().hex
        body = {"hold_id": hold_id}
        if drop:
            await self.send_and_drop("/api/v1/bookings/", body, key)
            await asyncio.sleep(self.random.uniform(0.0, 0.3))
        else:
            response, booking = await self.request(
                "POST book", "POST", "/api/v1/bookings/", json=body, headers={"Idempotency-Key": key}
            )
            if response is not None and not transient(response, booking):
                self.learn(response, booking)
                return
        await self.retry("POST book (retry)", "/api/v1/bookings/", body, key)

    async def cancel(self, booking_id: int) -> None:
        key = uuid.uuid4().hex
        path = f"/api/v1/bookings/{booking_id}/cancel/"
        response, answer = await self.request(
            "POST cancel", "POST", path, json={}, headers={"Idempotency-Key": key}
        )
        if response is None or transient(response, answer):
            await self.retry("POST cancel (retry)", path, {}, key)
        elif response.status_code == 200:
            self.record.cancelled.add(booking_id)

    async def retry(self, what: str, path: str, body: dict, key: str) -> None:
        """Same request, same Idempotency-Key, until a definitive answer (bounded)."""
        for attempt in range(12):
            response, answer = await self.request(
                what, "POST", path, json=body, headers={"Idempotency-Key": key}
            )
            if response is not None and not transient(response, answer):
                if "cancel" in path:
                    if response.status_code == 200:
                        self.record.cancelled.add(int(path.split("/")[-3]))
                else:
                    self.learn(response, answer)
                return
            await asyncio.sleep(min(2.0, 0.1 * 2**attempt))
        self.record.gave_up += 1

    def learn(self, response: httpx.Response, booking: dict) -> None:
        if response.status_code == 201:
            seats = {ticket["seat"] for ticket in booking.get("tickets", [])} or set(booking.get("seats", []))
            known = self.record.told.setdefault(booking["id"], seats)
            if known != seats:
                self.record.undocumented.append(f"booking {booking['id']} told with different seats")
            if booking["id"] not in self.my_bookings:
                self.my_bookings.append(booking["id"])

    async def send_and_drop(self, path: str, body: dict, key: str) -> None:
        """Send the request on a raw socket and close it at once, never reading the answer."""
        payload = json.dumps(body).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {self.token}\r\n"
            f"Content-Type: application/json\r\nIdempotency-Key: {key}\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
        ).encode()
        self.record.drops += 1
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", self.args.port)
        except OSError:
            self.record.connection_lost["drop connect"] += 1
            return
        writer.write(head + payload)
        with contextlib.suppress(OSError):
            await writer.drain()
        if self.random.random() < 0.5:  # half the time an abortive close (RST), else a FIN
            sock = writer.get_extra_info("socket")
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


# --- faults --------------------------------------------------------------------------------------


@dataclass
class Faults:
    kills: list[int] = field(default_factory=list)
    pg_restarts: int = 0
    pg_downtime: float = 0.0


async def inject(server: AppServer, cluster: Cluster, args, start: float, faults: Faults) -> None:
    """Kill a worker every so often; restart PostgreSQL once, half-way."""
    span = args.duration * 0.85
    kill_times = [span * (i + 1) / (args.kills + 1) for i in range(args.kills)]
    restart_at = args.duration * 0.5 if not args.no_pg_restart else None
    events = sorted([(t, "kill") for t in kill_times] + ([(restart_at, "restart")] if restart_at else []))
    for at, what in events:
        await asyncio.sleep(max(0.0, start + at - time.monotonic()))
        if what == "kill":
            workers = server.worker_pids()
            if workers:
                victim = random.Random(at).choice(workers)
                os.kill(victim, signal.SIGKILL)  # a child of our own gunicorn master
                faults.kills.append(victim)
                log(f"t={at:.1f}s SIGKILL worker {victim}")
        else:
            log(f"t={at:.1f}s restarting PostgreSQL ({args.pg_restart_mode})")
            faults.pg_downtime = await asyncio.to_thread(cluster.restart, args.pg_restart_mode)
            faults.pg_restarts += 1
            log(f"PostgreSQL back after {faults.pg_downtime:.1f}s")


async def rush(server: AppServer, cluster: Cluster, fixtures: Fixtures, args) -> tuple[Record, Faults]:
    record, faults = Record(), Faults()
    start = time.monotonic()
    deadline = start + args.duration
    clients = [Client(n, server.url, fixtures, record, args, deadline) for n in range(args.clients)]
    injector = asyncio.create_task(inject(server, cluster, args, start, faults))
    await asyncio.gather(*(client.run() for client in clients))
    await injector
    # finish what the clients still had in flight: retries of dropped bookings end within the loop
    return record, faults


# --- checks --------------------------------------------------------------------------------------


def check(fixtures: Fixtures, record: Record) -> tuple[list[str], dict[str, int]]:
    """The product's invariant checks (``inventory_check``, what ``check_inventory`` runs), then
    what only the clients know: every booking a client was told about (201, or the same answer
    replayed) exists with exactly its seats, confirmed, or cancelled if the client cancelled
    it; and after the sweeper (``release_expired_holds``) no seat is left held."""
    from django.core.management import call_command
    from django.db import connections
    from django.db.models import Count

    from ticketing.models import Booking, EventSeat, IdempotencyKey, Ticket
    from ticketing.selectors.invariants import inventory_check

    connections.close_all()  # our own connection did not survive the restart
    violations = [f"undocumented answer: {line}" for line in record.undocumented]
    report = inventory_check()  # every rule of the inventory, every event of this database
    violations += [f"invariant: {violation}" for violation in report.violations]
    live_held = sum(counts.held for counts in report.counts)
    if live_held:
        violations.append(f"{live_held} seats still held by a live hold after every hold expired")
    # every booking a client was told about exists with its seats (or was cancelled by the client)
    bookings = Booking.objects.in_bulk(list(record.told))
    for booking_id, seats in record.told.items():
        booking = bookings.get(booking_id)
        if booking is None:
            violations.append(f"booking {booking_id} was confirmed to a client and does not exist")
            continue
        tickets = list(Ticket.objects.filter(booking=booking).values_list("event_seat_id", "status"))
        if {seat for seat, _ in tickets} != seats:
            violations.append(
                f"booking {booking_id}: tickets for {sorted(s for s, _ in tickets)}, told {sorted(seats)}"
            )
        if booking_id in record.cancelled:
            if booking.status != Booking.Status.CANCELLED or any(t != Ticket.Status.VOID for _, t in tickets):
                violations.append(
                    f"booking {booking_id} was cancelled for the client but is {booking.status}"
                )
        elif booking.status != Booking.Status.CONFIRMED or any(t != Ticket.Status.ACTIVE for _, t in tickets):
            violations.append(f"booking {booking_id} told confirmed is {booking.status}")
    # the sweeper frees every seat of an expired hold
    call_command("release_expired_holds", verbosity=0)
    seats = EventSeat.objects.filter(event_id=fixtures.event_id)
    counts = dict(seats.values_list("status").annotate(n=Count("id")).order_by())
    if counts.get(EventSeat.Status.HELD):
        violations.append(f"{counts[EventSeat.Status.HELD]} seats still held after the sweeper ran")
    confirmed = set(Booking.objects.filter(status=Booking.Status.CONFIRMED).values_list("id", flat=True))
    unknown = confirmed - set(record.told)
    for booking_id in sorted(unknown)[:5]:  # for a post-mortem: which stored answer has it
        keys = list(IdempotencyKey.objects.filter(response__id=booking_id).values_list("key", "status_code"))
        log(f"booking {booking_id}: no client heard of it; stored under Idempotency-Keys {keys}")
    summary = {
        "seats available": counts.get(EventSeat.Status.AVAILABLE, 0),
        "seats booked": counts.get(EventSeat.Status.BOOKED, 0),
        "seats blocked": counts.get(EventSeat.Status.BLOCKED, 0),
        "seats held": counts.get(EventSeat.Status.HELD, 0),
        "bookings told to clients": len(record.told),
        "of which cancelled by clients": len(record.cancelled & set(record.told)),
        "confirmed bookings no client heard of": len(unknown),
        "inventory_check": "clean" if report.ok else f"{len(report.violations)} violations",
    }
    return violations, summary


def server_errors(log_path: Path) -> list[str]:
    """Unhandled exceptions the app logged (JSON lines with an ``exc``), for the report."""
    found = []
    with contextlib.suppress(OSError):
        for line in log_path.read_text(errors="replace").splitlines():
            if line.startswith("{") and '"exc"' in line:
                with contextlib.suppress(ValueError):
                    entry = json.loads(line)
                    found.append(f"{entry.get('message')}\n{entry['exc'][-1500:]}")
    return found


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    random.seed(args.seed)
    cluster = Cluster(args.pg_port)
    server: AppServer | None = None
    started = time.monotonic()
    crashes: list[str] = []
    try:
        log(f"creating a throwaway PostgreSQL cluster on 127.0.0.1:{args.pg_port} in {cluster.dir}")
        cluster.create()
        env = server_environment(args, cluster.url())
        django_setup(env)
        fixtures = seed(args)
        from django.db import connections

        connections.close_all()
        log(f"event {fixtures.event_id}: {len(fixtures.seat_ids)} seats, {len(fixtures.tokens)} buyers")
        server = AppServer(
            port=args.port,
            workers=args.workers,
            threads=args.threads,
            env={
                **env,
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "GUNICORN_TIMEOUT": "20",
                "GUNICORN_PRELOAD": "1",
            },
            log_path=cluster.dir / "gunicorn.log",
            name="faults",
            loglevel="info",
        )
        server.start(timeout=60)
        log(
            f"gunicorn on {server.url}: {args.workers} workers x {args.threads} threads;"
            f" rush {args.duration:.0f}s"
        )
        record, faults = asyncio.run(rush(server, cluster, fixtures, args))
        wait = args.hold_seconds + 2
        log(f"rush over; waiting {wait}s for every hold to expire")
        time.sleep(wait)
        violations, summary = check(fixtures, record)
    finally:
        if server is not None:
            server.stop()
            crashes = server_errors(server.log_path)
        cluster.remove(args.keep)

    print("\n=== fault injection: counts")
    print(f"duration              {args.duration:.0f}s rush, {time.monotonic() - started:.0f}s in all")
    print(
        f"clients               {args.clients} ({args.buyers} buyers),"
        f" {args.workers} workers x {args.threads} threads"
    )
    print(f"requests answered     {record.requests}")
    print(
        f"faults injected       {len(faults.kills)} worker SIGKILLs, {faults.pg_restarts} PostgreSQL restart"
        f" ({args.pg_restart_mode}, {faults.pg_downtime:.1f}s), {record.drops} bookings dropped after sending"
    )
    print(f"connections lost      {sum(record.connection_lost.values())} {dict(record.connection_lost)}")
    print(f"idempotent replays    {record.replays}; retries given up {record.gave_up}")
    print("answers by status     " + ", ".join(f"{s}: {n}" for s, n in sorted(record.statuses.items())))
    for what, n in sorted(record.answers.items()):
        print(f"  {what:<28} {n}")
    for name, value in summary.items():
        print(f"{name:<25} {value}")
    print(f"server errors logged  {len(crashes)}")
    for crash in crashes[:3]:
        print("  " + crash.replace("\n", "\n  "))
    print(f"violations            {len(violations)}")
    for violation in violations[:50]:
        print(f"  VIOLATION {violation}")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
