"""Run Debian's Pushpin (the GRIP proxy of the live seat stream) in front of a test server.

Its own run directory, routes to the given origin, every port moved by ``PORT_OFFSET`` (HTTP on
8049, publishing on 5611) so it never meets the ``make stack`` one. Always stopped when the block
ends. Tests that need it fail under REQUIRE_PUSHPIN=1 (CI) and skip elsewhere when the package is
missing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.live_server import process_group_stop

PORT_OFFSET = 50
SIG_KEY = "pushpin-test-sig-key"


@dataclass
class Pushpin:
    url: str  # where clients connect
    grip_url: str  # the app's GRIP_URL: publish endpoint and signing key
    rundir: Path

    def log(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in sorted(self.rundir.glob("log/*.log")))


def pushpin_available() -> bool:
    available = shutil.which("pushpin") is not None
    if not available and os.environ.get("REQUIRE_PUSHPIN") == "1":
        pytest.fail("pushpin is not installed (apt-get install pushpin) and REQUIRE_PUSHPIN=1")
    return available


requires_pushpin = pytest.mark.skipif(
    shutil.which("pushpin") is None and os.environ.get("REQUIRE_PUSHPIN") != "1",
    reason="Debian's pushpin package is not installed (apt-get install pushpin)",
)


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def pushpin(origin: str, *, timeout: float = 20) -> Iterator[Pushpin]:
    """Pushpin routing every request to ``origin`` (``host:port``)."""
    if not pushpin_available():
        pytest.skip("pushpin is not installed")
    rundir = Path(tempfile.mkdtemp(prefix="h_pushpin_"))
    (rundir / "log").mkdir()
    (rundir / "routes").write_text(f"* {origin}\n")
    config = Path("/etc/pushpin/pushpin.conf").read_text()
    config = config.replace("rundir=/var/run/pushpin", f"rundir={rundir}")
    config = config.replace("logdir=/var/log/pushpin", f"logdir={rundir / 'log'}")
    config = config.replace("http_port=7999", f"http_port=127.0.0.1:{7999 + PORT_OFFSET}")
    for port in (5560, 5561, 5562, 5563):  # the handler's ZeroMQ and HTTP publish ports
        config = config.replace(f"127.0.0.1:{port}", f"127.0.0.1:{port + PORT_OFFSET}")
    config = config.replace("push_in_http_port=5561", f"push_in_http_port={5561 + PORT_OFFSET}")
    config = config.replace("routesfile=routes", f"routesfile={rundir / 'routes'}")
    config = config.replace("sig_key=changeme", f"sig_key={SIG_KEY}")
    # Debian's package expects a system zurl (the outgoing HTTP client) under /var/run/zurl: the
    # runner starts its own instead, with its sockets in this run directory.
    config = config.replace("services=condure,pushpin-proxy", "services=condure,zurl,pushpin-proxy")
    zurl = "ipc://{rundir}/{ipc_prefix}zurl"
    config = config.replace(
        "[proxy]\n",
        f"[proxy]\nzurl_out_specs={zurl}-in\nzurl_out_stream_specs={zurl}-in-stream\nzurl_in_specs={zurl}-out\n",
        1,
    )
    config = config.replace("log_level=2", f"log_level={os.environ.get('PUSHPIN_LOG_LEVEL', '2')}")
    (rundir / "pushpin.conf").write_text(config)
    http_port, publish_port = 7999 + PORT_OFFSET, 5561 + PORT_OFFSET
    if _answers(http_port):
        raise RuntimeError(f"port {http_port} is taken: another test Pushpin still runs?")
    process = subprocess.Popen(
        ["pushpin", "--config", str(rundir / "pushpin.conf")],
        stdout=(rundir / "log" / "runner.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    found = Pushpin(
        url=f"http://127.0.0.1:{http_port}",
        grip_url=f"http://127.0.0.1:{publish_port}?key={SIG_KEY}",
        rundir=rundir,
    )
    try:
        deadline = time.monotonic() + timeout
        while not (_answers(http_port) and _answers(publish_port)):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pushpin did not start:\n{found.log()}")
            time.sleep(0.1)
        # The ports answer before the proxy and the handler have connected their ZeroMQ sockets:
        # a stream held that early is answered 500 (seen in CI). A moment more.
        time.sleep(1.0)
        yield found
    finally:
        process_group_stop(process)
        shutil.rmtree(rundir, ignore_errors=True)
