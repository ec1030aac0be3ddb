"""Time to interactive of the 40,000-seat stadium's event page, on a simulated phone.

    .venv/bin/python -m tools.bench.tti                      # own database and server, ~3 minutes
    .venv/bin/python -m tools.bench.tti --json artifacts/bench/tti.json --trace artifacts/bench/tti
    .venv/bin/python -m tools.bench.tti --base-url http://127.0.0.1:8000 --event 7
    .venv/bin/python -m tools.bench.tti --devices phone phone-net phone-cpu   # which half costs what

The phone: a 390x844 viewport at device scale 3, mobile and touch, the network emulated through
CDP (150 ms round trip, 200,000 bytes/s down, 750 kbit/s up) and the CPU 4x slower
(``Emulation.setCPUThrottlingRate``). The reference: a 1440x900 desktop, nothing throttled. Every
run is a cold load in a fresh browser context (its own cache and connections).

Time to interactive: navigation start to the page's ``seatmap-interactive`` mark (the overview is
drawn, from the map's summary, and its handlers are live: sections, filters and best available
work). Whole map applied: the ``seatmap-seats`` mark (every seat can be drawn and tapped; a
section chosen before it shows "Loading its seats…"). Section open, after that: the tap on the
first section tile,
by its event's timestamp, to the end of the page's ``section-switch`` measure (the next frame
after the section's seats are rendered). Also: the bytes on the wire until interactive
(resource timing's transferSize, headers included) and the seat map request's size and time.

Without ``--base-url`` it builds what it measures: a fresh PostgreSQL database (h_bench_tti),
``seed_demo --large`` (its 40,000-seat stadium: 16 blocks of 50 rows x 50 seats), the static
files collected into a temporary STATIC_ROOT with DEBUG off (whitenoise's hashed, compressed
files, as deployed), and gunicorn (config/gunicorn.py) on 127.0.0.1:8061, stopped at the end
even on failure. Exits 1 if a page errors or never becomes interactive (60 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson

from tools.bench import prepare
from tools.bench.report import git_revision
from tools.bench.server import AppServer

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TARGET_MS = 2500
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/131.0.0.0 Mobile Safari/537.36"
)


@dataclass(frozen=True)
class Device:
    name: str
    width: int
    height: int
    scale: float = 1
    mobile: bool = False
    latency_ms: float = 0  # round trip; 0 with no throughput: the network is not emulated
    down_bytes_s: int = 0
    up_bytes_s: int = 0
    cpu_slowdown: float = 1

    @property
    def throttled(self) -> bool:
        return bool(self.latency_ms or self.down_bytes_s or self.up_bytes_s)

    def describe(self) -> str:
        parts = [f"{self.width}x{self.height} @{self.scale:g}x" + (", mobile + touch" if self.mobile else "")]
        if self.throttled:
            parts.append(
                f"{self.latency_ms:g} ms RTT, {self.down_bytes_s * 8 / 1e6:g} Mbit/s down,"
                f" {self.up_bytes_s * 8 / 1e3:g} kbit/s up"
            )
        else:
            parts.append("network not throttled")
        parts.append(f"CPU {self.cpu_slowdown:g}x slower" if self.cpu_slowdown > 1 else "CPU not throttled")
        return ", ".join(parts)


PHONE = Device(
    "phone", 390, 844, scale=3, mobile=True, latency_ms=150, down_bytes_s=200_000, up_bytes_s=93_750,
    cpu_slowdown=4,
)  # fmt: skip
DESKTOP = Device("desktop", 1440, 900)
# Diagnostics (--devices phone-net phone-cpu): the phone's network alone, its CPU alone.
PHONE_NET = Device("phone-net", 390, 844, scale=3, mobile=True, latency_ms=150, down_bytes_s=200_000,
                   up_bytes_s=93_750)  # fmt: skip
PHONE_CPU = Device("phone-cpu", 390, 844, scale=3, mobile=True, cpu_slowdown=4)
DEVICES = {d.name: d for d in (PHONE, DESKTOP, PHONE_NET, PHONE_CPU)}


class PageFailed(Exception):
    """The page errored, or never became interactive."""


def log(message: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


# --- one cold load ----------------------------------------------------------------------------

# Observers, not polling: nothing of the harness runs on the page's main thread while it loads.
OBSERVE = """
window.__ttiClickAt = null;
document.addEventListener("click", (e) => { window.__ttiClickAt ??= e.timeStamp; }, {capture: true});
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.name === "seatmap-interactive") window.__ttiReady(e.startTime);
    if (e.name === "seatmap-seats") window.__ttiSeats(e.startTime);
    if (e.name === "section-switch") window.__ttiSwitched(e.startTime, e.duration);
  }
}).observe({entryTypes: ["mark", "measure"]});
"""

TIMINGS = """tti => {
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource").map(e => ({
    name: new URL(e.name).pathname + new URL(e.name).search, type: e.initiatorType,
    start: e.startTime, response_start: e.responseStart, end: e.responseEnd,
    transfer: e.transferSize, body: e.encodedBodySize, decoded: e.decodedBodySize,
  }));
  resources.unshift({name: "(document)", type: "navigation", start: 0, response_start: nav.responseStart,
    end: nav.responseEnd, transfer: nav.transferSize, body: nav.encodedBodySize,
    decoded: nav.decodedBodySize});
  return {resources, dom_content_loaded: nav.domContentLoadedEventEnd};
}"""


def measure_once(
    browser,
    *,
    base_url: str,
    event_id: int,
    device: Device,
    timeout_s: float = 60.0,
    trace: Path | None = None,
) -> dict:
    """One cold load of the event page in a fresh context, then one section opened.

    Raises PageFailed on a JavaScript error, a console error, an API answer >= 400, or no
    ``seatmap-interactive`` mark within ``timeout_s``.
    """
    context = browser.new_context(
        viewport={"width": device.width, "height": device.height},
        device_scale_factor=device.scale,
        is_mobile=device.mobile,
        has_touch=device.mobile,
        **({"user_agent": PHONE_UA} if device.mobile else {}),
    )
    try:
        page = context.new_page()
        seen: dict = {"errors": []}
        page.on("pageerror", lambda exc: seen["errors"].append(f"page error: {exc}"))
        page.on(
            "console",
            lambda msg: seen["errors"].append(f"console: {msg.text}") if msg.type == "error" else None,
        )
        page.on(
            "response",
            lambda r: seen["errors"].append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        page.expose_function("__ttiReady", lambda at: seen.setdefault("tti", at))
        page.expose_function("__ttiSeats", lambda at: seen.setdefault("seats", at))
        page.expose_function("__ttiSwitched", lambda at, ms: seen.setdefault("switch", (at, ms)))
        page.add_init_script(OBSERVE)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        wire: dict[str, int] = {}
        cdp.on("Network.loadingFinished", lambda e: wire.__setitem__(e["requestId"], e["encodedDataLength"]))
        if device.throttled:
            cdp.send(
                "Network.emulateNetworkConditions",
                {
                    "offline": False,
                    "latency": device.latency_ms,
                    "downloadThroughput": device.down_bytes_s,
                    "uploadThroughput": device.up_bytes_s,
                },
            )
        if device.cpu_slowdown > 1:
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": device.cpu_slowdown})
        if trace:
            browser.start_tracing(page=page, path=str(trace), categories=TRACE_CATEGORIES)
        page.goto(f"{base_url}/#/events/{event_id}", wait_until="commit", timeout=timeout_s * 1000)
        wait_for(page, seen, "tti", timeout_s, "the seat map never became interactive")
        wire_at_tti = sum(wire.values())
        if trace:
            browser.stop_tracing()
        tti = seen["tti"]
        # The overview may be drawn from the map's summary: the whole map comes after it.
        wait_for(page, seen, "seats", timeout_s, "the whole seat map never arrived")
        timings = page.evaluate(TIMINGS, tti)

        # ...then the buyer opens the first section on the overview.
        tile = page.locator(".tile").first
        section = tile.get_attribute("data-section")
        tile.tap() if device.mobile else tile.click()
        wait_for(page, seen, "switch", timeout_s, f"section {section!r} never opened")
        clicked_at = page.evaluate("window.__ttiClickAt")
        switch_at, switch_ms = seen["switch"]
        seats = page.locator("button.seat").count()
        if seen["errors"]:
            raise PageFailed("; ".join(seen["errors"][:5]))
    finally:
        context.close()
    resources = [r for r in timings["resources"] if r["end"] <= tti]
    seatmap = next(
        (r for r in timings["resources"] if r["name"].endswith(f"/events/{event_id}/seats/")), None
    )
    if seatmap is None:
        raise PageFailed("no seat map request")
    return {
        "device": device.name,
        "tti_ms": round(tti, 1),
        "seats_ms": round(seen["seats"], 1),
        "bytes": sum(r["transfer"] for r in resources),
        "wire_bytes_cdp": wire_at_tti,  # CDP's encodedDataLength of every finished request
        "requests": len(resources),
        "seatmap_bytes": seatmap["transfer"],
        "seatmap_decoded_bytes": seatmap["decoded"],
        "seatmap_ms": round(seatmap["end"] - seatmap["start"], 1),
        "seatmap_start_ms": round(seatmap["start"], 1),
        "seatmap_end_ms": round(seatmap["end"], 1),
        "after_seatmap_ms": round(seen["seats"] - seatmap["end"], 1),
        "dom_content_loaded_ms": round(timings["dom_content_loaded"], 1),
        "section": section,
        "section_open_ms": round(switch_at + switch_ms - clicked_at, 1),
        "section_switch_ms": round(switch_ms, 1),
        "section_seats_rendered": seats,
        "resources": resources,
    }


def wait_for(page, seen: dict, key: str, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while key not in seen:
        if seen["errors"]:
            raise PageFailed("; ".join(seen["errors"][:5]))
        if time.monotonic() > deadline:
            raise PageFailed(f"{what} within {timeout_s:g} s")
        page.wait_for_timeout(50)  # Playwright delivers the page's callbacks meanwhile


def measure(
    *,
    base_url: str,
    event_id: int,
    devices: list[Device],
    repeats: int = 3,
    timeout_s: float = 60.0,
    trace_dir: Path | None = None,
) -> dict[str, list[dict]]:
    """``repeats`` cold loads per device, in one headless Chromium: {device name: [runs]}.

    With ``trace_dir``, each device with a slowed CPU gets one more cold load, recorded as a
    Chrome trace there and kept apart (``{name}-traced``: tracing slows the page); its
    ``main_thread`` says where the main thread's time went until interactive.
    """
    from playwright.sync_api import sync_playwright

    runs: dict[str, list[dict]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_ARGS)
        try:
            for device in devices:
                runs[device.name] = []
                for repeat in range(repeats):
                    run = measure_once(
                        browser, base_url=base_url, event_id=event_id, device=device, timeout_s=timeout_s
                    )
                    runs[device.name].append(run)
                    log(f"  {device.name} #{repeat + 1}: {one_line(run)}")
                if trace_dir and device.cpu_slowdown > 1:
                    trace_dir.mkdir(parents=True, exist_ok=True)
                    trace = trace_dir / f"tti-{device.name}-trace.json"
                    run = measure_once(
                        browser, base_url=base_url, event_id=event_id, device=device, timeout_s=timeout_s,
                        trace=trace,
                    )  # fmt: skip
                    run |= {"trace": str(trace), "main_thread": main_thread_breakdown(trace)}
                    runs[f"{device.name}-traced"] = [run]
                    log(f"  {device.name}, traced: {one_line(run)}; main thread {run['main_thread']}")
        finally:
            browser.close()
    return runs


def chromium_executable() -> str:
    return os.environ.get("CHROMIUM_PATH") or CHROMIUM


# --- the trace: where the main thread's time went until interactive ----------------------------

TRACE_CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "v8.execute",
    "blink.user_timing",
    "loading",
]
# Trace event names by kind of work, matched by prefix; anything else counts for the event around
# it, and a task's own time (RunTask's self time: work with no finer event) is "untraced".
GROUPS = {
    "script": ("EvaluateScript", "FunctionCall", "v8.run", "v8.callFunction", "V8.Execute", "TimerFire",
               "FireAnimationFrame", "EventDispatch", "RunMicrotasks", "V8.Bytecode", "V8.StackGuard",
               "V8.HandleInterrupts", "ResolvePromise", "HitTest"),
    "compile": ("v8.compile", "V8.Compile", "CompileScript", "v8.produceModuleCache", "CacheScript",
                "v8.parseOnBackground", "v8.evaluateModule", "V8.Parse"),
    "gc": ("MinorGC", "MajorGC", "V8.GC", "BlinkGC", "ThreadState::"),
    "style": ("UpdateLayoutTree", "RecalculateStyles", "ParseAuthorStyleSheet"),
    "layout": ("Layout", "UpdateLayerTree", "PrePaint", "Layerize", "IntersectionObserver"),
    "paint": ("Paint", "RasterTask", "CompositeLayers", "Commit"),
    "loading": ("ParseHTML", "DocumentLoader::", "NavigationBodyLoader::", "DecodedDataDocumentParser::",
                "HTMLDocumentParser::", "ResourceReceivedData", "ResourceReceiveResponse", "ResourceFinish",
                "PageTimingMetricsSender"),
}  # fmt: skip


def group_of(name: str) -> str | None:
    return next((g for g, prefixes in GROUPS.items() if name.startswith(prefixes)), None)


def main_thread_breakdown(path: Path) -> dict:
    """Self time (ms) by kind of work on the page's main thread, navigation start to interactive.

    The trace's complete events on CrRendererMain, nested by time; a parent keeps only the time
    its children do not cover. ``idle`` is the rest of the window: the thread waited (network).
    Under CPU throttling the numbers are throttled (wall) times, and Chrome's throttle suspends
    the thread inside tasks, so much of it shows as ``untraced``: read it beside phone-cpu.
    """
    events = orjson.loads(path.read_bytes())
    events = events["traceEvents"] if isinstance(events, dict) else events
    mark = next((e for e in events if e.get("name") == "seatmap-interactive"), None)
    if mark is None:
        return {}
    main = (mark["pid"], mark["tid"])  # the renderer that drew the page (not about:blank's)
    start, end = mark["ts"] - mark["args"]["data"]["startTime"] * 1000, mark["ts"]  # µs
    complete = sorted(
        (e for e in events if e.get("ph") == "X" and (e["pid"], e["tid"]) == main and "dur" in e),
        key=lambda e: (e["ts"], -e["dur"]),
    )
    totals: dict[str, float] = {}
    stack: list[list] = []  # [end, group, ts, dur, time covered by children]

    def close(entry) -> None:
        _end, group, ts, dur, children = entry
        lo, hi = max(ts, start), min(ts + dur, end)
        if hi > lo:
            totals[group] = totals.get(group, 0) + max(0.0, (hi - lo) - children)
        if stack:
            stack[-1][4] += max(0.0, min(ts + dur, end) - max(ts, start))

    for event in complete:
        while stack and stack[-1][0] <= event["ts"]:
            close(stack.pop())
        group = group_of(event["name"])
        if group is None:
            group = stack[-1][1] if stack else "untraced"
        stack.append([event["ts"] + event["dur"], group, event["ts"], event["dur"], 0.0])
    while stack:
        close(stack.pop())
    window = (end - start) / 1000
    result = {group: round(us / 1000, 1) for group, us in sorted(totals.items(), key=lambda kv: -kv[1])}
    result["idle"] = round(window - sum(totals.values()) / 1000, 1)
    result["window"] = round(window, 1)
    return result


# --- the server this benchmark builds ---------------------------------------------------------


class OwnServer:
    """A fresh database with the 40,000-seat stadium, collected static files, gunicorn."""

    def __init__(self, *, db: str, port: int, out: Path):
        self.db, self.port, self.out = db, port, out
        self.static = Path(tempfile.mkdtemp(prefix="tti-static-"))
        self.env = prepare.server_environment(db) | {
            "STATIC_ROOT": str(self.static),
            "CACHE_URL": "locmemcache://",  # nothing of a page load is throttled
            "PYTHONWARNINGS": "",
        }
        self.env.pop("CACHE_KEY_PREFIX", None)
        self.server: AppServer | None = None
        self.event_id: int | None = None

    def start(self) -> str:
        log(f"fresh database {self.db}")
        prepare.database_recreate(self.db)
        prepare.django_setup(self.env)
        log(f"migrated in {prepare.migrate():.1f} s; seed_demo --large (the 40,000-seat stadium)")
        self.event_id = stadium_seed()
        prepare.connections_close()
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT, env={**os.environ, **self.env}, check=True,
        )  # fmt: skip
        log(f"static files collected into {self.static}; gunicorn on 127.0.0.1:{self.port}")
        self.server = AppServer(
            port=self.port,
            workers=0,
            threads=1,
            env=self.env,
            log_path=self.out / "gunicorn-tti.log",
            name="bench-tti",
        )
        for name in ("GUNICORN_WORKERS", "GUNICORN_THREADS"):  # config/gunicorn.py decides
            self.server.env.pop(name)
        self.server.start()
        return self.server.url

    def stop(self) -> None:
        if self.server:
            self.server.stop()
        import shutil

        shutil.rmtree(self.static, ignore_errors=True)
        prepare.connections_close()
        prepare.database_drop(self.db)


def stadium_seed() -> int:
    """``seed_demo --large``: the demo data and its 40,000-seat stadium match; its event id."""
    from django.core.management import call_command

    from ticketing.models import Event

    call_command("seed_demo", large=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    event = Event.objects.get(home_team="France", away_team="Brazil")
    assert event.seats.count() == 40_000, event.seats.count()
    return event.pk


def warm_up(base_url: str, event_id: int) -> None:
    """A server on sale is warm: its workers' first requests (imports, the event's rendered
    layout in each process) are not the buyer's."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for _ in range(12):
            for path in ("/", f"/api/v1/events/{event_id}/", f"/api/v1/events/{event_id}/seats/"):
                client.get(path, headers={"Accept-Encoding": "gzip"}).raise_for_status()


def biggest_event(base_url: str) -> int:
    """With --base-url and no --event: the on-sale event with the most seats."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        events = client.get("/api/v1/events/", params={"page_size": 100}).raise_for_status().json()
        best, most = None, -1
        for event in events.get("results", events):
            seats = client.get(f"/api/v1/events/{event['id']}/seats/").raise_for_status().json()
            count = len(seats.get("seats", []))
            if count > most:
                best, most = event["id"], count
    if best is None:
        raise SystemExit(f"No event at {base_url}")
    return best


# --- report -----------------------------------------------------------------------------------


def med(values: list, fmt: str = "{:,.0f}") -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    m = fmt.format(statistics.median(values))
    if len(values) == 1 or min(values) == max(values):
        return m
    return f"{m} [{fmt.format(min(values))}–{fmt.format(max(values))}]"


def one_line(run: dict) -> str:
    return (
        f"interactive {run['tti_ms']:,.0f} ms, {run['bytes'] / 1000:,.0f} kB in {run['requests']} requests;"
        f" seat map {run['seatmap_bytes'] / 1000:,.0f} kB in {run['seatmap_ms']:,.0f} ms"
        f" (done at {run['seatmap_end_ms']:,.0f} ms, applied {run['after_seatmap_ms']:,.0f} ms later,"
        f" at {run['seats_ms']:,.0f} ms);"
        f" section open {run['section_open_ms']:,.0f} ms"
    )


ROWS = (
    ("**time to interactive, ms**", lambda r: r["tti_ms"], "{:,.0f}"),
    ("bytes transferred until interactive, kB", lambda r: r["bytes"] / 1000, "{:,.0f}"),
    ("requests until interactive", lambda r: r["requests"], "{:,.0f}"),
    ("seat map request: transfer, kB (gzip)", lambda r: r["seatmap_bytes"] / 1000, "{:,.0f}"),
    ("seat map request: JSON decoded, kB", lambda r: r["seatmap_decoded_bytes"] / 1000, "{:,.0f}"),
    ("seat map request: duration, ms", lambda r: r["seatmap_ms"], "{:,.0f}"),
    ("seat map request: starts at, ms", lambda r: r["seatmap_start_ms"], "{:,.0f}"),
    ("seat map received → applied, ms", lambda r: r["after_seatmap_ms"], "{:,.0f}"),
    ("**whole map applied (every seat tappable), ms**", lambda r: r["seats_ms"], "{:,.0f}"),
    ("**section open (tap → seats drawn), ms**", lambda r: r["section_open_ms"], "{:,.0f}"),
    ("… of which `section-switch`, ms", lambda r: r["section_switch_ms"], "{:,.0f}"),
)


def report(results: dict) -> list[str]:
    meta = results["meta"]
    runs = results["runs"]
    names = [name for name in runs if name in DEVICES]
    lines = [
        f"# Time to interactive: the {meta['seats']:,}-seat event page",
        "",
        f"{meta['started']}, git {meta['git']}, {meta['cpus']} CPUs, load average"
        f" {meta['loadavg_at_start'][0]:.2f} at start, {meta['loadavg_at_end'][0]:.2f} at the end;"
        f" {meta['server']}; `{meta['command']}`.",
        f"Medians of {meta['repeats']} cold loads [min–max]; target: interactive in under"
        f" {TARGET_MS / 1000:g} s on the phone.",
        "",
    ]
    for name in names:
        lines.append(f"- {name}: {DEVICES[name].describe()}")
    lines += ["", "| | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for label, get, fmt in ROWS:
        lines.append(f"| {label} | " + " | ".join(med([get(r) for r in runs[n]], fmt) for n in names) + " |")
    for name in names:
        for run in runs.get(f"{name}-traced", []):
            parts = ", ".join(f"{k} {v:,.0f}" for k, v in run["main_thread"].items() if k != "window")
            lines += [
                "",
                f"{name}, one more load under a Chrome trace (not in the medians; interactive at"
                f" {run['tti_ms']:,.0f} ms): the main thread's self time until interactive, ms: {parts}.",
            ]
    if "phone" in runs:
        worst = max(r["tti_ms"] for r in runs["phone"])
        median = statistics.median(r["tti_ms"] for r in runs["phone"])
        verdict = "met" if median < TARGET_MS else "NOT met"
        lines += [
            "",
            f"Target {TARGET_MS:,} ms on the phone: {verdict} (median {median:,.0f}, worst {worst:,.0f}).",
        ]
    return lines


# --- command ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3, help="cold loads per device")
    parser.add_argument("--devices", nargs="+", choices=list(DEVICES), default=["phone", "desktop"])
    parser.add_argument("--base-url", help="measure this running server instead of building one")
    parser.add_argument("--event", type=int, help="with --base-url: the event (default: the biggest)")
    parser.add_argument("--port", type=int, default=8061)
    parser.add_argument("--db", default="h_bench_tti", help="database to (re)create; must start with h_bench")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds a page may take to be interactive"
    )
    parser.add_argument("--json", type=Path, help="also write the results (every run) here")
    parser.add_argument("--trace", type=Path, help="one more phone load, traced, into this folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = ROOT / "artifacts" / "bench" / f"tti-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    own = None if args.base_url else OwnServer(db=args.db, port=args.port, out=out)
    results: dict = {
        "meta": {
            "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "command": " ".join(["python -m tools.bench.tti", *sys.argv[1:]]),
            "cpus": os.cpu_count(),
            "loadavg_at_start": os.getloadavg(),
            "git": git_revision(),
            "repeats": args.repeats,
            "devices": {name: asdict(DEVICES[name]) for name in args.devices},
        }
    }
    try:
        if own:
            base_url = own.start()
            event_id = own.event_id
            results["meta"]["server"] = "gunicorn (config/gunicorn.py), whitenoise, DEBUG off, no proxy"
        else:
            base_url = args.base_url.rstrip("/")
            event_id = args.event or biggest_event(base_url)
            results["meta"]["server"] = base_url
        warm_up(base_url, event_id)
        with httpx.Client(base_url=base_url, timeout=30) as client:
            seats = client.get(f"/api/v1/events/{event_id}/seats/").raise_for_status().json()["seats"]
        results["meta"] |= {"base_url": base_url, "event_id": event_id, "seats": len(seats)}
        log(f"event {event_id}: {len(seats):,} seats; {args.repeats} cold loads per device")
        results["runs"] = measure(
            base_url=base_url,
            event_id=event_id,
            devices=[DEVICES[name] for name in args.devices],
            repeats=args.repeats,
            timeout_s=args.timeout,
            trace_dir=args.trace,
        )
    except PageFailed as failure:
        log(f"FAILED: {failure}")
        return 1
    finally:
        if own:
            own.stop()
    results["meta"]["loadavg_at_end"] = os.getloadavg()
    text = "\n".join(report(results))
    print(text)
    (out / "tti.md").write_text(text + "\n")
    (out / "tti.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    log(f"wrote {out / 'tti.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
