"""The production topology on this machine, without Docker: ``make stack`` / ``make stack-stop``.

    python tools/stack.py up       # start everything, return when every part answers
    python tools/stack.py down     # stop everything it started (by pid file), nothing else
    python tools/stack.py status   # what runs, by pid file
    python tools/stack.py reset    # down, then drop the stack's database (the next up re-seeds)

What runs where (docker-compose.yml describes the same topology):

    nginx      127.0.0.1:8080    config/nginx.conf with this machine's upstream addresses
    pushpin    127.0.0.1:7999    the seat streams (GRIP), routed to every app instance through
                                 nginx's internal listener 127.0.0.1:8081;
               127.0.0.1:5561    its publish endpoint (HTTP control); 5560, 5562, 5563 (ZeroMQ)
    app1..N    127.0.0.1:8101..  gunicorn (config/gunicorn.py), STACK_INSTANCES (2) instances of
                                 STACK_WORKERS (2) sync workers each
    checkout   127.0.0.1:8100    gunicorn, STACK_CHECKOUT_WORKERS (2) sync workers: the bookings
                                 (nginx's checkout lane, config/nginx.conf)
    pgbouncer  127.0.0.1:6432    transaction mode, in front of PostgreSQL 127.0.0.1:5432
    redis      127.0.0.1:6379    the machine's own when it answers, else one started here
    sweeper, notifier, publisher  release_expired_holds --every 5, send_notifications --every 2,
                                 publish_seat_changes --every 0.2 (when the command exists)

The environment every app process gets (``.stack/app.env``, to run manage.py against the stack):
``DATABASE_URL`` through PgBouncer with ``DB_POOLER=pgbouncer`` (the timeouts are the database's
own defaults, written by ``set_database_timeouts`` before PgBouncer connects); ``GRIP_URL`` =
``http://127.0.0.1:5561?key=<secret>``, Pushpin's publish endpoint with the key Pushpin signs its
requests with (its ``sig_key``: the app verifies ``Grip-Sig`` with it, the publisher publishes
there); ``CACHE_URL`` on Redis; ``TICKETING_NOTIFICATIONS_INLINE=false`` (the notifier sends);
``NUM_PROXIES=1``; DEBUG off with secrets generated once into ``.stack/secrets.env``.

Everything it writes is under ``.stack/`` (git-ignored): generated configuration in ``conf/``,
pid files and Pushpin's runtime directory in ``run/``, logs in ``logs/``, collected static files
in ``static/``. Each process is started in its own session with its pid in ``run/<name>.pid``;
``down`` stops each process group it finds there, after checking that the pid is still the
program it started. The shared PostgreSQL is never stopped, nor a Redis it did not start.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from base64 import b64encode
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STACK = Path(os.environ.get("STACK_DIR", ROOT / ".stack")).resolve()
CONF, RUN, LOGS = STACK / "conf", STACK / "run", STACK / "logs"
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"

HOST = "127.0.0.1"
NGINX_PORT = 8080
NGINX_INTERNAL_PORT = 8081  # Pushpin -> nginx -> every app instance
PUSHPIN_PORT, PUSHPIN_PUBLISH_PORT = 7999, 5561
PUSHPIN_ZMQ_PORTS = (5560, 5562, 5563)  # push in, push in sub, command (Pushpin's defaults)
PGBOUNCER_PORT = 6432
POSTGRES_PORT = int(os.environ.get("STACK_POSTGRES_PORT", "5432"))
REDIS_PORT = 6379
FIRST_APP_PORT = 8101
INSTANCES = int(os.environ.get("STACK_INSTANCES", "2"))
WORKERS = int(os.environ.get("STACK_WORKERS", "2"))
CHECKOUT_PORT = 8100
CHECKOUT_WORKERS = int(os.environ.get("STACK_CHECKOUT_WORKERS", "2"))
DATABASE = os.environ.get("STACK_DB", "ticketing_stack")
PACKAGES = {"nginx": "nginx", "pgbouncer": "pgbouncer", "pushpin": "pushpin"}

DEMO_ACCOUNTS = (
    ("staff", "staff-demo-pass", "staff"),
    ("alice", "alice-demo-pass", "buyer"),
    ("bob", "bob-demo-pass", "buyer"),
)


def say(message: str) -> None:
    print(f"stack: {message}", flush=True)


def fail(message: str) -> None:
    raise SystemExit(f"stack: {message}")


# --- processes ---------------------------------------------------------------------------------


@dataclass
class Service:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    ports: tuple[int, ...] = ()

    @property
    def pid_file(self) -> Path:
        return RUN / f"{self.name}.pid"

    @property
    def log(self) -> Path:
        return LOGS / f"{self.name}.log"


def started_at(pid: int) -> str:
    """The process's start time (clock ticks since boot): with the pid, it names one process."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]


def pid_of(pid_file: Path) -> int | None:
    """The pid in the file if that process is alive and is still the one started then."""
    try:
        pid_text, start_time = pid_file.read_text().split()
        pid = int(pid_text)
        alive = started_at(pid) == start_time
    except (OSError, ValueError):
        return None
    return pid if alive else None


def start(service: Service) -> bool:
    """Start ``service`` in its own session, logging to logs/<name>.log; False if it runs already."""
    if pid_of(service.pid_file):
        return False
    for port in service.ports:
        if port_open(port):
            fail(f"{service.name}: port {port} is already taken by another program")
    with service.log.open("ab") as log:
        process = subprocess.Popen(
            service.argv,
            cwd=ROOT,
            env={**os.environ, **service.env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    service.pid_file.write_text(f"{process.pid} {started_at(process.pid)}\n")
    return True


def stop(pid_file: Path, *, grace: float = 15.0) -> str | None:
    """SIGTERM the process group a pid file names, SIGKILL it after ``grace``; its name if it ran."""
    pid = pid_of(pid_file)
    pid_file.unlink(missing_ok=True)
    if pid is None:
        return None
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return None
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and group_alive(pid):
        time.sleep(0.1)
    if group_alive(pid):
        os.killpg(pid, signal.SIGKILL)
    return pid_file.stem


def group_alive(pgid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(-pgid, os.WNOHANG)  # reap our own children (a failed up started them)
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # zombies count as gone
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((HOST, port)) == 0


def wait_for(what: str, check, *, service: Service | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if service is not None and pid_of(service.pid_file) is None:
            fail(f"{what} exited; see {service.log}")
        time.sleep(0.2)
    fail(f"{what} did not answer within {timeout:.0f} s; see {service.log if service else LOGS}")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # loopback URLs only
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def run(*argv: str | Path, env: dict[str, str] | None = None, quiet: bool = False) -> str:
    result = subprocess.run(
        [str(a) for a in argv], cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True
    )
    if result.returncode != 0:
        fail(f"{' '.join(map(str, argv))} failed:\n{result.stdout}{result.stderr}")
    if not quiet and result.stdout.strip():
        print(result.stdout.rstrip())
    return result.stdout


def psql(sql: str, *, port: int = POSTGRES_PORT, database: str = "postgres") -> str:
    return run(
        "psql", "-h", HOST, "-p", str(port), "-U", "postgres", "-d", database, "-Atqc", sql, quiet=True
    )


# --- configuration -------------------------------------------------------------------------------


def secrets_get() -> dict[str, str]:
    """The stack's secrets, made once (tokens and tickets stay valid across restarts)."""
    path = STACK / "secrets.env"
    made = {
        "SECRET_KEY": lambda: secrets.token_urlsafe(50),
        "TICKETING_SIGNING_KEY": lambda: b64encode(os.urandom(32)).decode(),
        "TICKETING_QUEUE_KEY": lambda: secrets.token_urlsafe(40),
        "GRIP_KEY": lambda: secrets.token_urlsafe(32),
    }
    known = (
        dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
        if path.exists()
        else {}
    )
    missing = {name: make() for name, make in made.items() if name not in known}
    if missing:  # a first start, or a secret this version adds
        with path.open("a") as file:
            file.write("".join(f"{k}={v}\n" for k, v in missing.items()))
        path.chmod(0o600)
    return {**known, **missing}


def app_environment() -> dict[str, str]:
    keys = secrets_get()
    return {
        "DEBUG": "false",
        "SECRET_KEY": keys["SECRET_KEY"],
        "TICKETING_SIGNING_KEY": keys["TICKETING_SIGNING_KEY"],
        "TICKETING_QUEUE_KEY": keys["TICKETING_QUEUE_KEY"],
        "DJANGO_ENV_FILE": os.devnull,  # this environment only, not a developer's .env
        "ALLOWED_HOSTS": f"{HOST},localhost",
        "CSRF_TRUSTED_ORIGINS": f"http://{HOST}:{NGINX_PORT},http://localhost:{NGINX_PORT}",
        # plain HTTP on the loopback: no TLS redirect, HSTS or secure-only cookies (the admin)
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "DATABASE_URL": f"postgres://postgres@{HOST}:{PGBOUNCER_PORT}/{DATABASE}",
        "DB_POOLER": "pgbouncer",
        "CACHE_URL": f"redis://{HOST}:{REDIS_PORT}/0",
        "CACHE_KEY_PREFIX": DATABASE,
        "GRIP_URL": f"http://{HOST}:{PUSHPIN_PUBLISH_PORT}?key={keys['GRIP_KEY']}",
        "NUM_PROXIES": "1",
        "TICKETING_NOTIFICATIONS_INLINE": "false",
        "TICKETING_PUBLIC_URL": f"http://{HOST}:{NGINX_PORT}",
        "STATIC_ROOT": str(STACK / "static"),
        "LOG_FORMAT": "json",
        # STACK_APP_<NAME>=value: one more setting for the app processes (the benchmark's rates)
        **{
            name.removeprefix("STACK_APP_"): value
            for name, value in os.environ.items()
            if name.startswith("STACK_APP_")
        },
    }


def direct_environment() -> dict[str, str]:
    """The app's environment on PostgreSQL itself: migrations and the timeouts, before PgBouncer."""
    return {**app_environment(), "DATABASE_URL": f"postgres://postgres@{HOST}:{POSTGRES_PORT}/{DATABASE}"}


def nginx_conf(app_ports: list[int]) -> str:
    """config/nginx.conf, with this machine's upstreams and listen address, and paths in .stack/."""
    text = (ROOT / "config" / "nginx.conf").read_text()
    upstreams = {
        "app": [f"{HOST}:{port}" for port in app_ports],
        "checkout": [f"{HOST}:{CHECKOUT_PORT}"],
        "pushpin": [f"{HOST}:{PUSHPIN_PORT}"],
    }
    for name, servers in upstreams.items():
        block = re.compile(rf"(upstream {name} \{{\n)((?:\s*server [^;]+;\n)+)")
        if not block.search(text):
            fail(f"config/nginx.conf has no `upstream {name}` with server lines")
        text = block.sub(
            lambda m, s=servers: m.group(1) + "".join(f"    server {a};\n" for a in s), text, count=1
        )
    text, listens = re.subn(r"(?m)^(\s*)listen 8080;", rf"\1listen {HOST}:{NGINX_PORT};", text)
    text, internal = re.subn(r"(?m)^(\s*)listen 8081;", rf"\1listen {HOST}:{NGINX_INTERNAL_PORT};", text)
    if (listens, internal) != (1, 1):
        fail("config/nginx.conf should have one `listen 8080;` and one `listen 8081;`")
    temp = RUN / "nginx"
    paths = "".join(
        f"  {kind}_temp_path {temp / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    header = "# generated by tools/stack.py from config/nginx.conf: edit that file\n"
    header += f"pid {RUN / 'nginx' / 'nginx.pid'};\n"
    return header + text.replace("http {\n", "http {\n" + paths, 1)


def pgbouncer_conf() -> str:
    return f"""\
; generated by tools/stack.py: PgBouncer in transaction mode in front of PostgreSQL
[databases]
{DATABASE} = host={HOST} port={POSTGRES_PORT} dbname={DATABASE}

[pgbouncer]
listen_addr = {HOST}
listen_port = {PGBOUNCER_PORT}
unix_socket_dir =
; loopback only, as the machine's PostgreSQL (trust): the user must still be in the auth file
auth_type = trust
auth_file = {CONF / "pgbouncer-users.txt"}
admin_users = postgres
pool_mode = transaction
; two cores: a few more server connections than running transactions can use, every client
; (2 instances x 2 workers, the three workers, manage.py) served from them
default_pool_size = 20
max_client_conn = 500
; the timeouts are the database's defaults (set_database_timeouts), not startup options
ignore_startup_parameters =
server_lifetime = 3600
server_idle_timeout = 600
logfile = {LOGS / "pgbouncer.log"}
pidfile =
"""


def pushpin_conf(grip_key: str) -> str:
    """/etc/pushpin/pushpin.conf's settings with its ports, paths and signing key in .stack/."""
    rundir = RUN / "pushpin"
    return f"""\
# generated by tools/stack.py (see /etc/pushpin/pushpin.conf for every setting)
[global]
include={{libdir}}/internal.conf
rundir={rundir}
ipc_prefix=stack-
port_offset=0
stats_connection_ttl=120

[runner]
services=condure,pushpin-proxy,pushpin-handler
http_port={HOST}:{PUSHPIN_PORT}
logdir={LOGS / "pushpin"}
log_level=2
client_buffer_size=8192
client_maxconn=50000
condure_bin=condure

[proxy]
# Pushpin's requests to the app go through zurl (run beside it, not Debian's system service)
zurl_out_specs=ipc://{RUN / "zurl"}/zurl-in
zurl_out_stream_specs=ipc://{RUN / "zurl"}/zurl-in-stream
zurl_in_specs=ipc://{RUN / "zurl"}/zurl-out
routesfile={CONF / "pushpin-routes"}
debug=false
auto_cross_origin=false
accept_x_forwarded_protocol=false
set_x_forwarded_protocol=proto-only
x_forwarded_for=
x_forwarded_for_trusted=
orig_headers_need_mark=
accept_pushpin_route=false
log_from=false
log_user_agent=false
# Pushpin signs every request it forwards (Grip-Sig) with this key; the app verifies it with
# the key of GRIP_URL, the same value
sig_iss=pushpin
sig_key={grip_key}
upstream_key=
updates_check=off

[handler]
push_in_spec=tcp://{HOST}:{PUSHPIN_ZMQ_PORTS[0]}
push_in_sub_specs=tcp://{HOST}:{PUSHPIN_ZMQ_PORTS[1]}
push_in_sub_connect=false
push_in_http_addr={HOST}
push_in_http_port={PUSHPIN_PUBLISH_PORT}
push_in_http_max_headers_size=10000
push_in_http_max_body_size=1000000
stats_spec=ipc://{{rundir}}/{{ipc_prefix}}stats
command_spec=tcp://{HOST}:{PUSHPIN_ZMQ_PORTS[2]}
# One seat message to 5,000 watchers is 5,000 sends: Debian's 2,500 a second would spread it
# over two seconds (SPEC §8 wants it delivered within one)
message_rate=200000
message_hwm=200000
# Pushpin's own figures (connection_connected: the watchers; message_sent) for Prometheus
prometheus_port=9102
message_wait=5000
id_cache_ttl=60
connection_subscription_max=20
subscription_linger=60
stats_subscription_ttl=60
stats_report_interval=10
stats_format=tnetstring
"""


def zurl_conf() -> str:
    """Pushpin's HTTP client worker. Requests to the routes' targets ignore its policy; anything
    else Pushpin might be asked to fetch may not reach the private networks."""
    return f"""\
# generated by tools/stack.py (see /etc/zurl.conf)
[General]
instance_id=
in_spec=ipc://{RUN / "zurl"}/zurl-in
in_stream_spec=ipc://{RUN / "zurl"}/zurl-in-stream
out_spec=ipc://{RUN / "zurl"}/zurl-out
in_req_spec=
defpolicy=allow
allow=
deny=127.*,10.*,192.168.*,*.local
max_open_requests=20000
buffer_size=200000
timeout=600
in_hwm=20000
out_hwm=20000
"""


def pushpin_routes(app_ports: list[int]) -> str:
    # Pushpin only moves to its next target when one does not answer: nginx's internal listener
    # spreads the streams' openings over every instance (``app_ports``: its upstream).
    del app_ports
    header = "# generated by tools/stack.py: Pushpin's requests go to nginx's internal listener\n"
    return header + f"* {HOST}:{NGINX_INTERNAL_PORT}\n"


# --- the steps -------------------------------------------------------------------------------------


def packages_ensure() -> None:
    missing = [package for program, package in PACKAGES.items() if shutil.which(program) is None]
    if not missing:
        return
    say(f"installing {', '.join(missing)} (apt-get)")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", *missing],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def postgres_ensure() -> None:
    if subprocess.run(["pg_isready", "-h", HOST, "-p", str(POSTGRES_PORT), "-q"]).returncode != 0:
        fail(
            f"PostgreSQL does not answer on {HOST}:{POSTGRES_PORT}; start it first"
            " (the machine's, shared: the stack neither starts nor stops it)"
        )


def database_prepare() -> bool:
    """Create the stack's database if new, write its session defaults, migrate; True if new."""
    new = psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'").strip() != "1"
    if new:
        say(f"creating the database {DATABASE}")
        psql(f'CREATE DATABASE "{DATABASE}"')
    env = direct_environment()
    # before PgBouncer opens a server connection: every one of them starts with these
    run(PYTHON, "manage.py", "set_database_timeouts", env=env, quiet=True)
    say("migrating")
    run(PYTHON, "manage.py", "migrate", "--noinput", env=env, quiet=True)
    if new:
        say("seeding the demo (seed_demo)")
        run(PYTHON, "manage.py", "seed_demo", env=env, quiet=True)
    run(PYTHON, "manage.py", "collectstatic", "--noinput", env=env, quiet=True)
    return new


def publisher_available(env: dict[str, str]) -> bool:
    result = subprocess.run(
        [str(PYTHON), "manage.py", "help", "publish_seat_changes"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
    )
    return result.returncode == 0


def is_app(name: str) -> bool:
    """Whether a service is a gunicorn instance (an appN or the checkout lane's)."""
    return name.startswith("app") or name == "checkout"


def services(env: dict[str, str], app_ports: list[int], publisher: bool) -> list[Service]:
    """The app instances (their ports: ``app_ports``, then the checkout lane's), then the workers."""

    def instance(name: str, port: int, workers: str) -> Service:
        return Service(
            name,
            [str(GUNICORN), "config.wsgi", "-c", "config/gunicorn.py"],
            {
                **env,
                "GUNICORN_BIND": f"{HOST}:{port}",
                "GUNICORN_WORKERS": workers,
                "GUNICORN_PROC_NAME": f"ticketing-stack-{name}",
                "PROMETHEUS_MULTIPROC_DIR": str(RUN / f"metrics-{name}"),
            },
            (port,),
        )

    apps = [
        instance(f"app{index}", port, os.environ.get("GUNICORN_WORKERS", str(WORKERS)))
        for index, port in enumerate(app_ports, start=1)
    ]
    apps.append(instance("checkout", CHECKOUT_PORT, str(CHECKOUT_WORKERS)))
    workers = [
        Service("sweeper", [str(PYTHON), "manage.py", "release_expired_holds", "--every", "5"], env),
        Service("notifier", [str(PYTHON), "manage.py", "send_notifications", "--every", "2"], env),
    ]
    if publisher:
        workers.append(
            Service("publisher", [str(PYTHON), "manage.py", "publish_seat_changes", "--every", "0.2"], env)
        )
    return apps + workers


def up() -> None:
    for directory in (CONF, RUN, LOGS, LOGS / "pushpin", RUN / "pushpin", RUN / "nginx"):
        directory.mkdir(parents=True, exist_ok=True)
    packages_ensure()
    postgres_ensure()
    app_ports = [FIRST_APP_PORT + i for i in range(INSTANCES)]
    if INSTANCES < 1:
        fail("STACK_INSTANCES must be at least 1")
    env = app_environment()
    (STACK / "app.env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    (STACK / "app.env").chmod(0o600)
    new = database_prepare()

    # Redis: the machine's own when it answers
    if not redis_ping():
        (STACK / "redis").mkdir(exist_ok=True)
        redis = Service(
            "redis",
            [
                "redis-server",
                "--bind",
                HOST,
                "--port",
                str(REDIS_PORT),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(STACK / "redis"),
            ],
            ports=(REDIS_PORT,),
        )
        start(redis)
        wait_for("redis", redis_ping, service=redis)
    redis_ours = pid_of(RUN / "redis.pid") is not None

    # PgBouncer (it refuses to run as root: it runs as the postgres user, which owns its log)
    (CONF / "pgbouncer.ini").write_text(pgbouncer_conf())
    (CONF / "pgbouncer-users.txt").write_text('"postgres" ""\n')
    pgbouncer_log = LOGS / "pgbouncer.log"
    pgbouncer_log.touch()
    argv = ["pgbouncer", str(CONF / "pgbouncer.ini")]
    if os.geteuid() == 0:
        shutil.chown(pgbouncer_log, "postgres")
        argv[1:1] = ["-u", "postgres"]
    pgbouncer = Service("pgbouncer", argv, ports=(PGBOUNCER_PORT,))
    if not start(pgbouncer):
        # already running: its open server connections predate this run's set_database_timeouts
        psql(f"RECONNECT {DATABASE}", port=PGBOUNCER_PORT, database="pgbouncer")
    wait_for("pgbouncer", lambda: pgbouncer_lock_timeout() is not None, service=pgbouncer)
    run(PYTHON, "manage.py", "set_database_timeouts", "--check", env=env, quiet=True)  # through it

    runnable = services(env, app_ports, publisher_available(env))
    apps = [s for s in runnable if is_app(s.name)]
    for app in apps:
        if not pid_of(app.pid_file):  # each start counts its metrics afresh (config/gunicorn.py)
            metrics = Path(app.env["PROMETHEUS_MULTIPROC_DIR"])
            shutil.rmtree(metrics, ignore_errors=True)
            metrics.mkdir()
        start(app)
    for app, port in zip(apps, [*app_ports, CHECKOUT_PORT], strict=True):
        wait_for(app.name, lambda p=port: http_ok(f"http://{HOST}:{p}/healthz"), service=app, timeout=60)

    (CONF / "pushpin-routes").write_text(pushpin_routes(app_ports))
    (CONF / "pushpin.conf").write_text(pushpin_conf(secrets_get()["GRIP_KEY"]))
    pushpin = Service(
        "pushpin",
        ["pushpin", "--config", str(CONF / "pushpin.conf")],
        ports=(PUSHPIN_PORT, PUSHPIN_PUBLISH_PORT, *PUSHPIN_ZMQ_PORTS),
    )
    (RUN / "zurl").mkdir(exist_ok=True)
    (CONF / "zurl.conf").write_text(zurl_conf())
    zurl = Service("zurl", ["zurl", f"--config={CONF / 'zurl.conf'}"])
    start(zurl)
    wait_for("zurl", lambda: (RUN / "zurl" / "zurl-in").exists(), service=zurl)
    start(pushpin)
    wait_for("pushpin", lambda: port_open(PUSHPIN_PORT) and port_open(PUSHPIN_PUBLISH_PORT), service=pushpin)

    (CONF / "nginx.conf").write_text(nginx_conf(app_ports))
    run("nginx", "-t", "-q", "-e", LOGS / "nginx-error.log", "-p", RUN / "nginx", "-c", CONF / "nginx.conf")
    nginx = Service(
        "nginx",
        [
            "nginx",
            "-e",
            str(LOGS / "nginx-error.log"),
            "-p",
            str(RUN / "nginx"),
            "-c",
            str(CONF / "nginx.conf"),
            "-g",
            "daemon off;",
        ],
        ports=(NGINX_PORT,),
    )
    start(nginx)
    wait_for("nginx", lambda: http_ok(f"http://{HOST}:{NGINX_PORT}/healthz"), service=nginx)

    workers = [s for s in runnable if not is_app(s.name)]
    for worker in workers:
        start(worker)
    time.sleep(2)  # a worker that cannot start (settings, database) exits at once
    for worker in workers:
        if pid_of(worker.pid_file) is None:
            fail(f"{worker.name} exited; see {worker.log}")

    summary(app_ports, new=new, redis_ours=redis_ours, publisher=any(w.name == "publisher" for w in workers))


def redis_ping() -> bool:
    try:
        with socket.create_connection((HOST, REDIS_PORT), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def pgbouncer_lock_timeout() -> str | None:
    result = subprocess.run(
        [
            "psql",
            "-h",
            HOST,
            "-p",
            str(PGBOUNCER_PORT),
            "-U",
            "postgres",
            "-d",
            DATABASE,
            "-Atqc",
            "SHOW lock_timeout",
        ],
        capture_output=True,
        text=True,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def summary(app_ports: list[int], *, new: bool, redis_ours: bool, publisher: bool) -> None:
    base = f"http://{HOST}:{NGINX_PORT}"
    apps = ", ".join(f"{HOST}:{p}" for p in app_ports)
    workers = os.environ.get("GUNICORN_WORKERS", WORKERS)
    redis = "started by the stack" if redis_ours else "the machine's own, left running by stack-stop"
    lines = [
        "",
        f"The stack is up{' (new database, demo seeded)' if new else ' (database kept)'}:",
        f"  nginx       {base}  ->  the app instances; the seat streams -> Pushpin",
        f"  pushpin     {HOST}:{PUSHPIN_PORT} streams, {HOST}:{PUSHPIN_PUBLISH_PORT} publish;"
        f" to {apps} through nginx's {HOST}:{NGINX_INTERNAL_PORT}",
        f"  app x{len(app_ports)}      {apps}  gunicorn, {workers} sync workers each, /metrics per instance",
        f"  checkout    {HOST}:{CHECKOUT_PORT}  gunicorn, {CHECKOUT_WORKERS} sync workers: the bookings",
        f"  pgbouncer   {HOST}:{PGBOUNCER_PORT}  transaction mode -> {HOST}:{POSTGRES_PORT}/{DATABASE}",
        f"  redis       {HOST}:{REDIS_PORT}  {redis}",
        "  sweeper     release_expired_holds --every 5",
        "  notifier    send_notifications --every 2",
        "  publisher   "
        + (
            "publish_seat_changes --every 0.2"
            if publisher
            else "NOT STARTED: manage.py has no publish_seat_changes command yet"
        ),
        "",
        f"  buyer client {base}/    API docs {base}/api/v1/docs/    admin {base}/admin/",
        "  demo accounts: " + ", ".join(f"{u} / {p} ({r})" for u, p, r in DEMO_ACCOUNTS),
        f"  logs {LOGS}/    the app's environment {STACK / 'app.env'}",
        "  stop: make stack-stop    status: make stack-status    fresh database: make stack-reset",
    ]
    print("\n".join(lines), flush=True)


ORDER = ("nginx", "pushpin", "zurl", "publisher", "notifier", "sweeper")  # then the apps, pgbouncer, redis


def down() -> None:
    if not RUN.exists():
        say("nothing to stop")
        return
    pid_files = {p.stem: p for p in RUN.glob("*.pid")}
    order = [*ORDER, *sorted(n for n in pid_files if is_app(n)), "pgbouncer", "redis"]
    names = [n for n in order if n in pid_files] + [n for n in pid_files if n not in order]
    stopped = [name for name in names if stop(pid_files[name])]
    say(f"stopped {', '.join(stopped)}" if stopped else "nothing was running")


def status() -> None:
    pid_files = sorted(RUN.glob("*.pid")) if RUN.exists() else []
    rows = [(p.stem, pid_of(p)) for p in pid_files]
    if not rows:
        say("nothing runs")
    for name, pid in rows:
        print(f"  {name:<10} {'pid ' + str(pid) if pid else 'not running (stale pid file)'}")


def reset() -> None:
    down()
    postgres_ensure()
    psql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    say(f"dropped the database {DATABASE}; `make stack` creates and seeds it again")


def main(argv: list[str]) -> None:
    commands = {"up": up, "down": down, "status": status, "reset": reset}
    if len(argv) != 1 or argv[0] not in commands:
        raise SystemExit(f"usage: python tools/stack.py {{{'|'.join(commands)}}}")
    try:
        commands[argv[0]]()
    except SystemExit as error:
        if argv[0] == "up" and error.code not in (0, None):
            print(error.code, file=sys.stderr)
            raise SystemExit("stack: what did start still runs: `make stack-stop` stops it") from None
        raise


if __name__ == "__main__":
    main(sys.argv[1:])
