"""A new event's inventory refreshes the planner's statistics (PostgreSQL): the hot reads of its
seats are planned for the event's real size, not for its share of the events known before."""

import json

import pytest
from django.db import connection

from tests.factories import hall_with_layout, on_sale_event

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics"),
]


def estimated_seats(event_id: int) -> float:
    with connection.cursor() as cursor:
        sql = "EXPLAIN (FORMAT JSON) SELECT id FROM ticketing_eventseat WHERE event_id = %s"
        cursor.execute(sql, [event_id])
        plan = cursor.fetchone()[0]  # psycopg parses the JSON already
        return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"]


def test_a_big_event_among_small_ones_is_estimated_at_its_size(django_capture_on_commit_callbacks):
    # given: twenty small events (10 seats each), then one of 400 seats
    small = hall_with_layout(sections=1, rows=2, seats=5)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(20):
            on_sale_event(hall=small)
    big_hall = hall_with_layout(sections=4, rows=10, seats=10)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        big = on_sale_event(hall=big_hall)
    # then: the planner expects about 400 rows, not the average event's 10 or 30
    assert estimated_seats(big.pk) > 200
