"""tools/stack.py: its nginx configuration is config/nginx.conf with this machine's addresses, and
Pushpin routes the streams to every instance."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tools import stack

CONFIG = stack.ROOT / "config" / "nginx.conf"


def test_the_stack_nginx_conf_is_config_nginx_conf_with_local_upstreams(tmp_path, monkeypatch):
    monkeypatch.setattr(stack, "RUN", tmp_path)
    # when
    rendered = stack.nginx_conf([8101, 8102, 8103])
    # then: the upstreams and the listen address are this machine's ...
    assert (
        "    server 127.0.0.1:8101;\n    server 127.0.0.1:8102;\n    server 127.0.0.1:8103;\n    keepalive"
        in rendered
    )
    assert "  upstream checkout {\n    server 127.0.0.1:8100;\n" in rendered  # the checkout lane
    assert "    server 127.0.0.1:7999;\n" in rendered
    assert "listen 127.0.0.1:8080;" in rendered
    assert "listen 127.0.0.1:8081;" in rendered  # Pushpin's way back to the instances
    # ... and every other line of config/nginx.conf is there unchanged (one file, not two copies)
    changed = {
        "server app1:8000;",
        "server app2:8000;",
        "server checkout:8000;",
        "server pushpin:7999;",
        "listen 8080;",
        "listen 8081;",
    }
    for line in CONFIG.read_text().splitlines():
        if line.strip() not in changed:
            assert line in rendered.splitlines()


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_stack_conf(tmp_path, monkeypatch):
    monkeypatch.setattr(stack, "RUN", tmp_path)
    (tmp_path / "nginx").mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(stack.nginx_conf([8101, 8102]))
    result = subprocess.run(
        ["nginx", "-t", "-q", "-e", str(tmp_path / "error.log"), "-p", str(tmp_path), "-c", str(conf)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_pushpin_routes_the_streams_to_every_instance_through_nginx():
    # Pushpin tries its targets in order (only the first while it answers): nginx's internal
    # listener spreads the openings over the instances of its upstream
    assert stack.pushpin_routes([8101, 8102]).splitlines()[-1] == "* 127.0.0.1:8081"
    assert "listen 127.0.0.1:8081;" in stack.nginx_conf([8101, 8102])


def test_pushpin_signs_with_the_key_the_app_reads_from_grip_url(tmp_path, monkeypatch):
    monkeypatch.setattr(stack, "STACK", tmp_path)
    env = stack.app_environment()
    key = env["GRIP_URL"].split("?key=", 1)[1]
    assert env["GRIP_URL"].startswith("http://127.0.0.1:5561?key=")
    assert f"\nsig_key={key}\n" in stack.pushpin_conf(key)
    assert env["DB_POOLER"] == "pgbouncer"
    assert env["DATABASE_URL"].startswith("postgres://postgres@127.0.0.1:6432/")


def test_the_stack_runs_the_checkout_lane_that_nginx_sends_bookings_to():
    # then: config/nginx.conf sends the bookings collection to upstream checkout ...
    text = CONFIG.read_text()
    lane = text.index("location = /api/v1/bookings/ {")
    assert text[lane:].split("}", 1)[0].strip().endswith("proxy_pass http://checkout;")
    # ... and the stack starts an instance on that upstream's port, beside the app instances
    apps = [s for s in stack.services({}, [8101, 8102], publisher=False) if stack.is_app(s.name)]
    assert [(s.name, s.ports) for s in apps] == [("app1", (8101,)), ("app2", (8102,)), ("checkout", (8100,))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_sends_the_bookings_to_the_checkout_lane(tmp_path, monkeypatch):
    # given: two stub upstreams that answer with their own name, and the stack's nginx in front
    def stub(name: str) -> ThreadingHTTPServer:
        class Handler(BaseHTTPRequestHandler):
            def answer(self):
                self.send_response(200)
                self.send_header("Content-Length", str(len(name)))
                self.end_headers()
                self.wfile.write(name.encode())

            do_GET = do_POST = answer

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    app, checkout = stub("app"), stub("checkout")
    monkeypatch.setattr(stack, "RUN", tmp_path)
    monkeypatch.setattr(stack, "CHECKOUT_PORT", checkout.server_port)
    (tmp_path / "nginx").mkdir()
    port, internal = _free_port(), _free_port()
    conf = stack.nginx_conf([app.server_port])
    conf = conf.replace("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{port};")
    conf = conf.replace("listen 127.0.0.1:8081;", f"listen 127.0.0.1:{internal};")
    (tmp_path / "nginx.conf").write_text(conf)
    argv = [
        "nginx",
        "-e",
        str(tmp_path / "error.log"),
        "-p",
        str(tmp_path),
        "-c",
        str(tmp_path / "nginx.conf"),
    ]
    nginx = subprocess.Popen(
        [*argv, "-g", "daemon off;"],
        stderr=subprocess.DEVNULL,
    )

    def served_by(path: str, method: str = "GET", **headers) -> str:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, headers=headers)
        with urllib.request.urlopen(request, data=b"{}" if method == "POST" else None, timeout=5) as r:
            return r.read().decode()

    try:
        for _ in range(50):
            try:
                served_by("/healthz")
                break
            except OSError:
                time.sleep(0.1)
        # then: a booking takes the checkout lane ...
        assert served_by("/api/v1/bookings/", "POST") == "checkout"
        # ... the holds, the queue's polls and everything else the app instances
        assert served_by("/api/v1/events/7/holds/", "POST") == "app"
        assert served_by("/api/v1/events/7/queue/", **{"Queue-Token": "t"}) == "app"
        assert served_by("/api/v1/bookings/3/") == "app"
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        app.shutdown()
        checkout.shutdown()
