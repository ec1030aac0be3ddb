"""ticketing/services/inventory.py: seat ids, the event's seats, effective status, block and unblock."""

from datetime import timedelta

import pytest
from django.utils import timezone

from config.errors import Invalid, SeatsUnavailable
from tests.factories import StaffFactory, UserFactory, hall_with_layout, on_sale_event
from tests.ticketing.helpers import after_expiry, booked, held, seat_ids, statuses
from ticketing.models import Event, EventSeat, SeatAudit
from ticketing.services.inventory import (
    inventory_create,
    seat_effective_status,
    seat_ids_validate,
    seats_block,
    seats_unblock,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(db):
    return StaffFactory()


# --- seat_ids_validate ---------------------------------------------------------------------------


def test_valid_ids_come_back_sorted():
    assert seat_ids_validate([5, 2, 9]) == [2, 5, 9]


@pytest.mark.parametrize(
    "value",
    [[], None, "1", (1, 2), [1, 1], ["1"], [1.0], [True], [0], [-3], [2**63]],
    ids=[
        "empty",
        "none",
        "string",
        "tuple",
        "duplicate",
        "str-id",
        "float",
        "bool",
        "zero",
        "negative",
        "overflow",
    ],
)
def test_anything_but_distinct_positive_integers_is_invalid(value):
    with pytest.raises(Invalid) as error:
        seat_ids_validate(value)
    assert "seat_ids" in error.value.extra["fields"]


def test_the_largest_storable_id_is_valid():
    assert seat_ids_validate([2**63 - 1]) == [2**63 - 1]


def test_the_count_is_bounded_by_the_hold_limit_unless_told(settings):
    settings.TICKETING_MAX_SEATS_PER_HOLD = 3
    assert seat_ids_validate([1, 2, 3]) == [1, 2, 3]
    with pytest.raises(Invalid, match="At most 3 seats"):
        seat_ids_validate([1, 2, 3, 4])
    assert seat_ids_validate([1, 2, 3, 4], max_count=4) == [1, 2, 3, 4]


# --- inventory_create ----------------------------------------------------------------------------


def test_inventory_create_makes_one_available_seat_per_hall_seat_in_map_order():
    event = on_sale_event(hall=hall_with_layout(sections=2, rows=3, seats=4))
    seats = list(EventSeat.objects.filter(event=event).order_by("id").select_related("seat__section"))
    assert len(seats) == 2 * 3 * 4
    assert {seat.status for seat in seats} == {"available"}
    order = [(s.seat.section.position, s.seat.section_id, s.seat.row_index, s.seat.number) for s in seats]
    assert order == sorted(order)


def test_inventory_create_returns_the_count_and_touches_only_its_event():
    hall = hall_with_layout(rows=2, seats=5)
    first = on_sale_event(hall=hall)
    second = Event.objects.create(
        hall=hall, kind=Event.Kind.MATCH, home_team="A", away_team="B", starts_at=first.starts_at
    )
    assert EventSeat.objects.filter(event=second).count() == 0  # a bare row, not event_create
    assert inventory_create(event=second) == 10
    assert EventSeat.objects.filter(event=second).count() == 10
    assert EventSeat.objects.filter(event=first).count() == 10


# --- seat_effective_status -----------------------------------------------------------------------


def test_a_held_seat_is_held_while_its_hold_is_live_and_available_after(event, buyer):
    ids = seat_ids(event, 1)
    hold = held(buyer, event, ids)
    seat = EventSeat.objects.select_related("hold").get(pk=ids[0])
    assert seat_effective_status(seat, timezone.now()) == "held"
    assert seat_effective_status(seat, after_expiry(hold)) == "available"


def test_other_statuses_are_what_they_say(event, buyer, boss):
    ids = seat_ids(event, 3)
    booked(buyer, event, ids[:1])
    seats_block(event=event, seat_ids=ids[1:2], actor=boss)
    now = timezone.now()
    found = EventSeat.objects.select_related("hold").in_bulk(ids)
    assert [seat_effective_status(found[i], now) for i in ids] == ["booked", "blocked", "available"]


# --- seats_block ---------------------------------------------------------------------------------


def test_blocking_available_seats_blocks_them_with_the_reason_and_audits(event, boss):
    ids = seat_ids(event, 2)
    assert seats_block(event=event, seat_ids=ids, actor=boss, reason="camera") == 2
    assert set(EventSeat.objects.filter(id__in=ids).values_list("status", "block_reason", "hold")) == {
        ("blocked", "camera", None)
    }
    audit = SeatAudit.objects.filter(event_seat_id__in=ids)
    assert sorted(
        audit.values_list("event_seat_id", "from_status", "to_status", "action", "actor", "reason")
    ) == [(i, "available", "blocked", "block", boss.pk, "camera") for i in ids]


def test_blocking_a_blocked_seat_again_changes_and_audits_nothing(event, boss):
    ids = seat_ids(event, 2)
    seats_block(event=event, seat_ids=ids[:1], actor=boss)
    assert seats_block(event=event, seat_ids=ids, actor=boss) == 1
    assert statuses(ids) == ["blocked", "blocked"]
    assert SeatAudit.objects.filter(event_seat_id=ids[0], action="block").count() == 1


def test_the_reason_is_cut_to_200_characters(event, boss):
    ids = seat_ids(event, 1)
    seats_block(event=event, seat_ids=ids, actor=boss, reason="x" * 300)
    assert EventSeat.objects.get(pk=ids[0]).block_reason == "x" * 200
    assert SeatAudit.objects.get(event_seat_id=ids[0]).reason == "x" * 200


def test_a_seat_of_an_expired_hold_is_blocked_and_the_expiry_audited(event, buyer, boss):
    ids = seat_ids(event, 1)
    hold = held(buyer, event, ids)
    later = after_expiry(hold)
    assert seats_block(event=event, seat_ids=ids, actor=boss, now=later) == 1
    seat = EventSeat.objects.get(pk=ids[0])
    assert (seat.status, seat.hold_id) == ("blocked", None)
    steps = SeatAudit.objects.filter(event_seat_id=ids[0], at=later).order_by("id")
    assert list(steps.values_list("from_status", "to_status", "action", "hold")) == [
        ("held", "available", "expire", hold.pk),
        ("available", "blocked", "block", None),
    ]


def test_held_or_booked_seats_are_unavailable_with_their_statuses_and_nothing_changes(
    event, buyer, other_buyer, boss
):
    ids = seat_ids(event, 3)
    held(buyer, event, ids[:1])
    booked(other_buyer, event, ids[1:2])
    before = SeatAudit.objects.count()
    with pytest.raises(SeatsUnavailable) as error:
        seats_block(event=event, seat_ids=ids[::-1], actor=boss)
    assert error.value.extra["seats"] == [
        {"id": ids[0], "status": "held"},
        {"id": ids[1], "status": "booked"},
    ]
    assert statuses(ids) == ["held", "booked", "available"]  # all or nothing
    assert SeatAudit.objects.count() == before


def test_blocking_unknown_or_another_events_seats_is_invalid(event, boss):
    other = on_sale_event()
    ids = seat_ids(event, 1)
    for wrong in ([999_999], seat_ids(other, 1)):
        with pytest.raises(Invalid, match="does not exist in this event") as error:
            seats_block(event=event, seat_ids=ids + wrong, actor=boss)
        assert error.value.extra["fields"] == {"seat_ids": [error.value.detail]}
    assert statuses(ids + seat_ids(other, 1)) == ["available", "available"]


def test_several_unknown_seats_are_all_named(event, boss):
    with pytest.raises(Invalid, match="Seats 999998, 999999 do not exist"):
        seats_block(event=event, seat_ids=[999_999, 999_998], actor=boss)


def test_blocking_takes_far_more_seats_than_a_hold(event, boss, settings):
    settings.TICKETING_MAX_SEATS_PER_HOLD = 2
    assert seats_block(event=event, seat_ids=seat_ids(event), actor=boss) == 10


# --- seats_unblock -------------------------------------------------------------------------------


def test_unblocking_frees_blocked_seats_only_and_audits_them(event, buyer, boss):
    ids = seat_ids(event, 4)
    seats_block(event=event, seat_ids=ids[:2], actor=boss, reason="camera")
    held(buyer, event, ids[2:3])
    assert seats_unblock(event=event, seat_ids=ids, actor=boss) == 2
    assert statuses(ids) == ["available", "available", "held", "available"]
    assert set(EventSeat.objects.filter(id__in=ids[:2]).values_list("block_reason", flat=True)) == {""}
    audit = SeatAudit.objects.filter(action="unblock")
    assert sorted(audit.values_list("event_seat_id", "from_status", "to_status", "actor")) == [
        (i, "blocked", "available", boss.pk) for i in ids[:2]
    ]


def test_unblocking_seats_that_are_not_blocked_changes_nothing(event, buyer):
    ids = seat_ids(event, 2)
    booked(buyer, event, ids[:1])
    assert seats_unblock(event=event, seat_ids=ids, actor=UserFactory(is_staff=True)) == 0
    assert statuses(ids) == ["booked", "available"]
    assert not SeatAudit.objects.filter(action="unblock").exists()


def test_unblocking_unknown_seats_is_invalid(event, boss):
    ids = seat_ids(event, 1)
    seats_block(event=event, seat_ids=ids, actor=boss)
    with pytest.raises(Invalid, match="Seat 999999 does not exist"):
        seats_unblock(event=event, seat_ids=[*ids, 999_999], actor=boss)
    assert statuses(ids) == ["blocked"]


def test_an_unblocked_seat_can_be_held_again(event, buyer, boss):
    ids = seat_ids(event, 1)
    seats_block(event=event, seat_ids=ids, actor=boss)
    seats_unblock(event=event, seat_ids=ids, actor=boss, now=timezone.now() + timedelta(seconds=1))
    assert held(buyer, event, ids).seats.count() == 1
