"""Run the real application under gunicorn (several workers) against the test database.

For tests that must cross process boundaries (a throttle shared by workers). Loopback only,
ports 8031-8039, always stopped (SIGTERM, then SIGKILL) when the block ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[1]
PORTS = range(8031, 8040)


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            # As gunicorn binds: a port whose last connections are in TIME_WAIT is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8031-8039")


def test_database_url() -> str:
    """A DATABASE_URL that points a subprocess at the database this test uses."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


def process_group_stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process's group (its own session), SIGKILL after 10 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def gunicorn(
    *, workers: int = 3, env: dict[str, str] | None = None, timeout: float = 20
) -> Iterator[LiveServer]:
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="h_gunicorn_", suffix=".log", delete=False)  # noqa: SIM115
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": test_database_url(),
        "SECRET_KEY": "live-server-test-secret-key-0123456789-abcdefghijklmnop",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": "1",
        "GUNICORN_PRELOAD": "1",
        **(env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.py"],
        cwd=BASE_DIR,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{Path(log.name).read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{Path(log.name).read_text()}")
            time.sleep(0.2)
        yield LiveServer(url=url, process=process, log_path=Path(log.name))
    finally:
        process_group_stop(process)
        log.close()
        # closing our own connection lets the test database be flushed or dropped afterwards
        connection.close()
