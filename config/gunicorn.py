"""Gunicorn settings, read from the environment: ``gunicorn config.wsgi -c config/gunicorn.py``.

Threaded sync workers (gthread): keep-alive connections, one Django database connection per
thread, no async overhead (sync DRF views under ASGI were 2-5x slower here). Keep
``workers x threads`` small: every thread is a PostgreSQL backend, and a 2-core box loses
throughput with hundreds of backends. The on-sale benchmark (tools/bench/onsale.py) uses this file.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2)
threads = _int("GUNICORN_THREADS", 2)
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
