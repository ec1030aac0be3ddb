"""The pgbench scripts of one hold request, generated from the statements the product sends.

``hold_scripts`` posts real hold requests (with an Idempotency-Key) through Django's handler on
the database it is connected to, records every statement with its parameters
(``connection.execute_wrapper``) and writes them out as pgbench scripts, one per seat count
(1 to 4: pgbench picks one per transaction). Three requests per seat count give the three
paths of POST /events/{id}/holds/:

- ``won``: the seats are free: the whole transaction (key claim, the event row read afresh,
  buyer lock, seat lock, writes, the stored answer);
- ``refused``: the seats are already taken: the pre-check read (with the event row the process
  read this second, as in an on-sale), then one INSERT of the key;
- ``lost``: the pre-check found them free but another transaction has one locked (SKIP LOCKED
  leaves it out): the transaction ends with the stored 409.

Each request runs twice with other buyers and seats: a parameter equal in both runs is written
as a literal, one that follows an input (the buyer, the event, the seats, the ids the request
created, the key) becomes a pgbench variable, a timestamp becomes ``now()`` (a hold's expiry:
``now() + interval EXPIRY``, so that seats keep coming back). The paths share their first
statements; where they part, the statement read last decides, in pgbench, which path to take
(``\\gset`` of the seats it found free). Nothing of the SQL is copied by hand, so the script
cannot drift from ``ticketing/services/holds.py`` and ``ticketing/idempotency.py``;
tests/tools/test_pgbench_script.py checks it against a captured request and runs it.

Script variables (-D): event, umin, umax, smin, span (the seats are ``smin`` .. ``smin + span``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

EXPIRY = "500 milliseconds"
SEAT_COUNTS = (1, 2, 3, 4)
SAVEPOINT = re.compile(r'"s\d+_x\d+"')
PLACEHOLDER = re.compile(r"%s|%%")
NAMED = re.compile(r"%\((\w+)\)s")


def _positional(sql: str, params: Any) -> tuple[str, tuple]:
    """A statement with named parameters (``%(buyer)s``) as the same statement with positional
    ones, its values in the order they appear: the script is built from positional ones."""
    if isinstance(params, dict):
        names = NAMED.findall(sql)
        return NAMED.sub("%s", sql), tuple(params[name] for name in names)
    return sql, tuple(params or ())


@dataclass(frozen=True)
class Statement:
    sql: str
    params: tuple
    in_transaction: bool


@dataclass(frozen=True)
class Capture:
    """The statements of one hold request and the values it was given or created."""

    statements: list[Statement]
    status: int
    inputs: dict[str, Any]  # variable name -> value: uid, event, s0.., hold, key_id, key, hash


class HoldScriptError(RuntimeError):
    pass


def _statements(run: Callable[[], Any]) -> tuple[list[Statement], Any]:
    from django.db import connection

    recorded: list[Statement] = []

    def record(execute, sql, params, many, context):
        recorded.append(Statement(*_positional(sql, params), connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        result = run()
    return recorded, result


def hold_request(*, event_id: int, buyer, seat_ids: Sequence[int], lock_one: bool = False) -> Capture:
    """POST one hold through Django's handler and record its statements. ``lock_one``: another
    connection holds the last seat FOR UPDATE meanwhile (the ``lost`` path)."""
    import psycopg
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from rest_framework_simplejwt.tokens import AccessToken

    from ticketing.models import EventSeat, Hold, IdempotencyKey
    from ticketing.selectors.events import event_forget, event_public_get

    key = f"pgbench-capture-{uuid.uuid4().hex}"
    client = Client(headers={"Authorization": f"Bearer {AccessToken.for_user(buyer)}"})

    def post():
        return client.post(
            f"/api/v1/events/{event_id}/holds/",
            {"seat_ids": list(seat_ids)},
            content_type="application/json",
            headers={"Idempotency-Key": key},
        )

    # As in an on-sale, the process has read the event row this second: the pre-check uses it,
    # the hold reads it afresh (ticketing/api/events.py).
    event_forget(event_id)
    event_public_get(event_id, max_age=settings.TICKETING_EVENT_TRUST_SECONDS)
    if lock_one:
        db = connection.settings_dict
        dsn = psycopg.conninfo.make_conninfo(
            dbname=db["NAME"], host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"] or None
        )
        with psycopg.connect(dsn) as other:
            other.execute(
                f"SELECT id FROM {EventSeat._meta.db_table} WHERE id = %s FOR UPDATE",
                [seat_ids[-1]],
            )
            statements, response = _statements(post)
            other.rollback()
    else:
        statements, response = _statements(post)
    inputs: dict[str, Any] = {"uid": buyer.pk, "event": event_id, "key": key}
    inputs |= {f"s{i}": seat_id for i, seat_id in enumerate(seat_ids)}
    if response.status_code == 201:
        inputs["hold"] = Hold.objects.get(pk=response.json()["id"]).pk
    stored = IdempotencyKey.objects.get(user_id=buyer.pk, key=key)
    inputs["key_id"], inputs["hash"] = stored.pk, stored.request_hash
    return Capture(statements=statements, status=response.status_code, inputs=inputs)


# --- from two captures to one templated statement list -----------------------------------------


def _variable(name: str) -> str:
    if name == "key":
        return "'pgb-' || :client_id || '-' || :r"
    if name == "hash":  # of the request's body: 64 hex digits, like the real fingerprint
        return "md5(:r::text) || md5(:uid::text)"
    if name.startswith("s"):
        offset = int(name[1:])
        return ":s" if offset == 0 else f"(:s + {offset})"
    from ticketing.models import Hold, IdempotencyKey

    created = {"hold": Hold._meta.db_table, "key_id": IdempotencyKey._meta.db_table}
    return f":{created[name]}_id" if name in created else f":{name}"


def _literal(value: Any) -> str:
    from django.db import connection
    from psycopg import ClientCursor

    return ClientCursor(connection.connection).mogrify("%s", [value])


def _bind(x: Any, y: Any, pairs: dict[tuple, str]) -> str:
    if isinstance(x, datetime):
        from django.utils import timezone

        ahead = (x - timezone.now()).total_seconds()
        if ahead > 60:
            return f"now() + interval '{EXPIRY}'"
        if ahead < -3600:
            return f"now() - interval '{round(-ahead / 3600)} hours'"
        return "now()"
    if x == y and type(x) is type(y):
        return _literal(x)
    if (x, y) in pairs:
        return pairs[(x, y)]
    return _literal(x)  # a value that follows no input (an answer's body): the first run's


def template(first: Capture, second: Capture) -> list[tuple[str, bool]]:
    """(pgbench SQL, in a transaction) for each statement of ``first``, its parameters replaced
    by literals or variables by comparison with ``second`` (the same request, other inputs)."""
    pairs: dict[tuple, str] = {}
    for name, value in first.inputs.items():
        pair = (value, second.inputs[name])
        if pair in pairs or pair[0] == pair[1]:
            raise HoldScriptError(f"inputs {name} and {pairs.get(pair)} cannot be told apart: {pair}")
        pairs[pair] = _variable(name)
    if first.status != second.status or len(first.statements) != len(second.statements):
        raise HoldScriptError(f"two runs of the same hold request differ ({first.status}, {second.status})")
    out = []
    for a, b in zip(first.statements, second.statements, strict=True):
        if SAVEPOINT.sub("", a.sql) != SAVEPOINT.sub("", b.sql) or len(a.params) != len(b.params):
            raise HoldScriptError(f"two runs of the same hold request differ:\n{a.sql}\n{b.sql}")
        params = iter(zip(a.params, b.params, strict=True))
        sql = PLACEHOLDER.sub(lambda m, p=params: "%" if m.group() == "%%" else _bind(*next(p), pairs), a.sql)
        sql = SAVEPOINT.sub('"pgbench_sp"', " ".join(sql.split()))
        out.append((sql, a.in_transaction))
    return out


# --- the script --------------------------------------------------------------------------------


def _free_count(sql: str, name: str) -> str:
    """The decision read: how many of the seats it returns are free (the SQL twin of
    ``seat_is_taken``: available, or held by an expired hold), into ``:name``."""
    from django.db import connection, transaction

    from ticketing.models import EventSeat

    with transaction.atomic(), connection.cursor() as cursor:  # its columns, by name
        cursor.execute(f"SELECT * FROM ({_runnable(sql)}) t LIMIT 0")
        columns = [column.name for column in cursor.description]
        transaction.set_rollback(True)
    aliases = [f"c{i}" for i in range(len(columns))]
    status, expired = aliases[columns.index("status")], aliases[columns.index("expired")]
    free = (
        f"t.{status} = '{EventSeat.Status.AVAILABLE}'"
        f" OR (t.{status} = '{EventSeat.Status.HELD}' AND t.{expired} IS NOT NULL)"
    )
    return f"SELECT count(*) FILTER (WHERE {free}) AS {name} FROM ({sql}) t({', '.join(aliases)}) \\gset"


SAMPLE = {":uid": "0", ":event": "0", ":s": "0", ":client_id": "0", ":r": "0"}


def _runnable(sql: str) -> str:
    for name, value in SAMPLE.items():
        sql = re.sub(rf"{name}\b", value, sql)
    return sql


def _common(a: list, b: list) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _lines(statements: list[tuple[str, bool]], stored: set[str]) -> list[str]:
    """The statements, each on one line; an INSERT whose new id a later one uses keeps it
    (``\\gset <table>_``: ``:<table>_id``)."""
    out = []
    for sql, _ in statements:
        insert = re.match(r'INSERT INTO "?(\w+)"? .*RETURNING "?id"?', sql)
        if insert and insert.group(1) in stored:
            out.append(f"{sql} \\gset {insert.group(1)}_")
        else:
            out.append(f"{sql};")
    return out


def script(*, won: list, refused: list, lost: list, seats: int, health_check: bool) -> str:
    """One pgbench script from the three templated paths of a ``seats``-seat hold."""
    from ticketing.models import Hold, IdempotencyKey

    split = _common(won, refused)  # the pre-check read decides: refused, or the transaction
    if split == 0 or refused[split - 1][1] or won[split][1] is False:
        raise HoldScriptError("the refusal and the hold do not share their pre-check read")
    fork = _common(won, lost)  # the locking read decides: won, or lost
    if fork <= split:
        raise HoldScriptError(f"won and lost part before the locking read:\n{won[fork][0]}\n{lost[fork][0]}")
    if not all(in_transaction for _, in_transaction in won[split:] + lost[split:]):
        raise HoldScriptError("a hold's transaction is not one block of statements")
    stored = {
        table
        for table in (Hold._meta.db_table, IdempotencyKey._meta.db_table)
        if any(f":{table}_id" in sql for sql, _ in won + lost)
    }
    body = [
        "-- Generated by tools/bench/hold_script.py from the statements of real hold requests;",
        f"-- {seats} seat(s). Do not edit: regenerate.",
        r"\set uid random(:umin, :umax)",
        r"\set s :smin + random(0, :span - 1)",
        r"\set r random(1, 2000000000)",
    ]
    if health_check:
        body.append("SELECT 1;  -- CONN_HEALTH_CHECKS: Django's is_usable() (no execute wrapper sees it)")
    body += _lines(won[: split - 1], stored)
    body.append(_free_count(won[split - 1][0], "free"))
    body.append(rf"\if :free < {seats}")
    body += _lines(refused[split:], stored)
    body += [r"\else", "BEGIN;"]
    # the locking read decides; statements both paths run after it (the buyer's seat count,
    # read under the buyer's lock) run before the branch, as they do in the request
    lock = max(i for i in range(split, fork) if "FOR UPDATE" in won[i][0].upper())
    body += _lines(won[split:lock], stored)
    body.append(_free_count(won[lock][0], "free"))
    body += _lines(won[lock + 1 : fork], stored)
    body.append(rf"\if :free = {seats}")
    body += _lines(won[fork:], stored)
    body.append(r"\else")
    body += _lines(lost[fork:], stored)
    body += [r"\endif", "COMMIT;", r"\endif", ""]
    return "\n".join(body)


def hold_scripts(
    *, event_ids: Sequence[int], buyers: Sequence, seat_counts: Sequence[int] = SEAT_COUNTS
) -> dict[int, str]:
    """The pgbench script of each seat count, from real requests on two events (on sale, their
    seats free; they keep the holds made) by ``buyers`` (two users per seat count, holding no
    seat of them): each request runs once on each event. Needs 20 free seats per event."""
    from django.conf import settings
    from django.db import connection

    from ticketing.models import EventSeat

    free = [
        list(
            EventSeat.objects.filter(event_id=event_id, status=EventSeat.Status.AVAILABLE)
            .order_by("id")
            .values_list("id", flat=True)
        )
        for event_id in event_ids
    ]
    scripts = {}
    for index, k in enumerate(seat_counts):
        runs = []
        for run, event_id in enumerate(event_ids[:2]):
            buyer = buyers[2 * index + run]
            won, lost = free[run][:k], free[run][k : 2 * k]
            free[run] = free[run][2 * k :]
            runs.append(
                {
                    "won": hold_request(event_id=event_id, buyer=buyer, seat_ids=won),
                    "refused": hold_request(event_id=event_id, buyer=buyer, seat_ids=won),
                    "lost": hold_request(event_id=event_id, buyer=buyer, seat_ids=lost, lock_one=True),
                }
            )
        paths: dict[str, list] = {}
        for path, status in (("won", 201), ("refused", 409), ("lost", 409)):
            first, second = runs[0][path], runs[1][path]
            if first.status != status:
                raise HoldScriptError(f"the {path} request of {k} seats answered {first.status}")
            paths[path] = template(first, second)
        health_check = bool(connection.settings_dict.get("CONN_HEALTH_CHECKS")) and not settings.DEBUG
        scripts[k] = script(**paths, seats=k, health_check=health_check)
    return scripts
