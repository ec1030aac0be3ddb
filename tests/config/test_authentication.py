"""Authentication from the token's claims on the hot paths, and the checks that stay honest."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config import authentication
from tests.conftest import assert_error, client_for, holds_url
from tests.ticketing.helpers import held, seat_ids
from ticketing.models import Booking, EventSeat, Hold, Payment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_remembered_tokens():
    authentication.verified_tokens.clear()
    yield
    authentication.verified_tokens.clear()


def test_a_hold_request_reads_no_user_row_for_authentication(event, buyer):
    client = client_for(buyer)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(holds_url(event), {"seat_ids": seat_ids(event, 2)}, format="json")
    assert response.status_code == 201, response.content
    user_reads = [q["sql"] for q in queries.captured_queries if "accounts_user" in q["sql"]]
    # the one read of the user row is the buyer lock inside the hold's transaction
    assert len(user_reads) == 1 and "is_active" in user_reads[0], user_reads


def test_a_deactivated_buyer_cannot_hold_with_a_token_still_valid(event, buyer):
    client = client_for(buyer)
    buyer.is_active = False
    buyer.save(update_fields=["is_active"])
    response = client.post(holds_url(event), {"seat_ids": seat_ids(event, 2)}, format="json")
    body = assert_error(response, 401, "not_authenticated")
    assert body["detail"] == "This account is disabled."
    assert not Hold.objects.exists()
    assert set(EventSeat.objects.filter(event=event).values_list("status", flat=True)) == {"available"}


def test_a_deactivated_buyer_cannot_book_their_live_hold_and_is_not_charged(event, buyer):
    hold = held(buyer, event, seat_ids(event, 2))
    client = client_for(buyer)
    buyer.is_active = False
    buyer.save(update_fields=["is_active"])
    response = client.post("/api/v1/bookings/", {"hold_id": hold.id}, format="json")
    assert_error(response, 401, "not_authenticated")
    assert not Booking.objects.exists()
    assert not Payment.objects.exists()


def test_a_deleted_buyers_token_makes_no_hold(event, buyer):
    client = client_for(buyer)
    buyer.delete()
    response = client.post(holds_url(event), {"seat_ids": seat_ids(event, 1)}, format="json")
    assert_error(response, 401, "not_authenticated")
    assert not Hold.objects.exists()


def test_staff_checks_read_the_user_row_every_time(event, staff):
    client = client_for(staff)
    url = f"/api/v1/events/{event.id}/seats/block/"
    ids = seat_ids(event, 1)
    assert client.post(url, {"seat_ids": ids, "reason": "camera"}, format="json").status_code == 200
    staff.is_staff = False
    staff.save(update_fields=["is_staff"])
    assert_error(
        client.post(url, {"seat_ids": ids, "reason": "camera"}, format="json"), 403, "permission_denied"
    )
    staff.is_staff, staff.is_active = True, False
    staff.save(update_fields=["is_staff", "is_active"])
    assert_error(
        client.post(url, {"seat_ids": ids, "reason": "camera"}, format="json"), 401, "not_authenticated"
    )


def test_a_remembered_token_is_refused_once_it_expires(event, buyer, monkeypatch):
    client = client_for(buyer)
    assert client.get("/api/v1/auth/me/").status_code == 200  # verified, and remembered
    token = next(iter(authentication.verified_tokens.tokens.values()))
    monkeypatch.setattr(authentication.time, "time", lambda: token.payload["exp"] + 1)
    response = client.post(holds_url(event), {"seat_ids": seat_ids(event, 1)}, format="json")
    assert_error(response, 401, "token_not_valid")
    assert not Hold.objects.exists()


def test_a_forged_token_is_refused_even_when_a_real_one_is_remembered(event, buyer):
    client = client_for(buyer)
    assert client.get("/api/v1/auth/me/").status_code == 200
    real = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    head, payload, signature = real.split(".")
    forged = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert_error(
        client.post(holds_url(event), {"seat_ids": seat_ids(event, 1)}, format="json"), 401, "token_not_valid"
    )
