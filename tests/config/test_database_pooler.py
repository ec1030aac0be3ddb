"""DB_POOLER=pgbouncer: no startup options (PgBouncer refuses them), no server-side cursors, and
the session timeouts written as the database's own defaults by set_database_timeouts."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from config.database import session_defaults_differences, session_defaults_sql
from tests.config.test_settings import REAL_SECRETS, settings_json

POSTGRES = {"DATABASE_URL": "postgres://ticketing@127.0.0.1:6432/ticketing", **REAL_SECRETS}


def database_settings(**env: str) -> dict:
    return settings_json(["DATABASES", "DB_POOLER"], env={**POSTGRES, **env})["DATABASES"]["default"]


def test_through_pgbouncer_no_startup_options_and_no_server_side_cursors():
    # when
    db = database_settings(DB_POOLER="pgbouncer", TICKETING_LOCK_TIMEOUT_MS="1500")
    # then: nothing PgBouncer refuses or that outlives a transaction
    assert "options" not in db["OPTIONS"]
    assert not {"prepare_threshold", "server_side_binding"} & set(db["OPTIONS"])
    assert db["DISABLE_SERVER_SIDE_CURSORS"] is True
    # the timeouts are still wanted, as the database's defaults
    assert db["SESSION_DEFAULTS"] == {
        "lock_timeout": "1500ms",
        "statement_timeout": "30000ms",
        "idle_in_transaction_session_timeout": "5000ms",
        "TimeZone": "UTC",
    }
    assert db["LOCK_TIMEOUT_MS"] == 1500


def test_directly_on_postgresql_the_timeouts_are_startup_options():
    db = database_settings()
    assert db["OPTIONS"]["options"] == (
        "-c lock_timeout=2000ms -c statement_timeout=30000ms -c idle_in_transaction_session_timeout=5000ms"
    )
    assert not db.get("DISABLE_SERVER_SIDE_CURSORS")


def test_an_unknown_pooler_refuses_to_start():
    from tests.config.test_settings import django

    result = django("check", env={**POSTGRES, "DB_POOLER": "pgpool"})
    assert result.returncode != 0
    assert "DB_POOLER='pgpool'" in result.stderr


def test_the_test_settings_keep_the_pooler_the_caller_points_at():
    s = settings_json(
        ["DB_POOLER"], env={**POSTGRES, "DB_POOLER": "pgbouncer"}, settings="config.settings_test"
    )
    assert s["DB_POOLER"] == "pgbouncer"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL session settings")
@pytest.mark.django_db
def test_the_check_sees_a_session_without_its_timeouts():
    # given: a direct connection, opened with the timeouts as startup options
    assert session_defaults_differences() == {}
    statements = session_defaults_sql()
    name = connection.ops.quote_name(connection.settings_dict["NAME"])
    assert statements[0] == f"ALTER DATABASE {name} SET lock_timeout = '2000ms'"
    # when: this transaction runs without a lock timeout
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = 0")
        differences = session_defaults_differences()
    # then
    assert differences == {"lock_timeout": ("0", "2s")}
