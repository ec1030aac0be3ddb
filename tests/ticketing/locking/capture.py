"""Which rows a use case locks, read from the statements it sends to PostgreSQL.

A lock is any statement that can make another transaction wait for a row: ``SELECT ... FOR
[NO KEY] UPDATE [OF t] [SKIP LOCKED]``, and the first ``UPDATE``/``DELETE``/``INSERT ... ON
CONFLICT`` of a table the transaction has not locked yet (those lock the rows they touch
implicitly). Each comes back as ``Lock(table, how, by_pk)``; ``by_pk`` tells whether a locking
read is ordered by its table's primary key (or reads one row by it), which the protocol demands.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

LOCKING_READ = re.compile(r"\bFOR (NO KEY )?UPDATE(?: OF ([\w\"., ]+?))?( SKIP LOCKED)?\s*$", re.I | re.S)
WRITE = re.compile(r"^\s*(UPDATE|DELETE FROM|INSERT INTO)\s+\"?(\w+)\"?", re.I)
ALIAS = r"(?:FROM|JOIN)\s+\"?(\w+)\"?\s+(?:AS\s+)?\"?{alias}\"?(?:\s|$)"


@dataclass(frozen=True)
class Lock:
    table: str
    how: str  # "update", "no key", "skip locked", "write", "upsert"
    by_pk: bool = True
    transaction: int = 0

    def __repr__(self) -> str:
        return f"{self.transaction}:{self.table}({self.how}{'' if self.by_pk else ', NOT BY PK'})"


def _table_of(sql: str, name: str) -> str:
    name = name.strip().strip('"')
    match = re.search(ALIAS.format(alias=re.escape(name)), sql, re.I)
    return match.group(1) if match and match.group(1) != name else name


def _ordered_by_pk(sql: str, table: str, alias: str) -> bool:
    names = {table, alias}
    order = re.search(r"ORDER BY\s+(.+?)(?:\s+(?:ASC|DESC))?(?:\s+LIMIT\b.*)?\s+FOR\b", sql, re.I | re.S)
    if order:
        first = order.group(1).split(",")[0].replace('"', "").strip()
        return first in {f"{name}.id" for name in names} or first == "id"
    where = re.search(r"WHERE\s+(.+)", sql, re.I | re.S)  # one row by its primary key
    return bool(where) and bool(
        re.match(
            r"\(?\s*\"?(?:\w+\"?\.\"?)?id\"?\s*=\s*(%s|\d+)\s*\)?\s*(FOR\b|LIMIT\b)", where.group(1), re.I
        )
    )


def locks_of(statements: list[tuple[int, str]]) -> list[Lock]:
    """``statements``: (transaction number, sql) in the order sent."""
    locks: list[Lock] = []
    touched: set[tuple[int, str]] = set()
    for number, sql in statements:
        read = LOCKING_READ.search(sql)
        if read:
            target = (read.group(2) or "").split(",")[0].strip()
            if not target:
                target = re.search(r"FROM\s+\"?(\w+)\"?", sql, re.I).group(1)
            table = _table_of(sql, target)
            how = "skip locked" if read.group(3) else ("no key" if read.group(1) else "update")
            locks.append(Lock(table, how, _ordered_by_pk(sql, table, target.strip('"')), number))
            touched.add((number, table))
            continue
        write = WRITE.match(sql)
        if write:
            verb, table = write.group(1).upper(), write.group(2)
            if verb == "INSERT INTO" and "ON CONFLICT" not in sql.upper():
                continue  # a new row: nobody else can be waiting for it
            if (number, table) not in touched:
                locks.append(Lock(table, "upsert" if verb == "INSERT INTO" else "write", True, number))
                touched.add((number, table))
    return locks


def locks_taken(use_case: Callable[[], object]) -> list[Lock]:
    """Run ``use_case`` and return the locks its statements took, in order, each with the number
    of the transaction it was taken in. The test itself runs inside one transaction (pytest-django
    wraps it), so a use case's own ``transaction.atomic()`` is one level deeper: a statement sent
    at the test's own level is a transaction of its own (autocommit, in production)."""
    base = len(connection.atomic_blocks)
    statements: list[tuple[int, str]] = []
    state: dict = {"number": 0, "current": None}

    def record(execute, sql, params, many, context):
        # The savepoint Django opened for the use case's outermost atomic names its transaction.
        inside = len(connection.atomic_blocks) > base
        current = connection.savepoint_ids[base - 1] if inside else None
        if current is None or current != state["current"]:
            state["number"] += 1
        state["current"] = current
        statements.append((state["number"], sql))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        use_case()
    return locks_of(statements)
