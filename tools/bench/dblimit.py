"""The database limit: pgbench running the SQL of one hold request, as the product sends it
(the scripts ``tools.bench.hold_script`` generates at the start of the benchmark)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tools.bench.load import percentile


def pgbench_hold(
    *,
    scripts: dict[int, str],
    db_name: str,
    clients: int,
    seconds: float,
    event_id: int,
    user_range: tuple[int, int],
    first_seat: int,
    span: int,
) -> dict[str, Any]:
    """Run pgbench for ``seconds`` with ``clients`` connections; transactions/s and latency."""
    if not shutil.which("pgbench"):
        return {"skipped": "pgbench is not installed"}
    with tempfile.TemporaryDirectory(prefix="h_bench_pgbench_") as tmp:
        files = []
        for seats, text in sorted(scripts.items()):  # one per seat count, picked evenly
            files += ["-f", str(Path(tmp) / f"hold_{seats}.sql")]
            Path(files[-1]).write_text(text)
        argv = [
            "pgbench",
            "-h", "127.0.0.1", "-U", "postgres", "-n",
            "-c", str(clients), "-j", str(min(2, clients)),
            "-T", str(max(1, round(seconds))),
            *files,
            "-D", f"event={event_id}", "-D", f"umin={user_range[0]}", "-D", f"umax={user_range[1]}",
            "-D", f"smin={first_seat}", "-D", f"span={span}",
            "-l", "--log-prefix", f"{tmp}/tx",
            db_name,
        ]  # fmt: skip
        result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
        if result.returncode != 0:
            return {"error": (result.stderr or result.stdout)[-800:]}
        latencies = []
        for log in Path(tmp).glob("tx*"):
            for line in log.read_text().splitlines():
                fields = line.split()
                if len(fields) >= 3:
                    latencies.append(int(fields[2]) / 1e6)  # microseconds
    latencies.sort()
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    return {
        "clients": clients,
        "transactions": len(latencies),
        "tps": float(tps.group(1)) if tps else None,
        "failed": int(failed.group(1)) if failed else 0,
        "latency_ms": {f"p{q}": round(percentile(latencies, q) * 1000, 2) for q in (50, 95, 99)}
        if latencies
        else {},
    }


def holds_made(event_id: int) -> int:
    from ticketing.models import Hold

    return Hold.objects.filter(event_id=event_id).count()
