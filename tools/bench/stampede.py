"""The on-sale stampede: how fast a hot show sells out, and what each request costs.

    .venv/bin/python -m tools.bench.stampede                 # the deployed config, 3 repeats
    .venv/bin/python -m tools.bench.stampede --matrix        # + every server configuration, 1 run each
    .venv/bin/python -m tools.bench.stampede --configs sync-4 nginx-sync-4 --repeats 3

A fresh PostgreSQL database (h_bench_stampede) and a fresh on-sale show of 1,000 seats
(20 rows x 50) per run; 100 buyers with no think time (``load.stampede_load``): pick 1-4 of the
40 best seats not yet booked, hold, book (80%) or release (20%), again, until sold out or 20 s.
In the same sitting, for each server configuration and each repeat:
- ``floor``: ``GET /api/v1/auth/me/`` by the same 100 buyers (the framework's floor);
- ``refusals``: holds of seats somebody else holds, every answer a 409 (what a refused hold
  costs: most hold requests of an on-sale are refusals);
- ``bookings``: pre-made holds booked as fast as the buyers can (what a booking costs);
- ``pick``: the stampede picking seats; ``best``: the stampede asking for the best 2-4 seats
  together (``best_available``).
Every phase measures the CPU each process group spent (``tools.bench.cpu``: gunicorn,
PostgreSQL, nginx when in front, the load generator) and divides it by the requests answered.
Each stampede ends with the product's invariant checks on its event. The report (medians with
[min-max] over the repeats) is printed and written to artifacts/bench/stampede-<time>/.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson

from tools.bench import checks, load, prepare
from tools.bench.cpu import CpuMeter, per_request_ms, pids_named
from tools.bench.report import git_revision
from tools.bench.server import AppServer, Notifier, process_stop

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ServerConfig:
    """One way to deploy the app on this box: gunicorn's settings, instances, nginx or not."""

    name: str
    workers: int
    threads: int = 1
    keepalive: int = 5
    instances: int = 1
    nginx: bool = False
    checkout: int = 0  # > 0: nginx sends POST /bookings/ to an instance of its own, of this many workers
    env: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        lane = f", bookings on their own {self.checkout} sync workers" if self.checkout else ""
        if not self.workers:
            proxy = ", nginx in front" if self.nginx else ", no proxy"
            return f"config/gunicorn.py as committed (nothing overridden){proxy}{lane}"
        kind = f"gthread {self.workers}x{self.threads}" if self.threads > 1 else f"sync x{self.workers}"
        parts = [kind, f"keep-alive {self.keepalive}s" if self.threads > 1 else "no keep-alive (sync)"]
        if self.instances > 1:
            parts.append(f"{self.instances} instances")
        if self.nginx:
            parts.append("nginx in front")
        return ", ".join(parts) + lane


CONFIGS = {
    c.name: c
    for c in (
        # what docker-compose.yml runs: nginx in front of config/gunicorn.py's defaults, and the
        # bookings on an instance of their own (config/nginx.conf's checkout lane)
        ServerConfig("deployed", workers=0, nginx=True, checkout=2),
        ServerConfig("gunicorn-direct", workers=0),  # the same gunicorn, no nginx
        ServerConfig("gthread-4x2", workers=4, threads=2),
        ServerConfig("gthread-4x2-no-keepalive", workers=4, threads=2, keepalive=0),
        ServerConfig("sync-3", workers=3),
        ServerConfig("sync-4", workers=4),
        ServerConfig("sync-6", workers=6),
        ServerConfig("nginx-sync-4", workers=4, nginx=True),
        ServerConfig("nginx-gthread-4x2", workers=4, threads=2, nginx=True),
        ServerConfig("nginx-2x-sync-2", workers=2, instances=2, nginx=True),
        ServerConfig("nginx-sync-6", workers=6, nginx=True),
        ServerConfig("nginx-sync-4-checkout-1", workers=4, nginx=True, checkout=1),
        ServerConfig("nginx-sync-4-checkout-2", workers=4, nginx=True, checkout=2),
    )
}
MATRIX = list(CONFIGS)


def log(message: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=["deployed"])
    parser.add_argument("--matrix", action="store_true", help="also run every configuration once")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each phase per configuration")
    parser.add_argument("--buyers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0, help="time limit of one stampede")
    parser.add_argument("--ref-seconds", type=float, default=4.0, help="length of the floor and refusal runs")
    parser.add_argument("--bookings", type=int, default=600, help="pre-made holds of the bookings phase")
    parser.add_argument(
        "--phases",
        nargs="+",
        default=["floor", "refusals", "bookings", "pick", "best"],
        choices=["floor", "refusals", "bookings", "pick", "best"],
    )
    parser.add_argument("--port", type=int, default=8051, help="first port (nginx and instances count up)")
    parser.add_argument(
        "--db", default="h_bench_stampede", help="database to (re)create; must start with h_bench"
    )
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


# --- servers ----------------------------------------------------------------------------------

NGINX_CONF = """\
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  upstream app {{
{servers}
    keepalive 64;
  }}
  upstream checkout {{
{checkout_servers}
    keepalive 64;
  }}
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host $host;
  proxy_set_header X-Forwarded-For $remote_addr;
  server {{
    listen 127.0.0.1:{port};
    keepalive_requests 100000;
    location / {{
      proxy_pass http://app;
    }}
    location = /api/v1/bookings/ {{
      proxy_pass http://{bookings};
    }}
  }}
}}
"""


class Deployment:
    """The servers of one configuration: gunicorn instance(s), and nginx when asked."""

    def __init__(self, config: ServerConfig, *, port: int, env: dict[str, str], out: Path):
        self.config, self.port, self.env, self.out = config, port, env, out
        self.servers: list[AppServer] = []
        self.nginx: subprocess.Popen | None = None

    def start(self) -> list[str]:
        c = self.config
        first = self.port + 1 if c.nginx else self.port
        extra = {**c.env}
        if c.workers:
            extra |= {"GUNICORN_KEEPALIVE": str(c.keepalive)}
        for index in range(c.instances):
            server = AppServer(
                port=first + index,
                workers=c.workers or int(os.environ.get("GUNICORN_WORKERS", 0) or 0),
                threads=c.threads,
                env=self.env,
                log_path=self.out / f"gunicorn-{c.name}-{first + index}.log",
                extra_env=extra,
            )
            if not c.workers:  # "deployed": config/gunicorn.py decides
                for name in ("GUNICORN_WORKERS", "GUNICORN_THREADS"):
                    server.env.pop(name, None)
            server.start()
            self.servers.append(server)
        checkout = []
        if c.checkout:
            port = first + c.instances
            checkout.append(
                AppServer(
                    port=port,
                    workers=c.checkout,
                    threads=1,
                    env=self.env,
                    log_path=self.out / f"gunicorn-{c.name}-checkout-{port}.log",
                    extra_env=extra,
                )
            )
            checkout[0].start()
            self.servers += checkout
        if not c.nginx:
            return [server.url for server in self.servers]
        if shutil.which("nginx") is None:
            self.stop()
            raise SystemExit(
                "nginx is not installed: apt-get install -y nginx (or --configs gunicorn-direct)"
            )
        directory = self.out / f"nginx-{c.name}"
        directory.mkdir(exist_ok=True)

        def upstream(servers: list[AppServer]) -> str:
            return "\n".join(f"    server {s.url.removeprefix('http://')};" for s in servers)

        app = [s for s in self.servers if s not in checkout]
        conf = directory / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                dir=directory,
                servers=upstream(app),
                checkout_servers=upstream(checkout or app),
                bookings="checkout" if checkout else "app",
                port=self.port,
            )
        )
        self.nginx = subprocess.Popen(
            [
                "nginx",
                "-e",
                str(directory / "nginx-error.log"),
                "-p",
                str(directory),
                "-c",
                str(conf),
                "-g",
                "daemon off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{self.port}"
        for _ in range(50):
            if self.nginx.poll() is not None:
                raise SystemExit(f"nginx exited; see {directory / 'nginx-error.log'}")
            try:
                import httpx

                if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                    return [url]
            except Exception:
                time.sleep(0.2)
        raise SystemExit("nginx did not answer")

    def app_pids(self) -> list[int]:
        pids = []
        for server in self.servers:
            if server.process and server.process.poll() is None:
                pids += [server.process.pid, *server.worker_pids()]
        return pids

    def nginx_pids(self) -> list[int]:
        return pids_named("nginx") if self.nginx else []

    def stop(self) -> None:
        process_stop(self.nginx)
        for server in self.servers:
            server.stop()


# --- phases -----------------------------------------------------------------------------------


class Run:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        self.out = ROOT / "artifacts" / "bench" / f"stampede-{stamp}"
        self.out.mkdir(parents=True, exist_ok=True)
        self.env = prepare.server_environment(args.db)
        self.env["THROTTLE_HOLD"] = self.env["THROTTLE_BOOK"] = "100000/min"  # identities rotate anyway

    def setup(self) -> None:
        log(f"fresh database {self.args.db}")
        prepare.database_recreate(self.args.db)
        prepare.django_setup(self.env)
        log(f"migrated in {prepare.migrate():.1f} s; laying out the hall, buyers and tokens")
        self.fx = prepare.fixtures_create(venue_blocks=1, buyers=4000, big_hall=False)
        prepare.connections_close()
        self.notifier = Notifier(env=self.env, log_path=self.out / "notifier.log")
        self.notifier.start()

    def meter(self, deployment: Deployment) -> CpuMeter:
        groups = {"gunicorn": deployment.app_pids, "postgres": lambda: pids_named("postgres")}
        if deployment.config.nginx:
            groups["nginx"] = deployment.nginx_pids
        return CpuMeter(groups)

    def fresh_show(self, name: str) -> tuple[int, load.Region]:
        event_id = prepare.event_new(hall_id=self.fx.rush_hall_id, name=name, hold_seconds=20)
        region = load.Region.from_seats(prepare.event_seats(event_id, self.fx.hot_section))
        prepare.connections_close()
        return event_id, region

    def measured(self, deployment: Deployment, coroutine) -> tuple[load.Harness, dict]:
        return measured(self.meter(deployment), coroutine)

    def floor(self, deployment: Deployment, urls: list[str], seed: int) -> dict:
        harness, cpu = self.measured(
            deployment,
            load.floor_load(
                urls=urls,
                buyers=self.fx.buyers,
                concurrency=self.args.buyers,
                seconds=self.args.ref_seconds,
                seed=seed,
            ),
        )
        return {**harness.stats.summary(), "cpu_ms": cpu}

    def refusals(self, deployment: Deployment, urls: list[str], seed: int) -> dict:
        """Every hold asks for seats a checker already holds: each answer is a 409."""
        from accounts.models import User
        from ticketing.models import Event
        from ticketing.services.holds import hold_create

        event_id, region = self.fresh_show(f"Refusals {seed}")
        taken = region.ranked[:40]
        holders = User.objects.in_bulk([b.user_id for b in self.fx.checker_buyers[:10]])
        event = Event.objects.get(pk=event_id)
        for holder, start in zip(holders.values(), range(0, 40, 4), strict=True):
            hold_create(buyer=holder, event=event, seat_ids=taken[start : start + 4])
        prepare.connections_close()
        harness, cpu = self.measured(
            deployment,
            refusal_load(
                urls=urls,
                buyers=self.fx.buyers,
                concurrency=self.args.buyers,
                seconds=self.args.ref_seconds,
                event_id=event_id,
                seats=taken,
                seed=seed,
            ),
        )
        return {**harness.stats.summary(), "cpu_ms": cpu}

    def bookings(self, deployment: Deployment, urls: list[str], seed: int) -> dict:
        """Holds made beforehand (in this process, by the product's hold_create), then booked by
        their buyers as fast as they can: the CPU of a booking alone."""
        from accounts.models import User
        from ticketing.models import Event
        from ticketing.services.holds import hold_create

        event_id, region = self.fresh_show(f"Bookings {seed}")
        event = Event.objects.get(pk=event_id)
        count = min(self.args.bookings, len(region.ranked) // 2)
        buyers = self.fx.buyers[:count]
        users = User.objects.in_bulk([b.user_id for b in buyers])
        pending = []
        for index, buyer in enumerate(buyers):
            hold = hold_create(
                buyer=users[buyer.user_id], event=event, seat_ids=region.ranked[2 * index : 2 * index + 2]
            )
            pending.append((buyer, hold.pk))
        prepare.connections_close()
        harness, cpu = self.measured(
            deployment, booking_load(urls=urls, pending=pending, concurrency=self.args.buyers, seed=seed)
        )
        return {**harness.stats.summary(), "cpu_ms": cpu, "bookings_201": harness.stats.count("book", 201)}

    def stampede(self, deployment: Deployment, urls: list[str], seed: int, *, best: bool) -> dict:
        event_id, region = self.fresh_show(f"Stampede {'best' if best else 'pick'} {seed}")
        return stampede_run(
            self.meter(deployment),
            urls=urls,
            buyers=self.fx.buyers,
            concurrency=self.args.buyers,
            seconds=self.args.seconds,
            event_id=event_id,
            region=region,
            seed=seed,
            best_section=self.fx.hot_section if best else None,
        )

    def config_runs(self, config: ServerConfig, repeats: int) -> dict:
        deployment = Deployment(config, port=self.args.port, env=self.env, out=self.out)
        urls = deployment.start()
        log(f"{config.name}: {config.describe()} on {urls[0]}")
        runs: dict[str, list[dict]] = {phase: [] for phase in self.args.phases}
        try:
            asyncio.run(
                load.floor_load(urls=urls, buyers=self.fx.buyers, concurrency=64, seconds=2.0, seed=0)
            )
            for repeat in range(repeats):
                seed = self.args.seed + repeat
                for phase in self.args.phases:
                    if phase in ("pick", "best"):
                        result = self.stampede(deployment, urls, seed, best=phase == "best")
                    else:
                        result = getattr(self, phase)(deployment, urls, seed)
                    runs[phase].append(result)
                    log(f"  {config.name} #{repeat + 1} {phase:8} " + one_line(phase, result))
        finally:
            deployment.stop()
        return {"config": config.name, "describe": config.describe(), "runs": runs}

    def run(self) -> int:
        self.setup()
        results = {
            "meta": {
                "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "command": " ".join(["python -m tools.bench.stampede", *sys.argv[1:]]),
                "cpus": os.cpu_count(),
                "loadavg_at_start": os.getloadavg(),
                "buyers": self.args.buyers,
                "git": git_revision(),
            },
            "configs": [],
        }
        try:
            for name in self.args.configs:
                results["configs"].append(self.config_runs(CONFIGS[name], self.args.repeats))
            if self.args.matrix:
                for name in MATRIX:
                    if name not in self.args.configs:
                        results["configs"].append(self.config_runs(CONFIGS[name], 1))
        finally:
            self.notifier.stop()
        results["meta"]["loadavg_at_end"] = os.getloadavg()
        results["check_inventory_exit"] = checks.check_inventory_command(self.env)
        text = "\n".join(report(results))
        (self.out / "stampede.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
        (self.out / "stampede.md").write_text(text + "\n")
        prepare.database_drop(self.args.db)
        print(text)
        log(f"wrote {self.out / 'stampede.md'}")
        return 0 if violations(results) == 0 else 1


# --- one measured run -------------------------------------------------------------------------


def measured(meter: CpuMeter, coroutine) -> tuple[load.Harness, dict]:
    """Run a load and give its harness and the CPU ms per request of each process group."""
    meter.start()
    harness = asyncio.run(coroutine)
    used = meter.stop()
    requests = harness.stats.requests
    server = sum(used[g] or 0 for g in used if g not in ("load_generator", "wall"))
    cpu = per_request_ms(used, requests)
    cpu["server"] = round(server / max(1, requests) * 1000, 3)
    cpu["server_cores_busy"] = round(server / used["wall"], 2)
    return harness, cpu


def stampede_run(meter: CpuMeter, *, event_id: int, region: load.Region, **load_args) -> dict:
    """One stampede (``load.stampede_load``) on a fresh show, measured, then checked."""
    from ticketing.models import EventSeat

    harness, cpu = measured(meter, load.stampede_load(event_id=event_id, region=region, **load_args))
    block = set(region.ranked)
    stats = harness.stats.summary()
    seconds = stats["seconds"]
    sold = EventSeat.objects.filter(id__in=block, status=EventSeat.Status.BOOKED).count()
    run = {
        **stats,
        "scenario": "best" if load_args.get("best_section") else "pick",
        "buyers": load_args["concurrency"],
        "event_id": event_id,
        "cpu_ms": cpu,
        "seats": len(block),
        "seats_sold": sold,
        "sold_out_s": round(harness.ledger.sold_out_at, 2) if harness.ledger.sold_out_at else None,
        "holds_per_s": round(harness.stats.count("hold", 201) / seconds, 1),
        "hold_attempts_per_s": round(harness.stats.count("hold") / seconds, 1),
        "seats_sold_per_s": round(sold / seconds, 1),
        # what selling one seat cost the servers, refusals and releases included
        "server_cpu_ms_per_seat": round(cpu["server"] * harness.stats.requests / sold, 1) if sold else None,
        "bookings_per_s": round(harness.stats.count("book", 201) / seconds, 1),
        "answers": dict(harness.codes),
        "unexpected": dict(harness.ledger.unexpected),
        "checks": checks.tables_check(event_id=event_id, ledger=harness.ledger),
        "once_held": sorted(
            {s for h in harness.ledger.holds.values() if h["outcome"] != "booked" for s in h["seats"]}
        ),
    }
    prepare.connections_close()
    return run


# --- the two extra loads ----------------------------------------------------------------------


async def refusal_load(*, urls, buyers, concurrency, seconds, event_id, seats, seed):
    harness = load.Harness(urls=urls, buyers=buyers, concurrency=concurrency, label="refusals", seed=seed)

    async def vu(index: int, rng: random.Random) -> None:
        client, buyer = harness.client_for(index), next(harness.identities)
        while not harness.stop.is_set():
            wanted = sorted(rng.sample(seats, rng.randint(1, 4)))
            await harness.call(
                client,
                "hold",
                "POST",
                f"/api/v1/events/{event_id}/holds/",
                json={"seat_ids": wanted},
                headers={**load.auth(buyer), "Idempotency-Key": uuid.uuid4().hex},
            )

    await harness.run(vu, seconds)
    return harness


async def booking_load(*, urls, pending, concurrency, seed):
    harness = load.Harness(
        urls=urls, buyers=[b for b, _ in pending], concurrency=concurrency, label="bookings", seed=seed
    )
    queue = list(reversed(pending))

    async def vu(index: int, rng: random.Random) -> None:
        client = harness.client_for(index)
        while queue and not harness.stop.is_set():
            buyer, hold_id = queue.pop()
            await harness.call(
                client,
                "book",
                "POST",
                "/api/v1/bookings/",
                json={"hold_id": hold_id},
                headers={**load.auth(buyer), "Idempotency-Key": uuid.uuid4().hex},
            )

    await harness.run(vu, 120.0)
    return harness


# --- report -----------------------------------------------------------------------------------


def lat(run: dict, endpoint: str, q: str):
    return run.get("latency_ms", {}).get(endpoint, {}).get(q)


def one_line(phase: str, r: dict) -> str:
    cpu = r["cpu_ms"]
    tail = f"server CPU {cpu['server']:.2f} ms/req (gunicorn {cpu['gunicorn']:.2f}, PG {cpu['postgres']:.2f})"
    if phase == "floor":
        return f"{r['requests_per_s']:7.1f} req/s  p99 {lat(r, 'me', 'p99')} ms  {tail}"
    if phase == "refusals":
        return f"{r['requests_per_s']:7.1f} 409/s  p99 {lat(r, 'hold', 'p99')} ms  {tail}"
    if phase == "bookings":
        return f"{r['requests_per_s']:7.1f} book/s  p99 {lat(r, 'book', 'p99')} ms  {tail}"
    return (
        f"{r['holds_per_s']:6.1f} holds/s of {r['hold_attempts_per_s']:6.1f}"
        f"  sold {r['seats_sold']}/{r['seats']} out at {r['sold_out_s']} s"
        f"  hold p99 {lat(r, 'hold', 'p99')}  book p99 {lat(r, 'book', 'p99')}"
        f"  5xx {r['server_errors_5xx']}  violations {run_violations(r)}  {tail}"
    )


def med(values: list, digits: int = 1) -> str:
    """The median of the runs' values with [min–max] (``–`` when there is none)."""
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    m = statistics.median(values)
    if len(values) == 1:
        return f"{m:,.{digits}f}"
    return f"{m:,.{digits}f} [{min(values):,.{digits}f}–{max(values):,.{digits}f}]"


def run_violations(run: dict) -> int:
    return checks.violation_count(run["checks"])


def violations(results: dict) -> int:
    total = 0
    for config in results["configs"]:
        for phase in ("pick", "best"):
            for run in config["runs"].get(phase, []):
                total += run_violations(run)
                total += run["server_errors_5xx"]
    return total + (results.get("check_inventory_exit") or 0)


HEADLINE = (
    ("**seats sold out after s**", lambda r: r["sold_out_s"]),
    ("seats sold", lambda r: r["seats_sold"]),
    ("**seats sold/s**", lambda r: r["seats_sold_per_s"]),
    ("**successful holds/s**", lambda r: r["holds_per_s"]),
    ("hold attempts/s", lambda r: r["hold_attempts_per_s"]),
    ("bookings/s", lambda r: r["bookings_per_s"]),
    ("hold p50 ms", lambda r: lat(r, "hold", "p50")),
    ("hold p95 ms", lambda r: lat(r, "hold", "p95")),
    ("**hold p99 ms**", lambda r: lat(r, "hold", "p99")),
    ("book p50 ms", lambda r: lat(r, "book", "p50")),
    ("**book p99 ms**", lambda r: lat(r, "book", "p99")),
    ("server CPU ms/request (gunicorn + PostgreSQL)", lambda r: r["cpu_ms"]["server"]),
    ("server CPU ms per seat sold", lambda r: r.get("server_cpu_ms_per_seat")),
    ("… gunicorn", lambda r: r["cpu_ms"]["gunicorn"]),
    ("… PostgreSQL", lambda r: r["cpu_ms"]["postgres"]),
    ("… nginx", lambda r: r["cpu_ms"].get("nginx")),
    ("load generator CPU ms/request", lambda r: r["cpu_ms"]["load_generator"]),
    ("server cores busy", lambda r: r["cpu_ms"]["server_cores_busy"]),
    ("5xx", lambda r: r["server_errors_5xx"]),
    ("invariant violations", run_violations),
)


def headline_table(pick: list[dict], best: list[dict]) -> list[str]:
    """The stampede's figures, picking seats beside best available (medians [min-max])."""
    lines = ["| stampede, 1,000 seats | picking seats | best available 2-4 together |", "|---|---:|---:|"]
    for label, get in HEADLINE:
        lines.append(f"| {label} | {med([get(r) for r in pick])} | {med([get(r) for r in best])} |")
    return lines


def report(results: dict) -> list[str]:
    meta = results["meta"]
    lines = [
        "# On-sale stampede",
        "",
        f"{meta['started']}, git {meta['git']}, {meta['cpus']} CPUs, load average at start "
        f"{meta['loadavg_at_start'][0]:.2f}; {meta['buyers']} buyers, no think time; `{meta['command']}`.",
        "Medians of the repeats, [min–max]. CPU ms per request = CPU the process group spent during"
        " the phase / requests answered in it.",
        "",
    ]
    for config in results["configs"]:
        runs = config["runs"]
        pick, best = runs.get("pick", []), runs.get("best", [])
        lines += [f"## `{config['config']}`: {config['describe']} ({max(map(len, runs.values()))} runs)", ""]
        lines += headline_table(pick, best)
        answers: Counter = Counter()
        for run in pick + best:
            answers.update(run["answers"])
        lines += [
            "",
            "Answers by code, all stampede runs: "
            + ", ".join(f"{k} {v}" for k, v in sorted(answers.items())),
            "",
        ]
        lines += [
            "| reference, same server | req/s | p99 ms | server CPU ms/request | gunicorn | PostgreSQL |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for phase, endpoint, label in (
            ("floor", "me", "floor: `GET /auth/me/`"),
            ("refusals", "hold", "refused hold (409)"),
            ("bookings", "book", "booking (201)"),
        ):
            rs = runs.get(phase, [])
            if rs:
                cpu = [r["cpu_ms"] for r in rs]
                lines.append(
                    f"| {label} | {med([r['requests_per_s'] for r in rs])}"
                    f" | {med([lat(r, endpoint, 'p99') for r in rs])}"
                    f" | {med([c['server'] for c in cpu])} | {med([c['gunicorn'] for c in cpu])}"
                    f" | {med([c['postgres'] for c in cpu])} |"
                )
        lines.append("")
    lines.append(
        f"`manage.py check_inventory`: exit {results.get('check_inventory_exit')};"
        f" violations in all: {violations(results)}."
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    return Run(parse_args(argv)).run()


if __name__ == "__main__":
    sys.exit(main())
