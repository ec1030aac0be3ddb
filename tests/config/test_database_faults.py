"""A lost or unavailable database is `503 busy` JSON with Retry-After, never an HTML 500.

Every wait is bounded: the PostgreSQL connections carry lock_timeout, statement_timeout and
idle_in_transaction_session_timeout, and a connect gives up after a few seconds.
"""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import client_for
from tests.world import World, make_world

postgres_only = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql", reason="PostgreSQL only"
)


def assert_busy(response) -> None:
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "busy"
    assert int(response["Retry-After"]) >= 1


@pytest.mark.parametrize(
    ("role", "method", "path", "body"),
    [
        (None, "get", "/api/v1/events/", None),
        (None, "get", "EVENT/seats/", None),
        (None, "post", "/api/v1/auth/token/", {"username": "u", "password": "p"}),
        ("buyer", "get", "/api/v1/auth/me/", None),
        ("buyer", "post", "EVENT/holds/", {"seat_ids": [1]}),
        ("buyer", "post", "/api/v1/bookings/", {"hold_id": 1}),
        ("staff", "post", "/api/v1/venues/", {"name": "V", "kind": "arena", "city": "C"}),
    ],
)
def test_a_lost_connection_is_503_busy_json(world: World, cut_database, role, method, path, body):
    client = client_for(getattr(world, role)) if role else client_for()
    path = path.replace("EVENT/", f"/api/v1/events/{world.event.pk}/")
    kwargs = {"format": "json"} if body is not None else {}
    cut_database()
    assert_busy(getattr(client, method)(path, body, **kwargs))


def test_healthz_reports_the_database(db, anon_client):
    response = anon_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_down(anon_client, cut_database):
    cut_database()
    response = anon_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] != "ok"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_connection_killed_by_the_server_is_503_then_the_next_request_reconnects():
    # given: a buyer whose requests run on one persistent connection
    world = make_world()
    buyer = client_for(world.buyer)
    seats = f"/api/v1/events/{world.event.pk}/seats/"
    assert buyer.get(seats).status_code == 200
    # when: PostgreSQL terminates that backend (a restart, a failover, an admin)
    pid = connection.connection.info.backend_pid
    db = connection.settings_dict
    address = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "user": db["USER"]}
    with psycopg.connect(**address, dbname=db["NAME"], autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    # then: the request that meets the dead connection is a clean 503 ...
    assert_busy(buyer.get(seats))
    # ... and once Django has dropped it (end of request), the next one reconnects
    connection.close_if_unusable_or_obsolete()
    assert buyer.get(seats).status_code == 200


@postgres_only
def test_app_connections_bound_every_wait(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('statement_timeout'),"
            " current_setting('idle_in_transaction_session_timeout'), current_setting('lock_timeout')"
        )
        statement, idle, lock = cursor.fetchone()
    assert statement not in ("0", "")
    assert idle not in ("0", "")
    assert lock not in ("0", "")
    assert connection.settings_dict["OPTIONS"]["connect_timeout"] > 0
