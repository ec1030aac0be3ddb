"""The PostgreSQL session defaults (lock, statement and idle-in-transaction timeouts) as the
database's own settings, for a connection pooler that refuses them as startup options.

Directly on PostgreSQL, config/settings.py sends ``DATABASES["default"]["SESSION_DEFAULTS"]`` as
the ``options`` startup parameter of every connection. PgBouncer in transaction mode refuses
that parameter and hands each transaction whichever server connection is free, so under
``DB_POOLER=pgbouncer`` the same values are written once with ``ALTER DATABASE ... SET``
(``manage.py set_database_timeouts``) and every new server connection starts with them.
A server connection opened before keeps its old values until it closes: after a change,
``RECONNECT`` on PgBouncer's console (or a restart of PgBouncer).
"""

from __future__ import annotations

import re

from django.db import connections, transaction

_VALUE = re.compile(r"^[A-Za-z0-9_/+-]+$")  # 2000ms, UTC, Europe/Paris: nothing to quote


def session_defaults_get(*, using: str = "default") -> dict[str, str]:
    """The session defaults config/settings.py asks for (empty for SQLite)."""
    return dict(connections[using].settings_dict.get("SESSION_DEFAULTS") or {})


def session_defaults_sql(*, using: str = "default") -> list[str]:
    """``ALTER DATABASE <the database> SET <name> = '<value>'``, one statement per default."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        (database,) = cursor.fetchone()
    statements = []
    for name, value in session_defaults_get(using=using).items():
        if not _VALUE.match(value):
            raise ValueError(f"{name}={value!r} is not a plain setting value")
        statements.append(f"ALTER DATABASE {connection.ops.quote_name(database)} SET {name} = '{value}'")
    return statements


def session_defaults_apply(*, using: str = "default") -> list[str]:
    """Write the session defaults into the database (its owner or a superuser); return the SQL."""
    statements = session_defaults_sql(using=using)
    with connections[using].cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return statements


def session_defaults_differences(*, using: str = "default") -> dict[str, tuple[str, str]]:
    """The defaults this connection's session does not have: ``{name: (in force, wanted)}``.

    Each wanted value is normalised by PostgreSQL itself (``2000ms`` reads back as ``2s``) with a
    ``SET LOCAL`` that the rolled-back transaction forgets, so it is safe through PgBouncer.
    """
    wanted = session_defaults_get(using=using)
    differences = {}
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        in_force = {}
        for name in wanted:
            cursor.execute("SELECT current_setting(%s)", [name])
            in_force[name] = cursor.fetchone()[0]
        for name, value in wanted.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
            normalised = cursor.fetchone()[0]
            if in_force[name] != normalised:
                differences[name] = (in_force[name], normalised)
        transaction.set_rollback(True, using=using)
    return differences
