"""The benchmark's pgbench scripts are the hold path's own statements (tools/bench/hold_script.py).

Generated from captured hold requests, then checked two ways: bound to the values of another
request, the won path is statement for statement what Django records for that request
(``CaptureQueriesContext``: another recorder, another rendering of the parameters); and run by
pgbench, the scripts make holds that break none of the product's invariant rules.
"""

import re
import shutil
import subprocess
import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import UserFactory, hall_with_layout, on_sale_event
from ticketing.models import EventSeat, Hold, IdempotencyKey
from ticketing.selectors.events import event_public_get
from ticketing.selectors.invariants import inventory_violations
from tools.bench.hold_script import SAVEPOINT, hold_scripts

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'", reason="pgbench and the hold SQL are PostgreSQL's"
    ),
]

TIMESTAMP = re.compile(r"'\d{4}-\d\d-\d\d[ T][\d:.]+\+00(:00)?'::timestamptz")
NOW = re.compile(r"now\(\)( [+-] interval '[^']+')?")


def normalised(sql: str) -> str:
    return SAVEPOINT.sub('"pgbench_sp"', NOW.sub("<now>", TIMESTAMP.sub("<now>", " ".join(sql.split()))))


def won_path(script: str) -> list[str]:
    """The statements of a won hold: past the refusal branch (``\\if :free <``), into the
    won one (``\\if :free =``), without pgbench's own lines."""
    lines, skipping = [], []
    for line in script.splitlines():
        if line.startswith("\\if"):
            skipping.append(line.startswith("\\if :free <"))
        elif line.startswith("\\else"):
            skipping[-1] = not skipping[-1]
        elif line.startswith("\\endif"):
            skipping.pop()
        elif not any(skipping) and not line.startswith(("--", "\\set", "SELECT 1;")):
            lines.append(line)
    return lines


def bind(sql: str, values: dict[str, object]) -> str:
    for name, value in sorted(values.items(), key=lambda item: -len(item[0])):
        sql = sql.replace(name, str(value))
    sql = re.sub(r"\((\d+) \+ (\d+)\)", lambda m: str(int(m[1]) + int(m[2])), sql)
    sql = re.sub(
        r"SELECT count\(\*\) FILTER \(WHERE .*?\) AS free FROM \((.*)\) t\([c\d, ]+\) \\gset$", r"\1", sql
    )
    return re.sub(r"(;| \\gset \w+)$", "", sql)


@pytest.fixture
def scripts():
    # ids that cannot be mistaken for one another (the generator refuses to guess): in a full run
    # the sequences have moved on, so the new holds' and keys' ids start far from the events'
    UserFactory.create_batch(7)
    events = [on_sale_event(hall=hall_with_layout(rows=2, seats=10)).pk for _ in range(3)][1:]
    with connection.cursor() as cursor:
        for model, start in ((Hold, 7_000_000), (IdempotencyKey, 9_000_000)):
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [model._meta.db_table, start]
            )
    return hold_scripts(event_ids=events, buyers=UserFactory.create_batch(8))


def test_the_won_path_is_the_statements_of_a_real_hold(scripts, client):
    # given another event, buyer and seats
    event = on_sale_event(hall=hall_with_layout(rows=2, seats=10))
    buyer = UserFactory()
    seat_ids = list(EventSeat.objects.filter(event=event).order_by("id").values_list("id", flat=True)[3:6])
    key = f"k-{uuid.uuid4().hex}"
    event_public_get(event.pk, max_age=settings.TICKETING_EVENT_TRUST_SECONDS)  # read this second
    # when it holds three seats through the API
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            f"/api/v1/events/{event.pk}/holds/",
            {"seat_ids": seat_ids},
            content_type="application/json",
            headers={"Authorization": f"Bearer {AccessToken.for_user(buyer)}", "Idempotency-Key": key},
        )
    assert response.status_code == 201
    hold = Hold.objects.get(pk=response.json()["id"])
    # then the script of three seats, bound to these values, sends exactly those statements
    stored = IdempotencyKey.objects.get(user=buyer, key=key)
    values = {  # longest first: ":uid" inside the hash expression is bound with it
        ":uid": buyer.pk,
        ":event": event.pk,
        ":s": seat_ids[0],
        ":ticketing_hold_id": hold.pk,
        ":ticketing_idempotencykey_id": stored.pk,
        "'pgb-' || :client_id || '-' || :r": f"'{key}'",
        "md5(:r::text) || md5(:uid::text)": f"'{stored.request_hash}'",
    }
    expected = [normalised(bind(line, values)) for line in won_path(scripts[3])]
    sent = [normalised(query["sql"]) for query in queries.captured_queries]
    # the stored answer differs (ids, times): compare the statement, not its body
    answer = re.compile(r"response = '.*?' WHERE")
    assert [answer.sub("response = ? WHERE", s) for s in expected] == [
        answer.sub("response = ? WHERE", s) for s in sent
    ]


@pytest.mark.skipif(not shutil.which("pgbench"), reason="pgbench is not installed")
def test_pgbench_runs_the_scripts_into_holds_that_keep_the_invariant(scripts, tmp_path):
    # given a fresh event and buyers
    event = on_sale_event(hall=hall_with_layout(rows=4, seats=10))
    users = UserFactory.create_batch(5)
    seats = list(EventSeat.objects.filter(event=event).order_by("id").values_list("id", flat=True))
    files = []
    for seats_per_hold, text in scripts.items():
        path = tmp_path / f"hold_{seats_per_hold}.sql"
        path.write_text(text)
        files += ["-f", str(path)]
    db = connection.settings_dict
    # when pgbench runs them, four clients at once
    result = subprocess.run(
        ["pgbench", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432),
         "-U", db["USER"] or "postgres", "-n", "-c", "4", "-t", "25", *files,
         "-D", f"event={event.pk}", "-D", f"umin={users[0].pk}", "-D", f"umax={users[-1].pk}",
         "-D", f"smin={seats[0]}", "-D", f"span={len(seats) - 4}", db["NAME"]],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    # then every transaction ran, holds were made, and the product finds nothing wrong
    assert result.returncode == 0, result.stderr
    assert "number of failed transactions: 0" in result.stdout
    assert Hold.objects.filter(event=event).exists()
    assert inventory_violations(event_id=event.pk) == []
