"""The lock helper: inside a transaction only, pk order, lock waits bounded once per transaction."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.ticketing.helpers import seat_ids
from ticketing.locking import bound_lock_wait, lock_rows
from ticketing.models import EventSeat

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="SET LOCAL is PostgreSQL's")


def lock_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_locks_outside_a_transaction_are_refused(event):
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        lock_rows(EventSeat.objects.filter(event=event))


@pytest.mark.django_db
def test_rows_come_back_in_pk_order(event):
    ids = seat_ids(event, 4)
    with transaction.atomic():
        assert [s.id for s in lock_rows(EventSeat.objects.filter(id__in=ids[::-1]).order_by("-id"))] == ids
        assert [s.id for s in lock_rows(EventSeat.objects.filter(id__in=ids), limit=2)] == ids[:2]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_lock_timeout_is_set_once_per_transaction_and_survives_only_with_it(settings):
    settings.TICKETING_LOCK_TIMEOUT_MS = 1234
    session_default = lock_timeout()
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            bound_lock_wait()
            bound_lock_wait()
        assert [q["sql"] for q in queries] == ["SET LOCAL lock_timeout = 1234"]
        assert lock_timeout() == "1234ms"
    assert lock_timeout() == session_default  # the next transaction starts from the default
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint that sets it, then rolls back...
                bound_lock_wait()
                raise ValueError
        except ValueError:
            pass
        assert lock_timeout() == session_default  # ...undoes the SET LOCAL, and the marker with it
        bound_lock_wait()
        assert lock_timeout() == "1234ms"
