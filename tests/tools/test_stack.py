"""tools/stack.py: its nginx configuration is config/nginx.conf with this machine's addresses, and
Pushpin routes the streams to every instance."""

from __future__ import annotations

import shutil
import subprocess

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
