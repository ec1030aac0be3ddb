"""Prometheus metrics: what an on-sale operator watches (README, "On-sale runbook").

``GET /metrics`` in the Prometheus text format, only to clients in ``METRICS_ALLOWED_CIDRS``
(default: loopback; the client's address is the one the throttles use, so ``NUM_PROXIES``
applies, and nginx refuses the path from outside too): anyone else gets a 404.

- ``http_request_duration_seconds{route, method, status}``: a histogram of every request, by the
  URL pattern's name (never the raw path: ids would make a series each);
- ``ticketing_holds_total{outcome}`` and ``ticketing_bookings_total{outcome}``: holds and
  bookings asked for, by outcome (``created`` or the error code of the refusal, e.g.
  ``seats_unavailable``, ``hold_expired``, ``throttled``);
- ``ticketing_queue_admissions_total{event}``: buyers let through a waiting room (the admission
  rate is its ``rate()``);
- what other apps register through ``collectors`` at start-up (ticketing: sweeper lag, outbox
  backlog, read from the database, and the waiting rooms' lengths, read from Redis;
  ``ticketing/metrics.py``), read at scrape time.

Under gunicorn every worker is a process: ``config/gunicorn.py`` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before the app is loaded, and a scrape adds up
what the workers wrote there (prometheus-client's multiprocess mode). Without it (runserver, the
tests) the process's own registry is read.
"""

from __future__ import annotations

import ipaddress
import os
import time

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import REGISTRY as PROCESS_REGISTRY
from rest_framework.throttling import BaseThrottle

#: Multiprocess mode is decided once, when prometheus_client is imported (as it decides itself):
#: the directory must be set before (config/gunicorn.py, in the master). Set later (a test
#: importing config.gunicorn), it changes nothing.
MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None

#: Buckets for a buyer's request: the stampede's p99 lives between 0.1 and 2 s.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0)

REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds",
    "Time to answer a request, by URL pattern name, method and status.",
    ["route", "method", "status"],
    buckets=BUCKETS,
)
HOLDS = Counter(
    "ticketing_holds", "Holds asked for, by outcome (created, or the refusal's code).", ["outcome"]
)
BOOKINGS = Counter(
    "ticketing_bookings", "Bookings asked for, by outcome (created, or the refusal's code).", ["outcome"]
)

QUEUE_ADMISSIONS = Counter(
    "ticketing_queue_admissions",
    "Buyers let through an event's waiting room (counted when first seen admitted), by event.",
    ["event"],
)

#: The routes whose outcomes are counted: URL pattern name -> counter.
OUTCOMES = {"event-holds": HOLDS, "booking-list": BOOKINGS}

#: Collectors other apps add at start-up (``AppConfig.ready``): called at scrape time.
collectors: list[object] = []


def request_observe(request: HttpRequest, response: HttpResponse, started: float) -> None:
    """Record one answered request (called by RequestIdMiddleware)."""
    match = getattr(request, "resolver_match", None)
    route = (match.url_name or match.route) if match else "unmatched"
    REQUEST_SECONDS.labels(route, request.method, str(response.status_code)).observe(
        time.perf_counter() - started
    )
    counter = OUTCOMES.get(route)
    if counter is not None and request.method == "POST":
        status = response.status_code
        counter.labels(
            "created" if status in (200, 201) else getattr(response, "error_code", str(status))
        ).inc()


def _allowed(request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(BaseThrottle().get_ident(request))
    except ValueError:
        return False
    return any(address in network for network in allowed_networks())


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(cidr.strip(), strict=False)
        for cidr in settings.METRICS_ALLOWED_CIDRS
        if cidr.strip()
    ]


def exposition() -> bytes:
    """What a scrape reads: every worker's files in multiprocess mode (else this process's own
    registry), then the collectors apps added, read now."""
    if MULTIPROCESS_DIR:
        from prometheus_client import multiprocess

        requests = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests, path=MULTIPROCESS_DIR)
    else:
        requests = PROCESS_REGISTRY
    extra = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        extra.register(collector)
    return generate_latest(requests) + generate_latest(extra)


@require_safe
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        raise Http404()
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


def collector_add(collector: object) -> None:
    """Register a collector read at every scrape (idempotent)."""
    if collector not in collectors:
        collectors.append(collector)
