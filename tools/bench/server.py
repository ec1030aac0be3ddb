"""Start and stop gunicorn app servers on 127.0.0.1 (config/gunicorn.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


class AppServer:
    """One gunicorn instance (a master and its workers) on one loopback port."""

    def __init__(
        self,
        *,
        port: int,
        workers: int,
        threads: int,
        env: dict[str, str],
        log_path: Path,
        name: str = "bench",
        loglevel: str = "warning",
        extra_env: dict[str, str] | None = None,
    ):
        self.port, self.workers, self.threads = port, workers, threads
        self.env = {
            **os.environ,
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_THREADS": str(threads),
            "GUNICORN_LOGLEVEL": loglevel,
            "GUNICORN_PROC_NAME": f"{name}-{port}",
            **(extra_env or {}),
        }
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        if port_answers(self.port):
            raise SystemExit(f"Port {self.port} is already in use; choose another with --port.")
        log = self.log_path.open("ab")
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [str(gunicorn), "config.wsgi", "-c", str(ROOT / "config" / "gunicorn.py")],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn on port {self.port} exited; see {self.log_path}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"gunicorn on port {self.port} did not become healthy; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        """The worker pids: the children of the master this object started."""
        assert self.process is not None
        master = self.process.pid
        path = Path(f"/proc/{master}/task/{master}/children")
        if path.exists():
            return [int(pid) for pid in path.read_text().split()]
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                    children.append(int(stat.parent.name))
        return children

    def stop(self) -> None:
        """Stop this instance by its own pid (graceful, then forced)."""
        process_stop(self.process)


def port_answers(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=0.5)
    except httpx.HTTPError:
        return False
    return True


class Notifier:
    """The ``send_notifications`` worker, as production runs it beside the app servers (the
    compose notifier service): booking emails are built and sent here, not in the requests.
    Niced, like a background job should be on a box it shares with the app: it catches up.
    ``nice`` alone is not enough on Linux with autogroup scheduling (the default on desktops and
    on this box): a process in its own session is its own scheduling group, and niceness only
    ranks processes inside a group, so the worker is also given its group's niceness
    (``/proc/<pid>/autogroup``); without it, it took half a core from the requests."""

    def __init__(self, *, env: dict[str, str], log_path: Path, every: float = 1.0, niceness: int = 19):
        self.env = {**os.environ, **env}
        self.log_path, self.every, self.niceness = log_path, every, niceness
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                *("nice", "-n", str(self.niceness), sys.executable, "manage.py", "send_notifications"),
                *("--every", str(self.every)),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        autogroup = Path(f"/proc/{self.process.pid}/autogroup")
        with contextlib.suppress(OSError):  # no autogroup (kernel option, or not Linux)
            autogroup.write_text(str(self.niceness))

    def stop(self) -> None:
        process_stop(self.process)


def process_stop(process: subprocess.Popen | None) -> None:
    """SIGTERM to a process this module started, then SIGKILL to its session if it lingers."""
    if not process or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
