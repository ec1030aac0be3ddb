"""Shared fixtures. Sub-folders add their own conftest.py for their own fixtures."""

import os

import pytest
import redis
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import StaffFactory, UserFactory, on_sale_event


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def assert_error(response, status: int, code: str) -> dict:
    """The response is the API's error envelope with this status and code, and a sentence."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def holds_url(event) -> str:
    return f"/api/v1/events/{event.id}/holds/"


@pytest.fixture(scope="session", autouse=True)
def _pooler_keeps_the_session_timeouts(request):
    """Through PgBouncer (DB_POOLER=pgbouncer) the timeouts are the test database's own defaults,
    written before the pooler connects (.ci/run: set_database_timeouts, then --reuse-db). A
    session without them would let a lock wait hang instead of answering busy: stop at once."""
    from django.conf import settings

    if getattr(settings, "DB_POOLER", "") != "pgbouncer":
        return
    request.getfixturevalue("django_db_setup")
    with request.getfixturevalue("django_db_blocker").unblock():
        from config.database import session_defaults_differences

        differences = session_defaults_differences()
    if differences:
        pytest.exit(
            f"through PgBouncer the test database lacks its session defaults {differences}: run"
            " `manage.py set_database_timeouts` on it before PgBouncer connects (see .ci/run)",
            returncode=3,
        )


@pytest.fixture(autouse=True)
def _nothing_remembered_between_tests():
    """The per-process memories of the hot paths (verified tokens, recent event rows, best
    available's scopes) start empty: ids are reused from one test to the next (SQLite)."""
    from config.authentication import verified_tokens
    from ticketing.selectors.events import event_forget
    from ticketing.services.best_available import scopes_forget

    verified_tokens.clear()
    event_forget()
    scopes_forget()
    yield


@pytest.fixture
def buyer(db):
    return UserFactory()


@pytest.fixture
def other_buyer(db):
    return UserFactory()


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def buyer_client(buyer):
    return client_for(buyer)


@pytest.fixture
def other_client(other_buyer):
    return client_for(other_buyer)


@pytest.fixture
def staff_client(staff):
    return client_for(staff)


@pytest.fixture
def event(db):
    """An on-sale match in a 2-row × 5-seat hall (row A vip, row B standard)."""
    return on_sale_event()


#: The waiting room's tests use this logical database, flushed before and after each of them.
QUEUE_REDIS_URL = os.environ.get("TEST_QUEUE_REDIS_URL", "redis://127.0.0.1:6379/7")


@pytest.fixture
def queue_redis(settings):
    """The waiting room on a real Redis (db 7), empty. Without a Redis the test is skipped, unless
    ``REQUIRE_REDIS=1`` (CI sets it): then it fails, so CI cannot go green without these tests."""
    try:
        redis.Redis.from_url(QUEUE_REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        message = f"The waiting room's tests need Redis at {QUEUE_REDIS_URL} ({error})"
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"{message}; REQUIRE_REDIS=1, so this is a failure, not a skip", pytrace=False)
        pytest.skip(message)
    from ticketing import waiting_line

    settings.TICKETING_QUEUE_REDIS_URL = QUEUE_REDIS_URL
    waiting_line.line_flush_all()
    yield waiting_line.client()
    redis.Redis.from_url(QUEUE_REDIS_URL).flushdb()
