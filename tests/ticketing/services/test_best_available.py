"""hold_create_best_available: the rule against the database, the shared hold invariants."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.errors import EventNotOnSale, Invalid, SeatLimitExceeded
from tests.factories import HallFactory, UserFactory, on_sale_event
from tests.ticketing.helpers import assert_inventory_clean, booked, event_with_rows, labels, seat_id
from ticketing.models import Event, EventSeat, Hold, SeatAudit
from ticketing.services.best_available import NoAdjacentSeats, hold_create_best_available
from venues.services import layout_replace

pytestmark = pytest.mark.django_db

# Savepoint, buyer lock (on SQLite the same read of is_active, unlocked: its transactions are
# serialised), buyer count; row depths, the front rows' seats; savepoint, seat lock (with their
# prices), INSERT hold, UPDATE seats, INSERT audit, release savepoint x2. (No SET LOCAL: the
# connection already bounds lock waits.)
QUERIES = 12


def held_labels(result) -> list[str]:
    return labels(EventSeat.objects.filter(hold=result.hold).values_list("id", flat=True))


def test_holds_the_middle_of_the_front_row(buyer):
    # given
    event = event_with_rows(8, 8)
    # when
    result = hold_create_best_available(buyer=buyer, event=event, count=2)
    # then
    assert held_labels(result) == ["A4", "A5"]
    assert result.adjacent is True
    assert result.hold.seat_count == 2 and result.hold.total == 20
    assert set(EventSeat.objects.filter(hold=result.hold).values_list("status", flat=True)) == {"held"}
    assert SeatAudit.objects.filter(hold=result.hold, action="hold").count() == 2
    assert_inventory_clean(event.id)


def test_avoids_stranding_a_single_seat(buyer, other_buyer):
    event = event_with_rows(8)
    booked(other_buyer, event, [seat_id(event, "A2")])
    result = hold_create_best_available(buyer=buyer, event=event, count=2)
    assert held_labels(result) == ["A3", "A4"]  # not A4-A5, which would leave A3 alone


def test_goes_back_a_row_when_the_front_row_has_no_block(buyer, other_buyer):
    event = event_with_rows(5, 5)
    booked(other_buyer, event, [seat_id(event, label) for label in ("A2", "A4")])
    result = hold_create_best_available(buyer=buyer, event=event, count=2)
    assert held_labels(result) == ["B2", "B3"]


def test_category_and_section_narrow_the_choice(buyer):
    event = event_with_rows(4, 4, sections=2, categories=["vip", "standard"])
    vip = hold_create_best_available(buyer=buyer, event=event, count=2, category="vip", section="Section 2")
    standard = hold_create_best_available(buyer=buyer, event=event, count=2, category="standard")
    seats = EventSeat.objects.filter(hold__in=[vip.hold, standard.hold]).select_related("seat__section")
    by_hold = {(s.hold_id, s.seat.section.name, s.seat.row_label, s.seat.category) for s in seats}
    assert by_hold == {
        (vip.hold.id, "Section 2", "A", "vip"),
        (standard.hold.id, "Section 1", "B", "standard"),
    }


def test_an_expired_hold_does_not_block_best_available(buyer, other_buyer):
    event = event_with_rows(2)
    now = timezone.now()
    first = hold_create_best_available(buyer=other_buyer, event=event, count=2, now=now)
    later = now + timedelta(seconds=event.hold_seconds or 600, microseconds=1)
    second = hold_create_best_available(buyer=buyer, event=event, count=2, now=later)
    assert held_labels(second) == ["A1", "A2"]
    assert SeatAudit.objects.filter(hold_id=first.hold.id, action="expire").count() == 2


def test_no_block_together_is_409_no_adjacent_seats_and_changes_nothing(buyer, other_buyer):
    event = event_with_rows(8)
    booked(other_buyer, event, [seat_id(event, f"A{n}") for n in (1, 3, 5, 7)])
    with pytest.raises(NoAdjacentSeats) as error:
        hold_create_best_available(buyer=buyer, event=event, count=2)
    assert error.value.code == "no_adjacent_seats" and error.value.http_status == 409
    assert not Hold.objects.filter(buyer=buyer).exists()


def test_together_false_takes_the_best_scattered_seats(buyer, other_buyer):
    event = event_with_rows(8)
    booked(other_buyer, event, [seat_id(event, f"A{n}") for n in (1, 3, 5, 7)])
    result = hold_create_best_available(buyer=buyer, event=event, count=2, together=False)
    assert held_labels(result) == ["A4", "A6"]
    assert result.adjacent is False


def test_together_false_still_prefers_a_block(buyer):
    event = event_with_rows(8)
    result = hold_create_best_available(buyer=buyer, event=event, count=3, together=False)
    assert result.adjacent is True and held_labels(result) == ["A3", "A4", "A5"]


def test_not_enough_seats_at_all(buyer):
    event = event_with_rows(2)
    with pytest.raises(NoAdjacentSeats):
        hold_create_best_available(buyer=buyer, event=event, count=3, together=False)


def test_the_per_buyer_limit_counts_what_the_buyer_already_holds(buyer):
    event = event_with_rows(10, 10, max_seats_per_buyer=4)
    hold_create_best_available(buyer=buyer, event=event, count=3)
    with pytest.raises(SeatLimitExceeded) as error:
        hold_create_best_available(buyer=buyer, event=event, count=2)
    assert error.value.extra == {"limit": 4}
    with pytest.raises(SeatLimitExceeded):
        hold_create_best_available(buyer=UserFactory(), event=event, count=5)


def test_the_event_must_be_on_sale(buyer):
    event = event_with_rows(4)
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CLOSED)
    event.refresh_from_db()
    with pytest.raises(EventNotOnSale):
        hold_create_best_available(buyer=buyer, event=event, count=1)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"count": 0}, "count"),
        ({"count": 11}, "count"),
        ({"count": 2, "section": "Nowhere"}, "section"),
        ({"count": 2, "category": "royal box"}, "category"),
    ],
)
def test_invalid_requests(buyer, kwargs, field):
    event = event_with_rows(4)
    with pytest.raises(Invalid) as error:
        hold_create_best_available(buyer=buyer, event=event, **kwargs)
    assert field in error.value.extra["fields"]["best_available"]


def test_a_constant_number_of_queries_whatever_the_count(buyer):
    # given: two events, so that both requests find an empty front row
    event_small, event_large = event_with_rows(10), event_with_rows(10)
    # when
    with CaptureQueriesContext(connection) as small:
        hold_create_best_available(buyer=buyer, event=event_small, count=2)
    with CaptureQueriesContext(connection) as large:
        hold_create_best_available(buyer=buyer, event=event_large, count=6)
    # then: the same statements for 2 seats as for 6 (one read, one locked claim, set-based writes)
    sql = [query["sql"][:60] for query in large.captured_queries]
    assert len(small.captured_queries) == len(large.captured_queries), sql
    assert len(large.captured_queries) == QUERIES, sql


def test_only_the_front_rows_are_read_when_they_have_room(buyer):
    # given: 30 rows; the front row has room
    event = event_with_rows(*[10] * 30)
    # when
    with CaptureQueriesContext(connection) as queries:
        result = hold_create_best_available(buyer=buyer, event=event, count=4)
    # then: one read of the seats, of row A only
    reads = [q["sql"] for q in queries.captured_queries if "row_index <" in q["sql"]]
    assert len(reads) == 1 and "row_index < 1" in reads[0]
    assert held_labels(result) == ["A4", "A5", "A6", "A7"]


def test_deeper_rows_are_read_when_the_front_ones_are_full(buyer, other_buyer):
    # given: rows A-C have one free seat each; in row D, D1 is taken
    event = event_with_rows(*[4] * 10, max_seats_per_buyer=20)
    booked(
        other_buyer,
        event,
        [seat_id(event, f"{row}{n}") for row in "ABC" for n in (1, 2, 3)] + [seat_id(event, "D1")],
    )
    # when
    with CaptureQueriesContext(connection) as queries:
        result = hold_create_best_available(buyer=buyer, event=event, count=2)
    # then: rows were read in bands (A; B-C; D-G) and D2-D3 was chosen (D3-D4 would strand D2)
    reads = [q["sql"] for q in queries.captured_queries if "row_index <" in q["sql"]]
    assert len(reads) == 3
    assert held_labels(result) == ["D2", "D3"]


def test_the_scope_of_a_hall_is_read_once(buyer):
    # given: a request for the best pair has been answered on this event
    event = event_with_rows(10, 10)
    hold_create_best_available(buyer=buyer, event=event, count=2)
    # when
    with CaptureQueriesContext(connection) as again:
        hold_create_best_available(buyer=buyer, event=event, count=2)
    # then: the rows' depth is not read again (a hall's layout cannot change under its events)
    assert not [q for q in again.captured_queries if "MIN(" in q["sql"].upper()], again.captured_queries


def test_on_a_placed_plan_the_section_nearest_its_middle_wins_a_tie(buyer):
    # given: three stands in a row on the hall's plan, their front rows alike; in layout order,
    # "Left" comes first, but "Middle" is nearest the middle of the plan
    hall = HallFactory()
    stand = lambda name, x: {"name": name, "rows": [{"label": "A", "seats": 6, "x": x, "y": 0}]}  # noqa: E731
    layout_replace(hall=hall, sections=[stand("Left", 0), stand("Right", 20), stand("Middle", 10)])
    event = on_sale_event(hall=hall, prices={"standard": "10.00"})
    # when
    result = hold_create_best_available(buyer=buyer, event=event, count=2)
    # then
    held = EventSeat.objects.filter(hold=result.hold).values_list("seat__section__name", "seat__number")
    assert sorted(held) == [("Middle", 3), ("Middle", 4)]


def test_without_a_plan_the_layout_order_breaks_the_tie(buyer):
    event = event_with_rows(6, sections=3)
    result = hold_create_best_available(buyer=buyer, event=event, count=2)
    held = EventSeat.objects.filter(hold=result.hold).values_list("seat__section__name", flat=True)
    assert set(held) == {"Section 1"}
