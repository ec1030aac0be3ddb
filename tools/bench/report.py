"""The benchmark's outputs: a markdown report, the JSON it is made from, and a PNG chart."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ("hot", "spread", "best")  # best: POST best_available, the server picks


def git_revision() -> str:
    """The commit the run measured, ``+dirty`` with uncommitted changes."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
        ).stdout
        return rev + ("+dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _lat(run: dict, endpoint: str, q: str = "p99") -> Any:
    return run.get("latency_ms", {}).get(endpoint, {}).get(q)


def _statuses(run: dict, endpoints=("map", "hold", "book", "release")) -> str:
    parts = []
    for endpoint in endpoints:
        counts = run.get("status", {}).get(endpoint)
        if counts:
            parts.append(endpoint + " " + " ".join(f"{code}:{n}" for code, n in counts.items()))
    return "; ".join(parts)


def rush_table(levels: list[dict], scenario: str) -> list[str]:
    lines = [
        f"#### Rush, scenario `{scenario}`",
        "",
        "| buyers | holds/s (201) | hold req/s | bookings/s | req/s | hold p50 / p95 / p99 ms "
        "| hold p50 / p99 in Django ms | client loop lag p99 ms "
        "| book p99 ms | map p99 ms | 5xx | double bookings | stuck seats | sold out after s "
        "| seats booked |",
        "|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in levels:
        run = level["rush"].get(scenario)
        if not run:
            continue
        server = run.get("server_ms", {}).get("hold", {})
        lines.append(
            f"| {level['buyers']} | {_fmt(run['holds_per_s'], 1)} | {_fmt(run['hold_requests_per_s'], 1)}"
            f" | {_fmt(run['bookings_per_s'], 1)} | {_fmt(run['requests_per_s'], 1)}"
            f" | {_fmt(_lat(run, 'hold', 'p50'), 1)} / {_fmt(_lat(run, 'hold', 'p95'), 1)}"
            f" / {_fmt(_lat(run, 'hold'), 1)}"
            f" | {_fmt(server.get('p50'), 1)} / {_fmt(server.get('p99'), 1)}"
            f" | {_fmt(run.get('client_loop_lag_ms', {}).get('p99'), 1)}"
            f" | {_fmt(_lat(run, 'book'), 1)} | {_fmt(_lat(run, 'map'), 1)} | {run['server_errors_5xx']}"
            f" | {run['checks']['double_bookings']} | {_fmt(run['checks'].get('stuck_seats'))}"
            f" | {_fmt(run['sold_out_s'], 1)} | {run['seats_booked']}/{run['block_seats']} |"
        )
    return lines


def status_table(levels: list[dict]) -> list[str]:
    lines = ["| run | answers by status |", "|---|---|"]
    for level in levels:
        for scenario in SCENARIOS:
            if scenario not in level["rush"]:
                continue
            run = level["rush"][scenario]
            lines.append(f"| rush {scenario} N={level['buyers']} | {_statuses(run)} |")
    return lines


def reference_table(levels: list[dict]) -> list[str]:
    lines = [
        "| buyers | floor req/s (`GET /auth/me/`) | floor p99 ms | hold burst hot req/s (201/s) "
        "| hold burst p99 ms | **hold / floor** | pgbench hot tps (clients) | pgbench p99 ms "
        "| hold / database | hold burst spread req/s | pgbench spread tps "
        "| load generator CPU ms per request, floor / hold burst |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in levels:
        floor, burst, spread = level["floor"], level["holds"].get("hot", {}), level["holds"].get("spread", {})
        db, db_spread = level["pgbench"].get("hot", {}), level["pgbench"].get("spread", {})
        lines.append(
            f"| {level['buyers']} | {_fmt(floor.get('requests_per_s'), 0)} | {_fmt(_lat(floor, 'me'), 1)}"
            f" | {_fmt(burst.get('requests_per_s'), 0)} ({_fmt(burst.get('holds_per_s'), 0)})"
            f" | {_fmt(_lat(burst, 'hold'), 1)} | **{_fmt(level['ratios']['hold_vs_floor'] * 100, 0)}%**"
            f" | {_fmt(db.get('tps'), 0)} ({db.get('clients', '–')})"
            f" | {_fmt(db.get('latency_ms', {}).get('p99'), 1)}"
            f" | {_fmt(level['ratios']['hold_vs_database'] * 100, 0)}%"
            f" | {_fmt(spread.get('requests_per_s'), 0)} ({_fmt(spread.get('holds_per_s'), 0)})"
            f" | {_fmt(db_spread.get('tps'), 0)}"
            f" | {_fmt(floor.get('client_cpu_ms_per_request'), 2)}"
            f" / {_fmt(burst.get('client_cpu_ms_per_request'), 2)} |"
        )
    return lines


def micro_table(micro: dict) -> list[str]:
    if not micro:
        return []
    inv, seat_map = micro["inventory"], micro["seat_map"]
    return [
        "| measure | value | target |",
        "|---|---:|---:|",
        f"| inventory of {inv['seats']:,} seats (event_create), median of {len(inv['runs_ms'])} "
        f"| {_fmt(inv['median_ms'], 0)} ms | < 3,000 ms |",
        f"| seat map {seat_map['seats']:,} seats, server time, gzip "
        f"| {_fmt(seat_map['server_full_gzip_ms'], 1)} ms | < 150 ms |",
        f"| … CPU time of the serving process | {_fmt(seat_map.get('server_full_gzip_cpu_ms'), 1)} ms | |",
        f"| seat map, server time, no gzip | {_fmt(seat_map['server_full_identity_ms'], 1)} ms | |",
        f"| seat map, bytes on the wire (gzip) | {_fmt(seat_map['http_wire_bytes'])} B | < 1.5 MB |",
        f"| seat map, JSON bytes | {_fmt(seat_map['json_bytes'])} B | |",
        f"| seat map over HTTP (gunicorn, loopback) | {_fmt(seat_map['http_full_gzip_ms'], 1)} ms | |",
        f"| 304 Not Modified, server time | {_fmt(seat_map['server_304_ms'], 2)} ms | < 10 ms |",
        f"| … CPU time of the serving process | {_fmt(seat_map.get('server_304_cpu_ms'), 2)} ms | |",
        f"| 304 Not Modified over HTTP | {_fmt(seat_map['http_304_ms'], 2)} ms | |",
    ]


def runs_table(runs: list[dict]) -> list[str]:
    """One line per rush run, with its correctness figures (two-instance runs, stampedes)."""
    if not runs:
        return []
    lines = [
        "| run | instances | think s | req/s | holds/s | bookings/s | hold p50 / p99 ms | book p99 ms "
        "| 5xx | double bookings | bookings missing | mismatched | stuck seats | seats booked |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        checks = run["checks"]
        lines.append(
            f"| rush {run['scenario']} N={run['buyers']} | {run['instances']} | {_fmt(run.get('think_s'))}"
            f" | {_fmt(run['requests_per_s'], 1)} | {_fmt(run['holds_per_s'], 1)}"
            f" | {_fmt(run['bookings_per_s'], 1)}"
            f" | {_fmt(_lat(run, 'hold', 'p50'), 1)} / {_fmt(_lat(run, 'hold'), 1)}"
            f" | {_fmt(_lat(run, 'book'), 1)} | {run['server_errors_5xx']}"
            f" | {checks['double_bookings']} | {checks['bookings_missing']} | {checks['bookings_mismatched']}"
            f" | {_fmt(checks.get('stuck_seats'))} | {run['seats_booked']}/{run['block_seats']} |"
        )
    return lines


def stampede_section(runs: list[dict]) -> list[str]:
    """The headline: the stampede (tools/bench/stampede.py), picking seats and best available."""
    if not runs:
        return []
    from tools.bench.stampede import headline_table

    pick = [run for run in runs if run["scenario"] == "pick"]
    best = [run for run in runs if run["scenario"] == "best"]
    buyers = runs[0]["buyers"]
    return [
        f"### Headline: the stampede ({buyers} buyers, no think time, a fresh 1,000-seat show)",
        "",
        "Each buyer picks 1-4 of the 40 best seats not yet booked, holds, then books (80%) or"
        " releases (20%), again and again, until sold out or the time limit; best available asks"
        " for the best 2-4 seats together. CPU per request is what each process group spent"
        " during the run divided by the requests answered. One run each here;"
        " `python -m tools.bench.stampede` gives medians of 3 and the server configurations.",
        "",
        *headline_table(pick, best),
        "",
    ]


def targets_table(targets: list[dict]) -> list[str]:
    lines = ["| target | measured | |", "|---|---|---|"]
    for target in targets:
        lines.append(f"| {target['name']} | {target['measured']} | {'✅' if target['ok'] else '❌'} |")
    return lines


def markdown(results: dict) -> str:
    meta, levels = results["meta"], results["levels"]
    out = [
        f"## On-sale rush benchmark — {meta['started']} ({meta['profile']})",
        "",
        f"`{meta['command']}` · {meta['cpus']} CPUs (shared) · gunicorn {meta['instances']}×"
        f"{meta['workers']} workers × {meta['threads']} threads · PostgreSQL {meta['postgres']} · "
        f"rush venue {meta['venue_seats']:,} seats, hot block {meta['block_seats']:,} · hold time "
        f"{meta['hold_seconds']} s · git {meta['git']} · total {meta.get('total_seconds', 0):.0f} s",
        "",
        *stampede_section(results.get("stampede", [])),
        "### Targets",
        "",
        *targets_table(results.get("targets", [])),
        "",
        "### Reference points (same run, same buyers)",
        "",
        *reference_table(levels),
        "",
        "### The rush",
        "",
        f"Buyers think about {meta.get('think_s', 0):g} s (0.5x to 1.5x) before each hold (half of it"
        " after a 409) and before paying. They load the map of the block they want"
        " (`GET /events/{id}/seats/?section=…`, with If-None-Match) unless `--map-query` says otherwise."
        " Latencies are the buyers'; \"in Django\" is the server's own time for the same requests (the"
        " access log's `duration_ms`): the rest is waiting for a gunicorn thread, the network and the"
        ' load generator\'s loop, whose lateness is the "client loop lag".',
        "",
    ]
    for scenario in SCENARIOS:
        out += [*rush_table(levels, scenario), ""]
    out += ["#### Answers by status", "", *status_table(levels), ""]
    if results.get("scale_out"):
        out += [
            "### Two app servers (two gunicorn instances, load split)",
            "",
            *runs_table(results["scale_out"]),
            "",
        ]
    out += ["### Micro-benchmarks (40,000-seat event)", "", *micro_table(results.get("micro", {})), ""]
    out += [f"Chart: `{meta.get('chart', 'onsale.png')}`", ""]
    return "\n".join(out)


def chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = results["levels"]
    xs = [level["buyers"] for level in levels]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))

    def value(level: dict, *path: str):
        for key in path:
            level = level.get(key) or {}
        return level or None

    series = [
        ("floor GET /auth/me/ req/s", [value(lv, "floor", "requests_per_s") for lv in levels], "k--"),
        (
            "hold burst hot, hold req/s",
            [value(lv, "holds", "hot", "requests_per_s") for lv in levels],
            "C3-o",
        ),
        ("pgbench hold SQL hot, tps", [value(lv, "pgbench", "hot", "tps") for lv in levels], "C7:"),
        ("rush hot: holds/s (201)", [value(lv, "rush", "hot", "holds_per_s") for lv in levels], "C0-o"),
        ("rush hot: bookings/s", [value(lv, "rush", "hot", "bookings_per_s") for lv in levels], "C0--s"),
        ("rush spread: holds/s (201)", [value(lv, "rush", "spread", "holds_per_s") for lv in levels], "C1-o"),
        (
            "rush spread: bookings/s",
            [value(lv, "rush", "spread", "bookings_per_s") for lv in levels],
            "C1--s",
        ),
    ]
    for label, ys, style in series:
        if any(y is not None for y in ys):
            left.plot(xs, [float("nan") if y is None else y for y in ys], style, label=label)
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xticks(xs, [str(x) for x in xs])
    left.set_xlabel("concurrent buyers")
    left.set_ylabel("per second (log)")
    left.set_title("Throughput")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8)
    p99 = [
        ("floor /auth/me/", [_lat(lv["floor"], "me") for lv in levels], "k--"),
        ("hold burst hot", [_lat(lv["holds"].get("hot", {}), "hold") for lv in levels], "C3-o"),
        ("rush hot: hold", [_lat(lv["rush"].get("hot", {}), "hold") for lv in levels], "C0-o"),
        ("rush hot: book", [_lat(lv["rush"].get("hot", {}), "book") for lv in levels], "C0--s"),
        ("rush hot: seat map", [_lat(lv["rush"].get("hot", {}), "map") for lv in levels], "C0:^"),
        ("rush spread: hold", [_lat(lv["rush"].get("spread", {}), "hold") for lv in levels], "C1-o"),
        ("rush spread: book", [_lat(lv["rush"].get("spread", {}), "book") for lv in levels], "C1--s"),
    ]
    for label, ys, style in p99:
        if any(y is not None for y in ys):
            right.plot(xs, [float("nan") if y is None else y for y in ys], style, label=label)
    for run in results.get("stampede", []):
        right.plot(
            [run["buyers"]],
            [_lat(run, "hold")],
            "x",
            color="C0" if run["scenario"] == "pick" else "C1",
            label=f"stampede {run['scenario']} (no think): hold",
        )
    right.axhline(250, color="C3", alpha=0.4, linewidth=1)
    right.text(xs[0], 260, "target: hold p99 < 250 ms at 100 buyers", fontsize=7, color="C3")
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xticks(xs, [str(x) for x in xs])
    right.set_xlabel("concurrent buyers")
    right.set_ylabel("p99 latency, ms (log)")
    right.set_title("p99 latency")
    right.grid(True, which="both", alpha=0.3)
    right.legend(fontsize=8)
    meta = results["meta"]
    fig.suptitle(
        f"On-sale rush: {meta['block_seats']:,}-seat hot block, gunicorn {meta['workers']}×{meta['threads']},"
        f" {meta['cpus']} shared CPUs, load average {meta['loadavg_at_start'][0]:.1f} at start"
        f" ({meta['started']}); rush buyers think ~{meta.get('think_s', 0):g} s, the stampede never",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(results: dict, directory: Path, *, with_json: bool = True) -> dict[str, Path]:
    """The report (Markdown and chart) in ``directory``, and the results as JSON unless
    ``with_json`` is False (publishing to docs/: the JSON of a run stays in artifacts/)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": directory / "onsale.json",
        "markdown": directory / "onsale.md",
        "chart": directory / "onsale.png",
    }
    results["meta"]["chart"] = str(paths["chart"].name)
    if with_json:
        paths["json"].write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    paths["markdown"].write_text(markdown(results))
    if len(results["levels"]) >= 1:
        chart(results, paths["chart"])
    return paths
