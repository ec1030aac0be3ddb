"""The hot paths run a constant number of queries, whatever the number of seats.

Inside a test transaction each service's atomic block is a savepoint, so the counts below
include SAVEPOINT and RELEASE SAVEPOINT. In production each runs in its own transaction: the
same statements minus those two (the connection already bounds lock waits: no SET LOCAL).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import client_for
from tests.ticketing.helpers import seat_ids
from ticketing.selectors.events import event_forget
from ticketing.services.bookings import booking_confirm, bookings_cancel
from ticketing.services.holds import hold_create

pytestmark = pytest.mark.django_db

# read seats (no lock); savepoint; lock buyer (is the account active; on SQLite the same read,
# unlocked: its transactions are serialised); count buyer's seats; lock seats (with their
# prices); insert hold; update seats; insert audit; release
HOLD_QUERIES = 9
# savepoint; lock seats; lock hold (+event, +buyer: is the account active); insert booking;
# insert tickets; update seats; update hold; insert audit; queue the confirmation email; release
BOOK_QUERIES = 10
# savepoint; lock seats; lock booking (+event); lock tickets (the check-in rule); update
# booking; void tickets; update seats; insert audit; is anyone on the event's waiting list
# (nobody here: no offer); read the payments to refund (none here: no UPDATE); queue the
# cancellation email; release
CANCEL_QUERIES = 12


@pytest.mark.parametrize("k", [1, 10])
def test_hold_book_cancel_of_k_seats_run_constant_queries(event, buyer, django_assert_num_queries, k):
    ids = seat_ids(event, k)
    with django_assert_num_queries(HOLD_QUERIES):
        hold = hold_create(buyer=buyer, event=event, seat_ids=ids)
    with django_assert_num_queries(BOOK_QUERIES):
        booking = booking_confirm(buyer=buyer, hold_id=hold.id)
    with django_assert_num_queries(CANCEL_QUERIES):
        bookings_cancel(booking_ids=[booking.pk], actor=buyer)
    assert booking.tickets.count() == k


def _api_query_counts(event, buyer, ids) -> list[int]:
    """Queries of POST hold, POST booking and POST cancel through the API, with keys."""
    client = client_for(buyer)
    counts = []
    event_forget()  # each run reads the event as a process new to it does

    def post(url, body=None):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=f"key {url}")
        assert response.status_code in (200, 201), response.json()
        counts.append(len(queries))
        return response.json()

    hold = post(f"/api/v1/events/{event.id}/holds/", {"seat_ids": ids})
    booking = post("/api/v1/bookings/", {"hold_id": hold["id"]})
    post(f"/api/v1/bookings/{booking['id']}/cancel/")
    return counts


def test_api_hold_book_cancel_queries_do_not_grow_with_seats(event, buyer, other_buyer):
    one = _api_query_counts(event, buyer, seat_ids(event, 1))
    nine = _api_query_counts(event, other_buyer, seat_ids(event, 9, offset=1))
    print(f"API queries (hold, book, cancel) for 1 seat: {one}, for 9 seats: {nine}")
    assert one == nine


def test_the_api_booking_answer_reads_no_hall_or_venue(event, buyer):
    # the answer names the venue's time zone: the hold's read brings the hall and venue along
    client = client_for(buyer)
    hold = client.post(f"/api/v1/events/{event.id}/holds/", {"seat_ids": seat_ids(event, 2)}, format="json")
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/bookings/", {"hold_id": hold.json()["id"]}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["venue_time_zone"] == event.hall.venue.time_zone
    assert not [q["sql"] for q in queries if 'FROM "venues_' in q["sql"]]  # no ORM read of them
