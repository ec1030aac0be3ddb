"""CPU seconds spent by each side of a run, read from /proc: the app servers, PostgreSQL and the
load generator, so that a run can say what one request cost each of them.

``CpuMeter.start()`` then ``stop()`` gives the CPU each group used in between (user + system,
threads included). The app group is every gunicorn master and worker of the run; PostgreSQL is
every process of the cluster (the benchmark's database is the only busy one during a run);
the load generator is this process. Linux only: elsewhere every figure is ``None``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of one process (all its threads), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # fields 14 and 15 of proc(5)


def pids_named(prefix: str) -> list[int]:
    """Processes whose command name starts with ``prefix`` (``postgres``, ``nginx``)."""
    found = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().startswith(prefix):
                found.append(int(comm.parent.name))
        except (OSError, ValueError):
            continue
    return found


class CpuMeter:
    """CPU seconds per group between ``start`` and ``stop``. ``groups`` maps a name to a
    function listing that group's pids now (asked at both ends: a process that appears
    meanwhile, a new PostgreSQL backend say, counts from zero; one that exits is lost)."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]]):
        self.groups = groups
        self.available = Path("/proc/self/stat").exists()

    def _snapshot(self) -> dict[str, dict[int, float]]:
        return {name: {pid: process_cpu_seconds(pid) for pid in pids()} for name, pids in self.groups.items()}

    def start(self) -> None:
        self.began = self._snapshot() if self.available else {}
        self.began_self, self.began_wall = time.process_time(), time.perf_counter()

    def stop(self) -> dict[str, float | None]:
        """CPU seconds per group, plus ``load_generator`` (this process) and ``wall``."""
        used: dict[str, float | None] = {}
        ended = self._snapshot() if self.available else {}
        for name in self.groups:
            if not self.available:
                used[name] = None
                continue
            before = self.began.get(name, {})
            used[name] = sum(cpu - before.get(pid, 0.0) for pid, cpu in ended[name].items())
        used["load_generator"] = time.process_time() - self.began_self
        used["wall"] = time.perf_counter() - self.began_wall
        return used


def per_request_ms(used: dict[str, float | None], requests: int) -> dict[str, float | None]:
    """CPU milliseconds per request of each group (``wall`` left out)."""
    return {
        name: None if seconds is None else round(seconds / max(1, requests) * 1000, 3)
        for name, seconds in used.items()
        if name != "wall"
    }
