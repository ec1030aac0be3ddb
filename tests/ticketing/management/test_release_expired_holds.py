"""release_expired_holds: one shot, a loop, a clean stop on Ctrl-C or SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from tests.factories import UserFactory
from tests.ticketing.helpers import held, seat_ids, statuses
from ticketing.models import Hold, IdempotencyKey

pytestmark = pytest.mark.django_db

LONG_AGO = timedelta(days=2)


def _expired_hold_and_old_key(event):
    buyer = UserFactory()
    hold = held(buyer, event, seat_ids(event, 2), now=timezone.now() - LONG_AGO)
    IdempotencyKey.objects.create(
        user=buyer, key="old", request_hash="x", created_at=timezone.now() - LONG_AGO
    )
    IdempotencyKey.objects.create(user=buyer, key="new", request_hash="y", created_at=timezone.now())
    return hold


def test_one_shot_releases_expired_holds_and_purges_old_keys(event):
    hold = _expired_hold_and_old_key(event)
    live = held(UserFactory(), event, seat_ids(event, 1, offset=2))
    out = StringIO()
    call_command("release_expired_holds", stdout=out)
    assert "Released 1 expired holds; purged 1 old idempotency keys." in out.getvalue()
    assert Hold.objects.get(pk=hold.pk).status == Hold.Status.EXPIRED
    assert Hold.objects.get(pk=live.pk).status == Hold.Status.ACTIVE
    assert statuses(seat_ids(event, 3)) == ["available", "available", "held"]
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_loop_runs_every_n_seconds_until_told_to_stop(event):
    _expired_hold_and_old_key(event)
    out = StringIO()
    started = time.monotonic()
    call_command(
        "release_expired_holds", "--every", "0.05", "--max-runs", "3", "--batch-size", "1", stdout=out
    )
    assert time.monotonic() - started >= 0.1
    lines = out.getvalue().splitlines()
    assert lines[0] == "Sweeping every 0.05 s; Ctrl-C to stop."
    assert lines[1:4] == [
        "Released 1 expired holds; purged 1 old idempotency keys.",
        "Released 0 expired holds; purged 0 old idempotency keys.",
        "Released 0 expired holds; purged 0 old idempotency keys.",
    ]
    assert lines[-1] == "Stopped after 3 runs."


@pytest.mark.parametrize("args", [["--every", "0"], ["--every", "-1"], ["--batch-size", "0"]])
def test_bad_arguments_are_refused(args):
    with pytest.raises(CommandError):
        call_command("release_expired_holds", *args, stdout=StringIO())


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_loop_stops_cleanly_on_ctrl_c_and_sigterm(stop_signal):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": _database_url(),
        "PYTHONUNBUFFERED": "1",
    }
    manage = Path(settings.BASE_DIR) / "manage.py"
    process = subprocess.Popen(
        [sys.executable, str(manage), "release_expired_holds", "--every", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().startswith("Sweeping every 0.2 s")
        assert process.stdout.readline().startswith("Released 0 expired holds")
        process.send_signal(stop_signal)
        stdout, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert stdout.strip().splitlines()[-1].startswith("Stopped after")
