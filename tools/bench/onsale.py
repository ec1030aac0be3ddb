"""On-sale rush benchmark: one command, real HTTP, correctness checked at the end.

    .venv/bin/python -m tools.bench.onsale            # full run, about 5 minutes
    .venv/bin/python -m tools.bench.onsale --quick    # about 1 minute
    .venv/bin/python -m tools.bench.onsale --publish  # also write docs/bench/onsale.{md,png}

It creates a fresh PostgreSQL database (h_bench_run), lays out a 4,000-seat arena whose
1,000-seat ``Centre`` block is the one everybody wants and a 40,000-seat stadium, starts
gunicorn (config/gunicorn.py) on 127.0.0.1, and for each number of concurrent buyers runs:
the framework floor (GET /auth/me/), the hold burst (POST holds), the rush (seat map, hold,
book/release/abandon) in the ``hot`` and ``spread`` scenarios, and pgbench with the SQL of one
hold request; the ``best`` scenario runs the rush with buyers asking for the best adjacent
seats of the block (``best_available``) instead of picking them. Then the micro-benchmarks (40k
inventory, 40k seat map), the same rush on two gunicorn instances, and the invariant checks.
See docs/bench/onsale.md (the latest published run) and DESIGN.md §8.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

from tools.bench import checks, dblimit, load, micro, prepare, report
from tools.bench.cpu import CpuMeter, pids_named
from tools.bench.server import AppServer, Notifier
from tools.bench.stampede import one_line as stampede_line
from tools.bench.stampede import stampede_run

ROOT = Path(__file__).resolve().parents[2]

PROFILES = {
    "full": {
        "levels": [10, 50, 100, 200],
        "rush_seconds": 12.0,
        "ref_seconds": 3.5,
        "repeats": 7,
        "inventories": 3,
    },
    "quick": {"levels": [100], "rush_seconds": 6.0, "ref_seconds": 2.5, "repeats": 3, "inventories": 1},
}


def log(message: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="about one minute: 10 and 100 buyers, shorter runs"
    )
    parser.add_argument("--buyers", type=int, nargs="+", help="concurrency levels (default 10 50 100 200)")
    parser.add_argument("--rush-seconds", type=float, help="time limit of one rush run")
    parser.add_argument("--ref-seconds", type=float, help="length of the floor, hold burst and pgbench runs")
    parser.add_argument("--scenarios", nargs="+", default=list(report.SCENARIOS), choices=report.SCENARIOS)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 4)))
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("BENCH_THREADS", 1)),
        help="1: sync workers, as deployed",
    )
    parser.add_argument("--port", type=int, default=8021, help="first port (two instances use port+1 too)")
    parser.add_argument(
        "--instances", type=int, default=1, choices=(1, 2), help="app servers for the main runs"
    )
    parser.add_argument(
        "--phases",
        nargs="+",
        default=["floor", "holds", "rush", "pgbench"],
        choices=["floor", "holds", "rush", "pgbench"],
        help="what to run at each concurrency (default: all four)",
    )
    parser.add_argument("--no-scale-out", action="store_true", help="skip the two-instance correctness run")
    parser.add_argument("--no-micro", action="store_true", help="skip the 40k micro-benchmarks")
    parser.add_argument("--venue-blocks", type=int, default=4, help="1,000-seat blocks of the rush venue")
    parser.add_argument(
        "--hold-seconds",
        type=int,
        default=20,
        help="hold time of the rush events (>= 10; abandoned seats come back after it)",
    )
    parser.add_argument("--pgbench-max-clients", type=int, default=50, help="PostgreSQL has max_connections")
    parser.add_argument(
        "--map-query",
        help="query string of the rush buyers' seat-map requests (default: ?section=<the hot block>,"
        " the part of the venue they look at; '' for the whole venue's map)",
    )
    parser.add_argument("--db", default="h_bench_run", help="database to (re)create; must start with h_bench")
    parser.add_argument("--keep-db", action="store_true", help="leave the database for inspection")
    parser.add_argument(
        "--publish",
        action="store_true",
        help="also write docs/bench/onsale.{md,png} (the JSON stays in artifacts/)",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean seconds a rush buyer thinks before a hold and before paying (0: never)",
    )
    parser.add_argument(
        "--no-stampede", action="store_true", help="skip the stampede (100 buyers, no think time)"
    )
    parser.add_argument("--stampede-seconds", type=float, default=20.0, help="time limit of a stampede")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0].split()[0]


def rush_summary(
    harness: load.Harness, *, scenario: str, buyers: int, block: set[int], event_id: int
) -> dict:
    from ticketing.models import EventSeat

    stats = harness.stats.summary()
    seconds = stats["seconds"]
    ledger = harness.ledger
    outcomes: dict[str, int] = {}
    for hold in ledger.holds.values():
        outcomes[hold["outcome"]] = outcomes.get(hold["outcome"], 0) + 1
    booked = EventSeat.objects.filter(id__in=block, status=EventSeat.Status.BOOKED).count()
    return {
        **stats,
        "scenario": scenario,
        "buyers": buyers,
        "instances": len(harness.urls),
        "event_id": event_id,
        "block_seats": len(block),
        "seats_booked": booked,
        "sold_out_s": round(ledger.sold_out_at, 2) if ledger.sold_out_at else None,
        "holds_201": harness.stats.count("hold", 201),
        "hold_requests": harness.stats.count("hold"),
        "bookings_201": harness.stats.count("book", 201),
        "holds_per_s": round(harness.stats.count("hold", 201) / seconds, 1),
        "hold_requests_per_s": round(harness.stats.count("hold") / seconds, 1),
        "bookings_per_s": round(harness.stats.count("book", 201) / seconds, 1),
        "hold_outcomes": outcomes,
        "buyers_gave_up": ledger.gave_up,
        "unexpected": dict(ledger.unexpected),
    }


def burst_summary(harness: load.Harness, *, scenario: str, buyers: int) -> dict:
    stats = harness.stats.summary()
    return {
        **stats,
        "scenario": scenario,
        "buyers": buyers,
        "holds_201": harness.stats.count("hold", 201),
        "holds_per_s": round(harness.stats.count("hold", 201) / stats["seconds"], 1),
        "ran_out_of_seats_s": harness.ledger.sold_out_at,
    }


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        profile = PROFILES["quick" if args.quick else "full"]
        self.profile = "quick" if args.quick else "full"
        self.levels = args.buyers or profile["levels"]
        self.rush_seconds = args.rush_seconds or profile["rush_seconds"]
        self.ref_seconds = args.ref_seconds or profile["ref_seconds"]
        self.repeats = profile["repeats"]
        self.inventories = profile["inventories"]
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        self.out = ROOT / "artifacts" / "bench" / stamp  # ignored: every run's JSON, logs, report
        self.out.mkdir(parents=True, exist_ok=True)
        self.env = prepare.server_environment(args.db)
        self.servers: list[AppServer] = []
        self.rush_runs: list[dict] = []  # every rush, for the final stuck-seat check

    # --- set-up -------------------------------------------------------------------------------

    def setup(self) -> None:
        log(f"fresh database {self.args.db}")
        prepare.database_recreate(self.args.db)
        prepare.django_setup(self.env)
        log(f"migrated in {prepare.migrate():.1f} s; laying out the halls, buyers and tokens")
        buyers = 6000 if not self.args.quick else 4000
        self.fx = prepare.fixtures_create(
            venue_blocks=self.args.venue_blocks, buyers=buyers, big_hall=not self.args.no_micro
        )
        log("set-up: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.fx.setup_seconds.items()))
        self.hold_scripts = prepare.pgbench_scripts(
            hall_id=self.fx.burst_hall_id, buyers=self.fx.checker_buyers
        )
        for seats, text in self.hold_scripts.items():  # what pgbench runs, kept with the run
            (self.out / f"hold_{seats}.pgbench.sql").write_text(text)
        prepare.connections_close()
        for index in range(self.args.instances):
            self.server_start(self.args.port + index)
        self.urls = [server.url for server in self.servers]
        self.notifier = Notifier(env=self.env, log_path=self.out / "notifier.log")
        self.notifier.start()
        self.warm_up(self.urls)

    def warm_up(self, urls: list[str]) -> None:
        """Every worker thread connects to the database and imports what a request needs."""
        connections = self.args.workers * self.args.threads * len(urls) * 2
        asyncio.run(
            load.floor_load(urls=urls, buyers=self.fx.buyers, concurrency=connections, seconds=2.0, seed=0)
        )

    def server_start(self, port: int) -> AppServer:
        server = AppServer(
            port=port,
            workers=self.args.workers,
            threads=self.args.threads,
            env=self.env,
            log_path=self.out / f"gunicorn-{port}.log",
        )
        server.start()
        self.servers.append(server)
        log(f"gunicorn on {server.url}: {server.workers} workers × {server.threads} threads")
        return server

    def log_offsets(self) -> dict[Path, int]:
        """Where each running server's log ends now: a run's access lines are what follows."""
        return {server.log_path: server.log_path.stat().st_size for server in self.servers}

    def stop_servers(self) -> None:
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()
        if getattr(self, "notifier", None):
            self.notifier.stop()

    def emails_check(self, timeout: float = 180.0) -> dict:
        """Every booking's email owed in the outbox is sent by the worker once the rush is over
        (it is niced: during the rush it yields the CPU to the requests)."""
        from ticketing.models import Notification

        started = time.perf_counter()
        owed = Notification.objects.count()
        unsent = Notification.objects.filter(sent_at__isnull=True).count()
        backlog_at_end = unsent
        while unsent and time.perf_counter() - started < timeout:
            time.sleep(0.5)
            unsent = Notification.objects.filter(sent_at__isnull=True).count()
        result = {
            "owed": owed,
            "unsent_when_the_runs_ended": backlog_at_end,
            "unsent_after_wait": unsent,
            "drained_in_s": round(time.perf_counter() - started, 1),
        }
        log(
            f"emails: {owed} owed, {backlog_at_end} waiting when the runs ended,"
            f" {unsent} unsent after {result['drained_in_s']} s"
        )
        prepare.connections_close()
        return result

    # --- runs ---------------------------------------------------------------------------------

    def rush(
        self, *, scenario: str, buyers: int, urls: list[str], seed: int, think: float | None = None
    ) -> dict:
        think = self.args.think if think is None else think
        event_id = prepare.event_new(
            hall_id=self.fx.rush_hall_id,
            name=f"Rush {scenario} {buyers}",
            hold_seconds=self.args.hold_seconds,
        )
        seats = prepare.event_seats(event_id, self.fx.hot_section)
        region = load.Region.from_seats(seats)
        map_query = self.args.map_query
        if map_query is None:
            map_query = f"?section={prepare.section_id(self.fx.rush_hall_id, self.fx.hot_section)}"
        prepare.connections_close()
        logs = self.log_offsets()
        harness = asyncio.run(
            load.rush_load(
                urls=urls,
                buyers=self.fx.buyers,
                concurrency=buyers,
                seconds=self.rush_seconds,
                event_id=event_id,
                region=region,
                hot=scenario == "hot",
                seed=seed,
                map_query=map_query,
                best_section=self.fx.hot_section if scenario == "best" else None,
                think=think,
            )
        )
        block = set(region.ranked)
        run = rush_summary(harness, scenario=scenario, buyers=buyers, block=block, event_id=event_id)
        run["think_s"], run["map_query"] = think, map_query
        run["server_ms"] = server_latency(logs)
        run["checks"] = checks.tables_check(event_id=event_id, ledger=harness.ledger)
        once_held = {
            seat_id
            for hold in harness.ledger.holds.values()
            if hold["outcome"] != "booked"
            for seat_id in hold["seats"]
        }
        self.rush_runs.append({"run": run, "block": block, "once_held": once_held})
        log(
            f"rush {scenario:6} N={buyers:<3} x{len(urls)} think {think:g}s: "
            f"{run['holds_per_s']:7.1f} holds/s "
            f"{run['bookings_per_s']:6.1f} bookings/s  hold p99 {load_p99(run, 'hold')} ms  "
            f"sold out {run['sold_out_s']} s  booked {run['seats_booked']}/{len(block)}  "
            f"5xx {run['server_errors_5xx']}  violations {violations(run['checks'])}"
        )
        return run

    def level(self, buyers: int, seed: int) -> dict:
        """Everything at one concurrency: floor, hold bursts, rushes and pgbench, back to back."""
        args, phases = self.args, set(self.args.phases)
        result: dict = {"buyers": buyers, "floor": {}, "holds": {}, "rush": {}, "pgbench": {}}
        if "floor" in phases:
            floor = asyncio.run(
                load.floor_load(
                    urls=self.urls,
                    buyers=self.fx.buyers,
                    concurrency=buyers,
                    seconds=self.ref_seconds,
                    seed=seed,
                )
            )
            result["floor"] = floor_run = floor.stats.summary()
            log(
                f"floor      N={buyers:<3}: {floor_run['requests_per_s']:7.1f} req/s"
                f"  p99 {load_p99(floor_run, 'me')} ms"
            )
        for scenario in [s for s in report.SCENARIOS if s in args.scenarios]:
            server_picks = scenario == "best"  # best available: a rush scenario only
            if "holds" in phases and not server_picks:
                result["holds"][scenario] = burst_run = self.burst(
                    scenario=scenario, buyers=buyers, seed=seed
                )
                log(
                    f"holds {scenario:6} N={buyers:<3}: {burst_run['requests_per_s']:7.1f} req/s "
                    f"({burst_run['holds_per_s']} 201/s)  p99 {load_p99(burst_run, 'hold')} ms"
                )
            if "rush" in phases:
                result["rush"][scenario] = self.rush(
                    scenario=scenario, buyers=buyers, urls=self.urls, seed=seed
                )
            if "pgbench" in phases and not server_picks:
                result["pgbench"][scenario] = self.pgbench(scenario, buyers)
        hot_holds = result["holds"].get("hot", {}).get("requests_per_s")
        result["ratios"] = {
            "hold_vs_floor": ratio(hot_holds, result["floor"].get("requests_per_s")),
            "hold_vs_database": ratio(hot_holds, result["pgbench"].get("hot", {}).get("tps")),
        }
        return result

    def burst(self, *, scenario: str, buyers: int, seed: int) -> dict:
        event_id = prepare.event_new(
            hall_id=self.fx.burst_hall_id,
            name=f"Burst {scenario} {buyers}",
            hold_seconds=self.args.hold_seconds,
        )
        region = load.Region.from_seats(prepare.event_seats(event_id))
        prepare.connections_close()
        harness = asyncio.run(
            load.holds_load(
                urls=self.urls,
                buyers=self.fx.buyers,
                concurrency=buyers,
                seconds=self.ref_seconds,
                event_id=event_id,
                region=region,
                hot=scenario == "hot",
                seed=seed,
            )
        )
        return burst_summary(harness, scenario=scenario, buyers=buyers)

    def pgbench(self, scenario: str, buyers: int) -> dict:
        event_id = prepare.event_new(
            hall_id=self.fx.rush_hall_id,
            name=f"pgbench {scenario} {buyers}",
            hold_seconds=self.args.hold_seconds,
        )
        seats = prepare.event_seats(event_id, self.fx.hot_section)
        prepare.connections_close()
        clients = min(buyers, self.args.pgbench_max_clients)
        users = [buyer.user_id for buyer in self.fx.buyers]
        result = dblimit.pgbench_hold(
            scripts=self.hold_scripts,
            db_name=self.args.db,
            clients=clients,
            seconds=self.ref_seconds,
            event_id=event_id,
            user_range=(min(users), max(users)),
            first_seat=seats[0][0],
            span=40 if scenario == "hot" else len(seats) - 4,
        )
        result["holds_made"] = dblimit.holds_made(event_id)
        log(
            f"pgbench {scenario:6} c={clients:<3}: {result.get('tps') or 0:7.0f} tps  "
            f"p99 {result.get('latency_ms', {}).get('p99')} ms  {result.get('error', '')[:200]}"
        )
        return result

    def stampede(self, seed: int) -> list[dict]:
        """The headline: 100 buyers (or the nearest level) with no think time on a fresh
        1,000-seat show, picking seats then asking for the best available
        (``tools.bench.stampede``), with the CPU per request of each process group."""
        buyers = min(self.levels, key=lambda level: abs(level - 100)) if self.levels else 100
        runs = []
        for best in (False, True):
            event_id = prepare.event_new(
                hall_id=self.fx.rush_hall_id,
                name=f"Stampede {'best' if best else 'pick'} {buyers}",
                hold_seconds=self.args.hold_seconds,
            )
            region = load.Region.from_seats(prepare.event_seats(event_id, self.fx.hot_section))
            prepare.connections_close()
            meter = CpuMeter({"gunicorn": self.app_pids, "postgres": lambda: pids_named("postgres")})
            run = stampede_run(
                meter,
                urls=self.urls,
                buyers=self.fx.buyers,
                concurrency=buyers,
                seconds=self.args.stampede_seconds,
                event_id=event_id,
                region=region,
                seed=seed,
                best_section=self.fx.hot_section if best else None,
            )
            self.rush_runs.append(
                {"run": run, "block": set(region.ranked), "once_held": set(run["once_held"])}
            )
            log(f"stampede {run['scenario']:5} N={buyers:<3}: " + stampede_line(run["scenario"], run))
            runs.append(run)
        return runs

    def app_pids(self) -> list[int]:
        return [pid for s in self.servers if s.process for pid in (s.process.pid, *s.worker_pids())]

    def scale_out(self, seed: int) -> list[dict]:
        """The same rush split over two gunicorn instances: correctness must stay at zero."""
        started_here = []
        while len(self.servers) < 2:
            started_here.append(self.server_start(self.args.port + len(self.servers)))
        urls = [server.url for server in self.servers[:2]]
        if started_here:
            self.warm_up(urls)
        runs = []
        buyers = 100 if 100 in self.levels or not self.levels else max(self.levels)
        scenarios = ["hot"] if self.args.quick else [s for s in report.SCENARIOS if s in self.args.scenarios]
        for scenario in scenarios:
            runs.append(self.rush(scenario=scenario, buyers=buyers, urls=urls, seed=seed))
        for server in started_here:
            server.stop()
            self.servers.remove(server)
        return runs

    def micro(self) -> dict:
        log("micro-benchmarks: inventory of the 40,000-seat event, its seat map")
        inventory, event_id = micro.inventory_benchmark(
            hall_id=self.fx.big_hall_id, repeats=self.inventories, hold_seconds=600
        )
        seat_map = micro.seat_map_benchmark(
            event_id=event_id,
            buyer=self.fx.checker_buyers[-1],
            others=self.fx.checker_buyers[:150],
            base_url=self.servers[0].url,
            repeats=self.repeats,
        )
        prepare.connections_close()
        log(
            f"inventory {inventory['seats']} seats: {inventory['median_ms']} ms; seat map: server "
            f"{seat_map['server_full_gzip_ms']} ms, {seat_map['http_wire_bytes']} B on the wire, 304 "
            f"{seat_map['server_304_ms']} ms"
        )
        return {"inventory": inventory, "seat_map": seat_map}

    def stuck_checks(self) -> None:
        """After the hold time, every seat of every rush block is booked or can be held again."""
        event_ids = [entry["run"]["event_id"] for entry in self.rush_runs]
        wait = checks.live_holds_left(event_ids=event_ids)
        if wait > 0:
            log(f"waiting {wait:.1f} s for the last holds to expire, then checking for stuck seats")
            time.sleep(wait + 0.5)
        for entry in self.rush_runs:
            entry["run"]["checks"].update(
                checks.stuck_check(
                    base_url=self.servers[0].url,
                    event_id=entry["run"]["event_id"],
                    block=entry["block"],
                    once_held=entry["once_held"],
                    checkers=self.fx.checker_buyers,
                )
            )
        prepare.connections_close()

    # --- all of it ----------------------------------------------------------------------------

    def run(self) -> int:
        started = time.perf_counter()
        self.setup()
        from django.db import connection

        results: dict = {
            "meta": {
                "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "profile": self.profile,
                "command": " ".join(["python -m tools.bench.onsale", *sys.argv[1:]]),
                "cpus": os.cpu_count(),
                "loadavg_at_start": os.getloadavg(),
                "workers": self.args.workers,
                "threads": self.args.threads,
                "instances": self.args.instances,
                "postgres": postgres_version(),
                "venue_seats": 1000 * self.args.venue_blocks,
                "block_seats": 1000,
                "hold_seconds": self.args.hold_seconds,
                "rush_seconds": self.rush_seconds,
                "ref_seconds": self.ref_seconds,
                "map_query": self.args.map_query,
                "think_s": self.args.think,
                "git": report.git_revision(),
            },
            "levels": [],
        }
        connection.close()
        try:
            for index, buyers in enumerate(self.levels):
                results["levels"].append(self.level(buyers, seed=self.args.seed + index))
            if "rush" in self.args.phases and not self.args.no_stampede:
                results["stampede"] = self.stampede(seed=self.args.seed + 77)
            if not self.args.no_micro:
                results["micro"] = self.micro()
            if not self.args.no_scale_out:
                results["scale_out"] = self.scale_out(seed=self.args.seed + 99)
            self.stuck_checks()
            results["emails"] = self.emails_check()
            results["check_inventory_exit"] = checks.check_inventory_command(self.env)
        finally:
            self.stop_servers()
            prepare.connections_close()
        results["meta"]["total_seconds"] = round(time.perf_counter() - started, 1)
        results["meta"]["loadavg_at_end"] = os.getloadavg()
        results["targets"] = targets(results)
        paths = report.write(results, self.out)
        if self.args.publish:
            report.write(results, ROOT / "docs" / "bench", with_json=False)
        if not self.args.keep_db:
            prepare.database_drop(self.args.db)
        print(paths["markdown"].read_text())
        total = results["meta"]["total_seconds"]
        log(f"wrote {paths['markdown']}, {paths['json'].name}, {paths['chart'].name} ({total} s)")
        return 0 if all(t["ok"] for t in results["targets"] if t["kind"] == "correctness") else 1


ENDPOINTS = (  # access-log method and path -> the endpoint names the buyers record
    ("POST", "/holds/", "hold"),
    ("POST", "/api/v1/bookings/", "book"),
    ("GET", "/seats/", "map"),
    ("DELETE", "/api/v1/holds/", "release"),
)


def server_latency(offsets: dict[Path, int]) -> dict[str, dict[str, float]]:
    """p50/p99 of the time Django spent on each endpoint during a run, from the JSON access log
    lines (``duration_ms``) the servers wrote after ``offsets``. Against the buyers' numbers it
    splits a latency into the server's work and the waiting around it (gunicorn's queue for a
    free thread, the network, the load generator's own loop)."""
    durations: dict[str, list[float]] = {}
    for path, offset in offsets.items():
        with path.open("rb") as log:
            log.seek(offset)
            lines = log.read().splitlines()
        for line in lines:
            if b'"api.access"' not in line:
                continue
            entry = orjson.loads(line)
            for method, fragment, endpoint in ENDPOINTS:
                if entry.get("method") == method and fragment in entry.get("path", ""):
                    durations.setdefault(endpoint, []).append(entry["duration_ms"])
                    break
    return {
        endpoint: {f"p{q}": round(load.percentile(sorted(values), q), 1) for q in (50, 99)}
        for endpoint, values in durations.items()
    }


def load_p99(run: dict, endpoint: str):
    return run.get("latency_ms", {}).get(endpoint, {}).get("p99")


def _ms(value) -> str:
    return "–" if value is None else f"{value:.0f} ms"


def ratio(a, b) -> float:
    return round(a / b, 3) if a and b else 0.0


def violations(run_checks: dict) -> int:
    return checks.violation_count(run_checks)


def targets(results: dict) -> list[dict]:
    rush_runs = [lv["rush"][s] for lv in results["levels"] for s in lv["rush"]]
    rush_runs += results.get("scale_out", []) + results.get("stampede", [])
    five_xx = sum(run["server_errors_5xx"] for run in rush_runs) + sum(
        lv["floor"].get("server_errors_5xx", 0) + sum(h["server_errors_5xx"] for h in lv["holds"].values())
        for lv in results["levels"]
    )
    doubles = sum(run["checks"]["double_bookings"] for run in rush_runs)
    stuck = sum(run["checks"].get("stuck_seats", 0) for run in rush_runs)
    other = sum(violations(run["checks"]) for run in rush_runs) - doubles - stuck
    out = [
        {
            "kind": "correctness",
            "name": "double bookings, every run",
            "measured": str(doubles),
            "ok": doubles == 0,
        },
        {
            "kind": "correctness",
            "name": "5xx answers, every run",
            "measured": str(five_xx),
            "ok": five_xx == 0,
        },
        {
            "kind": "correctness",
            "name": "stuck seats after the hold time",
            "measured": str(stuck),
            "ok": stuck == 0,
        },
        {
            "kind": "correctness",
            "name": "201 bookings missing/mismatched, released seats still held, the other invariant rules",
            "measured": str(other),
            "ok": other == 0,
        },
    ]
    if results.get("emails"):
        emails = results["emails"]
        out.append(
            {
                "kind": "correctness",
                "name": "booking emails owed in the outbox and not sent by the worker",
                "measured": f"{emails['unsent_after_wait']} of {emails['owed']}"
                f" ({emails['unsent_when_the_runs_ended']} waiting when the runs ended)",
                "ok": emails["unsent_after_wait"] == 0,
            }
        )
    if results.get("check_inventory_exit") is not None:
        code = results["check_inventory_exit"]
        out.append(
            {
                "kind": "correctness",
                "name": "`manage.py check_inventory`",
                "measured": f"exit {code}",
                "ok": code == 0,
            }
        )
    at100 = next((lv for lv in results["levels"] if lv["buyers"] == 100), None)
    if at100 and "hot" in at100["holds"] and "hot" in at100["rush"] and at100["floor"]:
        r = at100["ratios"]["hold_vs_floor"]
        out.append(
            {
                "kind": "speed",
                "name": "hold throughput ≥ 50% of the floor, 100 buyers, hot",
                "measured": f"{r:.0%}",
                "ok": r >= 0.5,
            }
        )
        rush = at100["rush"]["hot"]
        rush_p99 = load_p99(rush, "hold") or 0
        burst_p99 = load_p99(at100["holds"]["hot"], "hold")
        stampede = next((r for r in results.get("stampede", []) if r["scenario"] == "pick"), {})
        django_p99 = rush.get("server_ms", {}).get("hold", {}).get("p99")
        out.append(
            {
                "kind": "speed",
                "name": "p99 hold latency < 250 ms, 100 buyers, hot rush"
                f" (buyers think ~{rush['think_s']:g} s)",
                "measured": f"{rush_p99:.0f} ms (in Django {_ms(django_p99)};"
                f" no think time: rush {_ms(load_p99(stampede, 'hold'))},"
                f" burst {_ms(burst_p99)}; floor {_ms(load_p99(at100['floor'], 'me'))})",
                "ok": rush_p99 < 250 and rush["think_s"] > 0,
            }
        )
    out += stampede_targets(results.get("stampede", []))
    if results.get("micro"):
        seat_map, inventory = results["micro"]["seat_map"], results["micro"]["inventory"]
        out += [
            {
                "kind": "speed",
                "name": "40k seat map < 150 ms server time",
                "measured": f"{seat_map['server_full_gzip_ms']:.0f} ms",
                "ok": seat_map["server_full_gzip_ms"] < 150,
            },
            {
                "kind": "speed",
                "name": "40k seat map < 1.5 MB on the wire",
                "measured": f"{seat_map['http_wire_bytes'] / 1e6:.2f} MB",
                "ok": seat_map["http_wire_bytes"] < 1_500_000,
            },
            {
                "kind": "speed",
                "name": "304 < 10 ms",
                "measured": f"{seat_map['server_304_ms']:.1f} ms",
                "ok": seat_map["server_304_ms"] < 10,
            },
            {
                "kind": "speed",
                "name": "40k inventory < 3 s",
                "measured": f"{inventory['median_ms'] / 1000:.2f} s",
                "ok": inventory["median_ms"] < 3000,
            },
        ]
    return out


def stampede_targets(runs: list[dict]) -> list[dict]:
    """The stampede's targets (100 buyers, no think time)."""
    pick = next((r for r in runs if r["scenario"] == "pick"), None)
    best = next((r for r in runs if r["scenario"] == "best"), None)
    out = []
    if pick:
        sold, hold99, book99 = pick["sold_out_s"], load_p99(pick, "hold"), load_p99(pick, "book")
        out += [
            {
                "kind": "speed",
                "name": "stampede: 1,000 seats sold out ≤ 7 s picking seats",
                "measured": f"{sold} s" if sold else f"not sold out ({pick['seats_sold']} sold)",
                "ok": bool(sold and sold <= 7),
            },
            {
                "kind": "speed",
                "name": "stampede: ≥ 180 successful holds/s picking seats",
                "measured": f"{pick['holds_per_s']}/s",
                "ok": pick["holds_per_s"] >= 180,
            },
            {
                "kind": "speed",
                "name": "stampede: hold p99 ≤ 200 ms, book p99 ≤ 250 ms",
                "measured": f"{_ms(hold99)}, {_ms(book99)}",
                "ok": bool(hold99 and book99 and hold99 <= 200 and book99 <= 250),
            },
        ]
    if best:
        sold = best["sold_out_s"]
        out.append(
            {
                "kind": "speed",
                "name": "stampede: 1,000 seats sold out ≤ 4 s with best available",
                "measured": f"{sold} s" if sold else f"not sold out ({best['seats_sold']} sold)",
                "ok": bool(sold and sold <= 4),
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    return Bench(parse_args(argv)).run()


if __name__ == "__main__":
    sys.exit(main())
