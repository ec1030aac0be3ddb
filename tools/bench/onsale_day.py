"""On-sale day through the production topology (``make stack``), one command, bounded in time:

    .venv/bin/python -m tools.bench.onsale_day            # everything, 3 repeats (22 minutes here)
    .venv/bin/python -m tools.bench.onsale_day --quick    # once each, fewer watchers and buyers

It starts its own stack (``tools/stack.py`` with ``STACK_DIR=.stack-bench``, database
``h_bench_day``; nginx on 8080, so a running ``make stack`` must be stopped first) and measures:

(a) **watchers**: N subscribers of one event's seat stream (through nginx and Pushpin) while a
    rush changes seats through the API and holds expire with no write: the delay from the start
    of each change's request (or the instant an expiry falls due) to every subscriber, and the
    CPU each process group spends, beside the same rush with nobody watching; then N buyers
    polling the map every second as the web client did before the stream;
(b) **flash crowd**: ``--crowd`` buyers join an event's waiting room within 2 s before it opens,
    poll at the pace the server says, and once admitted hold the best 1-4 seats with their pass
    and book: admitted per second, the queue poll's p99, the admitted buyers' hold p99, when the
    last buyer was served or told the show is sold out, and how far the admission order is from
    the drawn one (from Redis: each buyer's place, and when it was first seen admitted);
(c) **app servers**: the stampede (``tools.bench.stampede``: 100 buyers, no think time, a fresh
    1,000-seat show) against one gunicorn instance straight on PostgreSQL, then through nginx and
    PgBouncer with 1, 2 and 3 instances; medians of ``--repeats`` with [min-max].

Every phase ends with the invariant checks (``check_inventory``, what buyers were told against
the tables, no seat sold twice) and the report counts them; the exit code is 1 if any is not 0.
The report goes to artifacts/bench/onsale-day-<time>/ (markdown and JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from tools.bench import checks, prepare, watchers
from tools.bench.cpu import CpuMeter, pids_named
from tools.bench.load import Region, percentile
from tools.bench.report import git_revision
from tools.bench.server import AppServer, port_answers
from tools.bench.stampede import med, stampede_run

ROOT = Path(__file__).resolve().parents[2]
STACK_DIR = ROOT / ".stack-bench"
DB = "h_bench_day"
BASE = "http://127.0.0.1:8080"
DIRECT_PORT = 8151


def log(message: str) -> None:
    print(f"[{datetime.now(UTC).strftime('%H:%M:%S')}] {message}", flush=True)


def pids_matching(*needles: str) -> list[int]:
    """Processes whose command line contains one of ``needles``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(needle in text for needle in needles):
            found.append(int(cmdline.parent.name))
    return found


def meter() -> CpuMeter:
    return CpuMeter(
        {
            "gunicorn": lambda: pids_matching("gunicorn config.wsgi"),
            "publisher": lambda: pids_matching("publish_seat_changes"),
            "pushpin": lambda: [*pids_named("pushpin"), *pids_named("condure"), *pids_named("zurl")],
            "nginx": lambda: pids_named("nginx"),
            "pgbouncer": lambda: pids_named("pgbouncer"),
            "postgres": lambda: pids_named("postgres"),
            "redis": lambda: pids_named("redis-server"),
        }
    )


def quiet(*, below: float = 0.05, limit: float = 60.0) -> float:
    """Wait until the app and the database are idle (under ``below`` cores over a second, both),
    at most ``limit`` seconds; returns the seconds waited. A phase after 5,000 pollers otherwise
    starts while the workers still drain that backlog, and its baseline counts their CPU."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        cpu = meter()
        cpu.start()
        time.sleep(1.0)
        busy = cores(cpu.stop())
        if busy["gunicorn"] < below and busy["postgres"] < below:
            break
    return round(time.monotonic() - started, 1)


def cores(used: dict) -> dict:
    """CPU of each group as cores busy over the measured wall time."""
    wall = used["wall"] or 1
    return {name: round((seconds or 0) / wall, 3) for name, seconds in used.items() if name != "wall"}


class Day:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        self.out = ROOT / "artifacts" / "bench" / f"onsale-day-{stamp}"
        self.out.mkdir(parents=True, exist_ok=True)
        self.instances: int | None = None
        self.results: dict = {
            "meta": {
                "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "command": " ".join(["python -m tools.bench.onsale_day", *sys.argv[1:]]),
                "cpus": os.cpu_count(),
                "loadavg_at_start": os.getloadavg(),
                "git": git_revision(),
                "open_files": watchers.raise_open_files_limit(),
            }
        }

    # ---- the stack ---------------------------------------------------------------------------

    def stack(self, verb: str, *, instances: int = 2) -> None:
        env = {
            **os.environ,
            "STACK_DIR": str(STACK_DIR),
            "STACK_DB": DB,
            "STACK_INSTANCES": str(instances),
            "STACK_WORKERS": str(self.args.workers),
            # identities rotate in the stampede: the per-buyer rates would only slow the load down
            "STACK_APP_THROTTLE_HOLD": "100000/min",
            "STACK_APP_THROTTLE_BOOK": "100000/min",
            "STACK_APP_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "STACK_APP_ACCESS_LOG": "false",
        }
        with (self.out / "stack.log").open("a") as output:
            result = subprocess.run(
                [sys.executable, str(ROOT / "tools" / "stack.py"), verb],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if result.returncode != 0:
            raise SystemExit(f"tools/stack.py {verb} failed; see {self.out / 'stack.log'}")
        if verb == "up":
            self.instances = instances

    def stack_with(self, instances: int) -> None:
        if self.instances != instances:
            if self.instances is not None:
                self.stack("down")
            log(f"stack with {instances} app instance(s)")
            self.stack("up", instances=instances)

    def setup(self) -> None:
        if port_answers(8080):
            raise SystemExit("Something answers on 127.0.0.1:8080 (a make stack?): make stack-stop first.")
        log(f"fresh database {DB}; the stack in {STACK_DIR.name}/ (make stack's own code)")
        self.stack("down")
        prepare.database_drop(DB)
        self.stack_with(2)
        env = dict(
            line.split("=", 1) for line in (STACK_DIR / "app.env").read_text().splitlines() if "=" in line
        )
        env["DATABASE_URL"] = prepare.database_url(DB)  # this process straight to PostgreSQL
        env.pop("DB_POOLER", None)
        env["JWT_ACCESS_MINUTES"] = "240"  # tokens issued here outlive the run
        env["DJANGO_SETTINGS_MODULE"] = "config.settings"
        self.env = env
        prepare.django_setup(env)
        started = time.perf_counter()
        self.hall = prepare.hall_create(
            "Day Arena", "Bowl", prepare.block_layout(["Centre"], rows=20, seats=50, vip_rows=5)
        )
        count = self.args.crowd + 200
        self.buyers = prepare.buyers_create(count, "day")
        prepare.connections_close()
        log(f"hall and {count} buyers with tokens in {time.perf_counter() - started:.1f} s")

    def show(self, name: str, *, hold_seconds: int = 600) -> tuple[int, Region]:
        event_id = prepare.event_new(hall_id=self.hall, name=name, hold_seconds=hold_seconds)
        region = Region.from_seats(prepare.event_seats(event_id))
        prepare.connections_close()
        return event_id, region

    # ---- (a) watchers ------------------------------------------------------------------------

    def watchers(self) -> dict:
        self.stack_with(2)
        runs: dict[str, list[dict]] = {}
        for repeat in range(self.args.repeats):
            for n in [0, *self.args.watchers]:
                runs.setdefault(f"stream {n}", []).append(self.watch_once("stream", n, repeat))
            for n in self.args.pollers:
                runs.setdefault(f"poll {n}", []).append(self.watch_once("poll", n, repeat))
        return runs

    def watch_once(self, mode: str, n: int, repeat: int) -> dict:
        event_id, region = self.show(f"Watch {mode} {n} #{repeat}")
        rush_buyers = self.buyers[:8]
        expiring_buyers = self.buyers[8:28]
        seats = region.ranked
        rush_seats, expiring_seats = seats[40:240], seats[:20]
        seconds = self.args.watch_seconds
        waited = quiet()
        if waited > 2:
            log(f"  (waited {waited} s for the app to go idle before {mode} {n})")

        async def phase() -> dict:
            stop = asyncio.Event()
            tasks: list[asyncio.Task] = []
            stream = poll = None
            if mode == "stream" and n:
                stream, tasks = await watchers.stream_connect(
                    BASE, event_id, n, stop=stop, rate=self.args.connect_rate
                )
            elif mode == "poll":
                poll, tasks = watchers.poll_start(BASE, event_id, n, stop=stop)
            await asyncio.sleep(2)
            planted = await asyncio.to_thread(self.plant, event_id, expiring_buyers, expiring_seats, seconds)
            cpu = meter()
            cpu.start()
            import httpx

            async with httpx.AsyncClient(base_url=BASE, timeout=30) as client:
                changes = await watchers.rush(
                    client,
                    event_id=event_id,
                    tokens=[b.token for b in rush_buyers],
                    seats=rush_seats,
                    seconds=seconds,
                )
            used = cpu.stop()
            await asyncio.sleep(3)  # the last deliveries
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            result = {
                "mode": mode,
                "n": n,
                "rush_changes": len(changes),
                "expiries": len(planted),
                "cores": cores(used),
                "seconds": round(used["wall"], 1),
            }
            if stream is not None:
                result |= {
                    "connected": stream.connected,
                    "failed": stream.failed,
                    "failures": stream.reasons,
                    "connect_s": round(stream.connect_seconds, 1),
                    **watchers.stream_delays(stream, changes + planted),
                }
            if poll is not None:
                result |= watchers.poll_summary(poll, used["wall"])
            return result

        result = asyncio.run(phase())
        result["checks"] = self.check(event_id)
        label = f"{mode} {n}"
        if mode == "stream" and n:
            log(
                f"  {label:12} connected {result['connected']}/{n} in {result['connect_s']} s"
                f" {result['failures']};"
                f" delivery p50 {result['p50_ms']} ms p99 {result['p99_ms']} ms (expiries p99"
                f" {result['expiry_p99_ms']}), missed {result['missed']}; app {result['cores']['gunicorn']}"
                f" cores, pushpin {result['cores']['pushpin']}, nginx {result['cores']['nginx']}"
            )
        elif mode == "poll":
            log(
                f"  {label:12} answered {result['answered_per_s']:.0f}/s of {n}/s asked, p99"
                f" {result['p99_ms']} ms, errors {result['errors']}; app {result['cores']['gunicorn']} cores"
            )
        else:
            log(f"  {label:12} (nobody watching) app {result['cores']['gunicorn']} cores")
        return result

    def plant(self, event_id: int, buyers, seats, seconds: float) -> list:
        try:
            return watchers.expiries_plant(
                event_id=event_id, buyer_ids=[b.user_id for b in buyers], seats=seats, within=seconds - 1
            )
        finally:
            prepare.connections_close()

    def check(self, event_id: int) -> dict[str, int]:
        from ticketing.selectors.invariants import inventory_check

        report = inventory_check(event_id=event_id)
        prepare.connections_close()
        return {"inventory_violations": len(report.violations)}

    # ---- (b) the flash crowd -----------------------------------------------------------------

    def flash_crowd(self) -> list[dict]:
        self.stack_with(2)
        return [self.crowd_once(repeat) for repeat in range(self.args.repeats)]

    def crowd_once(self, repeat: int) -> dict:
        from django.utils import timezone

        from ticketing.models import Event

        event_id, _ = self.show(f"Flash crowd #{repeat}")
        event = Event.objects.get(pk=event_id)
        opens_in = 4.0
        event.waiting_room_opens_at = timezone.now() + timedelta(seconds=opens_in)
        event.waiting_room_admit_per_minute = self.args.admit_per_minute
        event.save()  # mirrored into Redis on commit
        opens_at = time.time() + opens_in
        prepare.connections_close()
        buyers = self.buyers[200 : 200 + self.args.crowd]
        rng = random.Random(repeat)
        outcome: Counter = Counter()
        polls: list[float] = []
        joins: list[float] = []
        holds: list[float] = []
        books: list[float] = []
        statuses: Counter = Counter()
        done_at: list[float] = []
        admitted_at: list[float] = []
        errors: Counter = Counter()
        slow: Counter = Counter()  # answers over 250 ms, by when they came (seconds after opening)

        async def buyer(index: int, who: prepare.Buyer) -> None:
            client = watchers.RawClient(BASE)
            auth = {"Authorization": f"Bearer {who.token}"}
            await asyncio.sleep(rng.random() * 2.0)  # everyone joins within 2 s, before the opening
            try:
                began = time.perf_counter()
                status, _, body = await client.request(
                    "POST", f"/api/v1/events/{event_id}/queue/", headers=auth
                )
                joins.append((time.perf_counter() - began) * 1000)
                statuses[("join", status)] += 1
                answer = orjson.loads(body)
                token = answer.get("token")
                deadline = time.time() + self.args.crowd_seconds
                while answer.get("status") != "admitted":
                    if answer.get("sold_out"):
                        outcome["told sold out while waiting"] += 1
                        done_at.append(time.time())
                        return
                    if time.time() > deadline:
                        outcome["still waiting at the time limit"] += 1
                        return
                    await asyncio.sleep(max(0.2, float(answer.get("poll_after_s") or 1)))
                    began = time.perf_counter()
                    status, _, body = await client.request(
                        "GET", f"/api/v1/events/{event_id}/queue/", headers={"Queue-Token": token}
                    )
                    polls.append((time.perf_counter() - began) * 1000)
                    if polls[-1] > 250:
                        slow[f"poll at +{int(time.time() - opens_at)} s"] += 1
                    statuses[("poll", status)] += 1
                    if status != 200:
                        errors[f"poll {status}"] += 1
                        return
                    answer = orjson.loads(body)
                admitted_at.append(time.time())
                pass_headers = {**auth, "Queue-Pass": answer["pass"]}
                count = rng.randint(1, 4)
                for wanted in ({"count": count}, {"count": count, "together": False}):
                    began = time.perf_counter()
                    status, _, body = await client.request(
                        "POST",
                        f"/api/v1/events/{event_id}/holds/",
                        headers=pass_headers,
                        json={"best_available": wanted},
                    )
                    holds.append((time.perf_counter() - began) * 1000)
                    if holds[-1] > 250:
                        slow[f"hold at +{int(time.time() - opens_at)} s"] += 1
                    statuses[("hold", status)] += 1
                    if status == 201:
                        hold = orjson.loads(body)
                        began = time.perf_counter()
                        status, _, body = await client.request(
                            "POST", "/api/v1/bookings/", headers=auth, json={"hold_id": hold["id"]}
                        )
                        books.append((time.perf_counter() - began) * 1000)
                        statuses[("book", status)] += 1
                        outcome["booked" if status == 201 else f"book {status}"] += 1
                        done_at.append(time.time())
                        return
                    if status >= 500:
                        errors[f"hold {status}"] += 1
                outcome["admitted, told sold out"] += 1
                done_at.append(time.time())
            except (OSError, TimeoutError, ValueError, KeyError, asyncio.IncompleteReadError) as error:
                errors[type(error).__name__] += 1
            finally:
                client.close()

        async def crowd() -> dict:
            cpu = meter()
            cpu.start()
            await asyncio.gather(*(buyer(i, b) for i, b in enumerate(buyers)))
            return cores(cpu.stop())

        log(f"  flash crowd #{repeat + 1}: {len(buyers)} buyers join within 2 s, opening in {opens_in:.0f} s")
        busy = asyncio.run(crowd())
        fairness = self.fairness(event_id)
        polls.sort()
        holds.sort()
        joins.sort()
        books.sort()
        admitted_at.sort()
        span = (admitted_at[-1] - admitted_at[0]) if len(admitted_at) > 1 else None
        result = {
            "buyers": len(buyers),
            "admit_per_minute": self.args.admit_per_minute,
            "outcomes": dict(outcome),
            "errors": dict(errors),
            "statuses": {f"{k[0]} {k[1]}": v for k, v in sorted(statuses.items())},
            "five_xx": sum(v for (kind, code), v in statuses.items() if code >= 500),
            "admitted": len(admitted_at),
            "admitted_per_s": round((len(admitted_at) - 1) / span, 1) if span else None,
            "join_p99_ms": percentile(joins, 99),
            "poll_p50_ms": percentile(polls, 50),
            "poll_p99_ms": percentile(polls, 99),
            "polls_per_s": round(len(polls) / max(1.0, (max(done_at, default=opens_at) - opens_at + 4)), 1),
            "hold_p50_ms": percentile(holds, 50),
            "hold_p99_ms": percentile(holds, 99),
            "book_p99_ms": percentile(books, 99),
            "last_served_s": round(max(done_at) - opens_at, 1) if done_at else None,
            "cores": busy,
            "slow_answers": dict(sorted(slow.items(), key=lambda item: -item[1])[:12]),
            **fairness,
            "checks": self.check(event_id),
        }
        log(
            f"  flash crowd #{repeat + 1}: {result['outcomes']}, 5xx {result['five_xx']}, errors"
            f" {result['errors']};"
            f" admitted {result['admitted_per_s']}/s, poll p99 {result['poll_p99_ms']} ms, hold p99"
            f" {result['hold_p99_ms']} ms, last served at +{result['last_served_s']} s;"
            f" order displacement p99 {result['displacement_p99']} places"
        )
        return result

    def fairness(self, event_id: int) -> dict:
        """From the line itself: each buyer's place (rank of the drawn score) against the order in
        which buyers were first seen admitted."""
        from ticketing import waiting_line

        client = waiting_line.client()
        line = client.zrange(waiting_line.key(event_id, "line"), 0, -1)
        admitted = client.hgetall(waiting_line.key(event_id, "adm"))
        place = {member: rank for rank, member in enumerate(line)}
        order = sorted(admitted, key=lambda member: float(admitted[member]))
        displacement = sorted(abs(place[m] - i) for i, m in enumerate(order) if m in place)
        twice = len(order) - len(set(order))
        return {
            "line": len(line),
            "displacement_p50": percentile(displacement, 50),
            "displacement_p99": percentile(displacement, 99),
            "displacement_max": displacement[-1] if displacement else None,
            "admitted_twice": twice,
        }

    # ---- (c) app servers ---------------------------------------------------------------------

    def topology(self) -> dict[str, list[dict]]:
        runs: dict[str, list[dict]] = {}
        self.stack("down")
        self.instances = None
        direct = AppServer(
            port=DIRECT_PORT,
            workers=0,
            threads=1,
            env={**self.env},
            log_path=self.out / "gunicorn-direct.log",
            extra_env={"THROTTLE_HOLD": "100000/min", "THROTTLE_BOOK": "100000/min", "ACCESS_LOG": "false"},
        )
        for name in ("GUNICORN_WORKERS", "GUNICORN_THREADS"):
            direct.env.pop(name, None)
        direct.start()
        try:
            runs["1 instance, direct (config/gunicorn.py, no proxy, no pooler)"] = self.stampedes(
                f"http://127.0.0.1:{DIRECT_PORT}"
            )
        finally:
            direct.stop()
        for instances in self.args.instances:
            self.stack_with(instances)
            plural = "s" if instances > 1 else ""
            label = f"{instances} instance{plural} x {self.args.workers} workers, nginx + PgBouncer"
            runs[label] = self.stampedes(BASE)
        return runs

    def stampedes(self, url: str) -> list[dict]:
        results = []
        for repeat in range(self.args.repeats):
            event_id, block = self.show(f"Stampede {url} #{repeat}", hold_seconds=20)
            run = stampede_run(
                meter(),
                urls=[url],
                buyers=self.buyers[:100],
                concurrency=100,
                seconds=self.args.stampede_seconds,
                event_id=event_id,
                region=block,
                seed=repeat + 1,
                best_section=None,
            )
            run["checks"] |= self.check(event_id)
            latency = run.get("latency_ms", {})
            log(
                f"  {url} #{repeat + 1}: sold {run['seats_sold']} in {run['seconds']:.1f} s"
                f" (sold out {run['sold_out_s']}), holds {run['holds_per_s']}/s, hold p99"
                f" {latency.get('hold', {}).get('p99')} ms, violations"
                f" {checks.violation_count(run['checks'])}"
            )
            run.pop("once_held", None)
            results.append(run)
        return results

    # ---- report ------------------------------------------------------------------------------

    def run(self) -> int:
        try:
            self.setup()
            if "watchers" in self.args.phases:
                log("(a) watchers")
                self.results["watchers"] = self.watchers()
            if "crowd" in self.args.phases:
                log("(b) flash crowd")
                self.results["crowd"] = self.flash_crowd()
            if "topology" in self.args.phases:
                log("(c) app servers")
                self.results["topology"] = self.topology()
        finally:
            self.stack("down")
        self.results["meta"]["loadavg_at_end"] = os.getloadavg()
        self.results["check_inventory_exit"] = checks.check_inventory_command(self.env)
        prepare.database_drop(DB)
        text = "\n".join(report(self.results))
        (self.out / "onsale-day.json").write_bytes(
            orjson.dumps(self.results, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
        )
        (self.out / "onsale-day.md").write_text(text + "\n")
        print(text)
        log(f"wrote {self.out / 'onsale-day.md'}")
        return 0 if violations(self.results) == 0 else 1


def violations(results: dict) -> int:
    total = 0 if results.get("check_inventory_exit", 0) == 0 else 1
    for runs in results.get("watchers", {}).values():
        total += sum(r["checks"]["inventory_violations"] for r in runs)
    for run in results.get("crowd", []):
        total += run["checks"]["inventory_violations"] + run["admitted_twice"]
    for runs in results.get("topology", {}).values():
        total += sum(checks.violation_count(r["checks"]) for r in runs)
    return total


def report(results: dict) -> list[str]:
    meta = results["meta"]
    lines = [
        "# On-sale day through make stack",
        "",
        f"{meta['started']}, git {meta['git']}, {meta['cpus']} CPUs, load {meta['loadavg_at_start'][0]:.1f}"
        f" at start, {results['meta'].get('loadavg_at_end', (0,))[0]:.1f} at end. `{meta['command']}`.",
        "Medians over the repeats with [min-max]. Cores: CPU seconds per second of the measured window.",
    ]
    watch = results.get("watchers")
    if watch:
        base = watch.get("stream 0", [])
        base_app = [r["cores"]["gunicorn"] for r in base]
        lines += [
            "",
            "## (a) Watchers of one event during a rush (holds, releases, expiries)",
            "",
            "| watchers | connected | delivery p50 / p99, ms | expiries p99, ms | missed | app"
            " (gunicorn) cores"
            " | app cores for the watchers | app CPU per watcher, µs/s | Pushpin cores | nginx cores |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for label, runs in watch.items():
            if not label.startswith("stream"):
                continue
            n = runs[0]["n"]
            app = [r["cores"]["gunicorn"] for r in runs]
            extra = [a - b for a, b in zip(app, base_app, strict=False)] if n else []
            lines.append(
                f"| {n:,} | {med([r.get('connected', 0) for r in runs], 0)} |"
                f" {med([r.get('p50_ms') for r in runs])} / {med([r.get('p99_ms') for r in runs])} |"
                f" {med([r.get('expiry_p99_ms') for r in runs])} |"
                f" {med([r.get('missed', 0) for r in runs], 0)} |"
                f" {med(app, 3)} | {med(extra, 3) if n else '(baseline)'} |"
                f" {med([e / n * 1e6 for e in extra], 1) if n else '–'} |"
                f" {med([r['cores']['pushpin'] for r in runs], 3)} |"
                f" {med([r['cores']['nginx'] for r in runs], 3)} |"
            )
        polls = {label: runs for label, runs in watch.items() if label.startswith("poll")}
        if polls:
            lines += [
                "",
                "The same rush with N buyers polling the map every second (If-None-Match), as before"
                " the stream:",
                "",
                "| pollers | asked/s | answered/s | p50 / p99, ms | errors | app (gunicorn) cores |"
                " nginx cores |",
                "|---|---|---|---|---|---|---|",
            ]
            for runs in polls.values():
                n = runs[0]["n"]
                lines.append(
                    f"| {n:,} | {n:,} | {med([r['answered_per_s'] for r in runs], 0)} |"
                    f" {med([r['p50_ms'] for r in runs])} / {med([r['p99_ms'] for r in runs])} |"
                    f" {med([r['errors'] for r in runs], 0)} |"
                    f" {med([r['cores']['gunicorn'] for r in runs], 3)} |"
                    f" {med([r['cores']['nginx'] for r in runs], 3)} |"
                )
    crowd = results.get("crowd")
    if crowd:
        first = crowd[0]
        lines += [
            "",
            f"## (b) Flash crowd: {first['buyers']:,} buyers join within 2 s before opening;"
            f" admission {first['admit_per_minute']:,}/min",
            "",
            "| admitted/s | queue poll p50 / p99, ms | join p99, ms | hold p99 of admitted, ms | book p99, ms"
            " | last buyer served or told sold out | 5xx | errors/timeouts | order displacement p50"
            " / p99 / max, places"
            " | admitted twice |",
            "|---|---|---|---|---|---|---|---|---|---|",
            f"| {med([r['admitted_per_s'] for r in crowd])} | {med([r['poll_p50_ms'] for r in crowd])} /"
            f" {med([r['poll_p99_ms'] for r in crowd])} | {med([r['join_p99_ms'] for r in crowd])} |"
            f" {med([r['hold_p99_ms'] for r in crowd])} | {med([r['book_p99_ms'] for r in crowd])} |"
            f" +{med([r['last_served_s'] for r in crowd])} s after opening |"
            f" {med([r['five_xx'] for r in crowd], 0)} |"
            f" {med([sum(r['errors'].values()) for r in crowd], 0)} |"
            f" {med([r['displacement_p50'] for r in crowd], 0)} /"
            f" {med([r['displacement_p99'] for r in crowd], 0)} /"
            f" {med([r['displacement_max'] for r in crowd], 0)} |"
            f" {sum(r['admitted_twice'] for r in crowd)} |",
            "",
            "Outcomes per run: " + "; ".join(str(r["outcomes"]) for r in crowd),
        ]
    topology = results.get("topology")
    if topology:
        lines += [
            "",
            "## (c) The stampede (100 buyers, no think time, 1,000 seats) by topology",
            "",
            "| topology | seats sold/s | sold out, s | successful holds/s | hold p99, ms | book p99, ms"
            " | server cores busy | violations |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for label, runs in topology.items():
            lines.append(
                f"| {label} | {med([r['seats_sold_per_s'] for r in runs])} |"
                f" {med([r['sold_out_s'] for r in runs])} | {med([r['holds_per_s'] for r in runs])} |"
                f" {med([r.get('latency_ms', {}).get('hold', {}).get('p99') for r in runs], 0)} |"
                f" {med([r.get('latency_ms', {}).get('book', {}).get('p99') for r in runs], 0)} |"
                f" {med([r['cpu_ms'].get('server_cores_busy') for r in runs], 2)} |"
                f" {sum(checks.violation_count(r['checks']) for r in runs)} |"
            )
    lines += [
        "",
        f"Invariant violations in all: {violations(results)}; check_inventory exit"
        f" {results.get('check_inventory_exit')}.",
    ]
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="1 repeat, 1,000 and 5,000 watchers, a 2,000 crowd"
    )
    parser.add_argument(
        "--phases",
        nargs="+",
        choices=["watchers", "crowd", "topology"],
        default=["watchers", "crowd", "topology"],
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--watchers", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--pollers", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--watch-seconds", type=float, default=15.0)
    parser.add_argument(
        "--connect-rate", type=float, default=300.0, help="stream subscriptions opened per second"
    )
    parser.add_argument("--crowd", type=int, default=5000)
    parser.add_argument("--admit-per-minute", type=int, default=1200)
    parser.add_argument(
        "--crowd-seconds", type=float, default=240.0, help="a waiting buyer gives up after this"
    )
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--stampede-seconds", type=float, default=20.0)
    parser.add_argument(
        "--workers", type=int, default=4, help="sync workers per app instance (as config/gunicorn.py)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.crowd = 1, 2000
        args.watchers = args.watchers if "--watchers" in (argv or sys.argv) else [1000, 5000]
        args.pollers = args.pollers if "--pollers" in (argv or sys.argv) else [1000]
        args.watch_seconds = 10.0
    return args


def main(argv: list[str] | None = None) -> int:
    return Day(parse_args(argv)).run()


if __name__ == "__main__":
    sys.exit(main())
