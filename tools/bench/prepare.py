"""A fresh benchmark database and its data: halls, on-sale events, buyers with access tokens.

Everything goes through the product's own services (layout_replace, event_create), so the
benchmark measures the code that ships. Django is set up in this process against the fresh
database; the app servers are separate gunicorn processes pointed at the same database.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import psycopg

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
ROW_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def database_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def server_environment(db_name: str) -> dict[str, str]:
    """The environment of the orchestrator and of the app servers: production settings."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(db_name),
        "SECRET_KEY": "bench-" + secrets.token_urlsafe(40),
        "TICKETING_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback; a proxy terminates TLS
        "JWT_ACCESS_MINUTES": "240",  # pre-issued tokens outlive the run
        # Build the confirmation emails (QR codes included) but do not print them: the default
        # console backend would write ~10 KB per booking into the server log.
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        # As in production (docker-compose.yml): the notifier worker sends them (tools.bench.server).
        "TICKETING_NOTIFICATIONS_INLINE": "false",
        "PYTHONWARNINGS": "ignore::UserWarning",  # whitenoise: no collected static files
        # As in production (docker-compose.yml): throttle counters shared by the workers in Redis.
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/14"),
        "CACHE_KEY_PREFIX": "bench-" + secrets.token_hex(4),
    }


def database_recreate(name: str) -> None:
    if not name.startswith("h_bench"):
        raise SystemExit("The benchmark only creates databases named h_bench*.")
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_drop(name: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()
    # This process is the load generator: keep its own log quiet (the servers log to files).
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("httpx", "httpcore", "ticketing", "api"):
        logging.getLogger(name).setLevel(logging.WARNING)


def row_labels(count: int) -> list[str]:
    n = len(ROW_LETTERS)
    return [ROW_LETTERS[i] if i < n else ROW_LETTERS[i // n - 1] + ROW_LETTERS[i % n] for i in range(count)]


def block_layout(names: list[str], rows: int, seats: int, vip_rows: int) -> list[dict]:
    return [
        {
            "name": name,
            "rows": [
                {"label": label, "seats": seats, "category": "vip" if index < vip_rows else "standard"}
                for index, label in enumerate(row_labels(rows))
            ],
        }
        for name in names
    ]


@dataclass
class Buyer:
    user_id: int
    token: str


@dataclass
class Fixtures:
    rush_hall_id: int
    burst_hall_id: int
    big_hall_id: int | None
    hot_section: str
    buyers: list[Buyer] = field(default_factory=list)
    checker_buyers: list[Buyer] = field(default_factory=list)
    setup_seconds: dict[str, float] = field(default_factory=dict)


def migrate() -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    return time.perf_counter() - started


def hall_create(venue_name: str, hall_name: str, layout: list[dict]) -> int:
    from venues.models import Hall, Venue
    from venues.services import layout_replace

    venue = Venue.objects.create(name=venue_name, kind=Venue.Kind.STADIUM, city="Lyon")
    hall = Hall.objects.create(venue=venue, name=hall_name)
    layout_replace(hall=hall, sections=layout)
    return hall.pk


def buyers_create(count: int, prefix: str) -> list[Buyer]:
    """Buyers with unusable passwords and pre-issued access tokens (login is not measured)."""
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User

    users = User.objects.bulk_create(
        [User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com", password="!") for i in range(count)],
        batch_size=2000,
    )
    return [Buyer(user.pk, str(AccessToken.for_user(user))) for user in users]


BURST_BLOCKS = ["Block 01", "Block 02", "Block 03", "Block 04"]


def fixtures_create(*, venue_blocks: int, buyers: int, big_hall: bool = True) -> Fixtures:
    """The rush venue (a hot 1,000-seat block among ``venue_blocks`` blocks of 1,000), a
    10,000-seat hall for the hold bursts, and (for the micro-benchmarks) a 40,000-seat stadium."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    names = ["Centre", "North", "South", "East", "West", "Upper North", "Upper South", "Upper East"]
    rush_layout = block_layout(names[:venue_blocks], rows=20, seats=50, vip_rows=5)
    rush_hall = hall_create("Rush Arena", "Bowl", rush_layout)
    burst_hall = hall_create("Burst Arena", "Bowl", block_layout(BURST_BLOCKS, rows=50, seats=50, vip_rows=5))
    timings["rush_and_burst_halls"] = time.perf_counter() - started
    big_hall_id = None
    if big_hall:
        started = time.perf_counter()
        big_layout = block_layout([f"Block {n:02d}" for n in range(1, 17)], rows=50, seats=50, vip_rows=5)
        big_hall_id = hall_create("Grand Stade", "Bowl", big_layout)
        timings["big_hall_40k_layout"] = time.perf_counter() - started
    started = time.perf_counter()
    pool = buyers_create(buyers, "buyer")
    checkers = buyers_create(200, "checker")
    timings["buyers_and_tokens"] = time.perf_counter() - started
    return Fixtures(
        rush_hall_id=rush_hall,
        burst_hall_id=burst_hall,
        big_hall_id=big_hall_id,
        hot_section="Centre",
        buyers=pool,
        checker_buyers=checkers,
        setup_seconds=timings,
    )


def event_new(*, hall_id: int, name: str, hold_seconds: int) -> int:
    """An on-sale match in the hall, created by the product's event_create (inventory included)."""
    from django.utils import timezone

    from ticketing.models import Event
    from ticketing.services.events import event_create
    from venues.models import Hall

    event = event_create(
        kind=Event.Kind.MATCH,
        hall=Hall.objects.get(pk=hall_id),
        starts_at=timezone.now() + timedelta(days=30),
        home_team="Bench",
        away_team=name,
        prices={"vip": Decimal("80.00"), "standard": Decimal("35.00")},
        status=Event.Status.ON_SALE,
        hold_seconds=hold_seconds,
    )
    return event.pk


def event_seats(event_id: int, section: str | None = None) -> list[tuple[int, str, int, int]]:
    """(event seat id, section name, row index, number) in map order, optionally one section."""
    from ticketing.models import EventSeat

    seats = EventSeat.objects.filter(event_id=event_id)
    if section:
        seats = seats.filter(seat__section__name=section)
    return list(
        seats.order_by("id").values_list("id", "seat__section__name", "seat__row_index", "seat__number")
    )


def pgbench_scripts(*, hall_id: int, buyers: list[Buyer]) -> dict[int, str]:
    """The pgbench scripts of a hold (``tools.bench.hold_script``), from real hold requests on an
    two events of their own (their holds stay there) by the last eight ``buyers``."""
    from accounts.models import User
    from tools.bench.hold_script import hold_scripts

    # three events, the last two used: their ids apart from those of the holds the capture makes
    # (the generator refuses values it cannot tell apart)
    events = [event_new(hall_id=hall_id, name=f"pgbench capture {n}", hold_seconds=600) for n in (1, 2, 3)]
    events = events[1:]
    users = list(User.objects.filter(pk__in=[buyer.user_id for buyer in buyers[-8:]]).order_by("pk"))
    return hold_scripts(event_ids=events, buyers=users)


def section_id(hall_id: int, name: str) -> int:
    from venues.models import Section

    return Section.objects.get(hall_id=hall_id, name=name).pk


def connections_close() -> None:
    from django.db import connections

    connections.close_all()
