"""Gunicorn settings, read from the environment: ``gunicorn config.wsgi -c config/gunicorn.py``.

Sync workers, two per core, behind nginx (``config/nginx.conf``; docker-compose.yml runs it):
the measured best on the on-sale stampede (README, "The stampede"; ``python -m
tools.bench.stampede --matrix`` runs the comparison). A sync worker answers one request at a
time and closes the connection, so every request goes to whichever worker is free: under a
stampede (medians of 3) the hold p99 was 428 ms [426-465] against 812 ms [673-867] with
threaded workers (4 x 2), whose keep-alive connections stay with the worker that accepted them
and pile up unevenly; the successful holds/s were within 5% (36.2 against 34.4). A sync
worker must not face slow clients itself: nginx buffers requests and responses and keeps the
clients' connections alive. ``GUNICORN_THREADS`` > 1 switches to threaded workers (gthread) for
a deployment without a buffering proxy. Every worker holds one PostgreSQL backend per thread:
keep ``workers x threads`` small. The bookings get an instance of their own behind the same
nginx (its checkout lane, ``config/nginx.conf``): 2 workers of this same configuration.
"""

import json
import multiprocessing
import os

from gunicorn import util


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2)
threads = _int("GUNICORN_THREADS", 1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread" if threads > 1 else "sync")
# Queued connections beyond the workers wait in the kernel backlog, not in a worker.
backlog = _int("GUNICORN_BACKLOG", 2048)
worker_connections = _int("GUNICORN_WORKER_CONNECTIONS", 1000)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 10)
# Recycle workers now and then (leaks), with jitter so they do not all restart together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max(1, max_requests // 10) if max_requests else 0
# Load the app once in the master, fork workers from it (Django connects lazily, after fork).
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = os.environ.get("GUNICORN_PROC_NAME", "ticketing")

# Gunicorn's own lines (boot, worker timeouts, killed workers) as JSON too, like the app's
# (config/logging.py). The app writes one access line per request (ACCESS_LOG), so gunicorn's
# access log stays quiet unless GUNICORN_ACCESSLOG asks for it.
if os.environ.get("LOG_FORMAT", "json") == "json":
    logconfig_dict = {
        "formatters": {"generic": {"()": "config.logging.JsonFormatter"}},
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {
                "level": "INFO" if accesslog else "WARNING",
                "handlers": ["console"],
                "propagate": False,
            },
        },
    }

# Requests gunicorn refuses before the application sees them (a request line over
# limit_request_line, 4094 bytes; more than limit_request_fields headers or one over
# limit_request_field_size; malformed HTTP) are answered in the API's JSON envelope, not with
# gunicorn's HTML page. Gunicorn writes all of them through util.write_error, for every worker
# class; the master replaces it before forking the workers.
PARSE_ERRORS = {
    400: ("bad_request", "The request is not valid HTTP."),
    403: ("forbidden", "The request is forbidden."),
    414: ("request_line_too_long", "The request line (method, path and query) is too long."),
    417: ("expectation_failed", "The Expect header cannot be met."),
    431: ("request_headers_too_large", "There are too many request headers, or one is too large."),
    501: ("not_implemented", "The transfer coding is not supported."),
}


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn.util.write_error's signature; ``mesg`` quotes the request, so it is not sent."""
    code, detail = PARSE_ERRORS.get(status_int, ("server_error", "Internal server error."))
    body = json.dumps({"code": code, "detail": detail}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


# Metrics (config/metrics.py): every worker writes its figures to files in one directory, which a
# scrape adds up (prometheus-client's multiprocess mode). It must be set before the app (and so
# prometheus_client) is loaded, here in the master; a fresh directory each start, unless given.
_metrics_dir_made = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    import tempfile

    _metrics_dir_made = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ticketing-metrics-")


def on_exit(server) -> None:
    """The master stops: the metrics directory it made goes with it."""
    if _metrics_dir_made:
        import shutil

        shutil.rmtree(_metrics_dir_made, ignore_errors=True)


def on_starting(server) -> None:
    util.write_error = write_json_error


def child_exit(server, worker) -> None:
    """A worker ended: its live gauges go (its counters and histograms stay in the sums)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
