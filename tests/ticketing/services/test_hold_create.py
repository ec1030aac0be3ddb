"""hold_create: all or nothing, every error code, expiry without a sweeper, the audit trail."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from config.errors import EventNotOnSale, Invalid, SeatLimitExceeded, SeatsUnavailable
from tests.factories import StaffFactory, on_sale_event
from tests.ticketing.helpers import after_expiry, assert_inventory_clean, booked, held, seat_ids, statuses
from ticketing.models import Event, EventSeat, Hold, SeatAudit
from ticketing.services.bookings import bookings_cancel
from ticketing.services.event_cancel import event_cancel
from ticketing.services.events import event_set_status
from ticketing.services.holds import hold_create, holds_release
from ticketing.services.inventory import seats_block

pytestmark = pytest.mark.django_db


def test_holds_seats_with_prices_total_and_expiry(event, buyer, settings):
    # given: seats 0 and 1 are vip (80.00), seat 5 is standard (35.00)
    settings.TICKETING_HOLD_SECONDS = 300
    ids = [seat_ids(event)[5], *seat_ids(event, 2)]
    now = timezone.now()
    # when
    hold = hold_create(buyer=buyer, event=event, seat_ids=ids, now=now)
    # then
    hold.refresh_from_db()
    assert hold.buyer == buyer and hold.event == event and hold.status == Hold.Status.ACTIVE
    assert hold.seat_count == 3
    assert hold.total == Decimal("195.00")
    assert hold.prices == {"vip": "80.00", "standard": "35.00"}
    assert hold.created_at == now and hold.expires_at == now + timedelta(seconds=300)
    assert set(EventSeat.objects.filter(hold=hold).values_list("id", flat=True)) == set(ids)
    assert statuses(ids) == ["held"] * 3
    assert_inventory_clean(event.id, now=now)


def test_event_hold_seconds_overrides_the_default(buyer):
    event = on_sale_event(hold_seconds=60)
    now = timezone.now()
    hold = hold_create(buyer=buyer, event=event, seat_ids=seat_ids(event, 1), now=now)
    assert hold.expires_at == now + timedelta(seconds=60)


def test_hold_writes_one_audit_row_per_seat(event, buyer):
    ids = seat_ids(event, 2)
    now = timezone.now()
    hold = hold_create(buyer=buyer, event=event, seat_ids=ids, now=now)
    rows = list(SeatAudit.objects.order_by("event_seat_id").values())
    assert [(r["event_seat_id"], r["from_status"], r["to_status"], r["action"]) for r in rows] == [
        (ids[0], "available", "held", "hold"),
        (ids[1], "available", "held", "hold"),
    ]
    assert {(r["hold_id"], r["actor_id"], r["at"], r["event_id"]) for r in rows} == {
        (hold.id, buyer.id, now, event.id)
    }


@pytest.mark.parametrize(
    "seat_ids_value",
    [
        pytest.param([], id="empty"),
        pytest.param("1,2", id="not-a-list"),
        pytest.param(None, id="none"),
        pytest.param([1, "2"], id="string-id"),
        pytest.param([True], id="bool-id"),
        pytest.param([0], id="zero"),
        pytest.param([-3], id="negative"),
        pytest.param([2**63], id="too-big"),
        pytest.param(list(range(1, 12)), id="oversized"),
    ],
)
def test_malformed_ids_are_invalid(event, buyer, seat_ids_value):
    with pytest.raises(Invalid) as error:
        hold_create(buyer=buyer, event=event, seat_ids=seat_ids_value)
    assert error.value.code == "invalid" and error.value.http_status == 400
    assert "seat_ids" in error.value.extra["fields"]
    assert not Hold.objects.exists()


def test_oversized_follows_the_setting(event, buyer, settings):
    settings.TICKETING_MAX_SEATS_PER_HOLD = 2
    with pytest.raises(Invalid):
        hold_create(buyer=buyer, event=event, seat_ids=seat_ids(event, 3))


def test_duplicate_ids_are_invalid(event, buyer):
    first = seat_ids(event, 1)[0]
    with pytest.raises(Invalid, match="twice"):
        hold_create(buyer=buyer, event=event, seat_ids=[first, first])
    assert statuses([first]) == ["available"]


def test_unknown_ids_are_invalid_and_nothing_changes(event, buyer):
    ids = seat_ids(event, 2)
    unknown = max(EventSeat.objects.values_list("id", flat=True)) + 1000
    with pytest.raises(Invalid) as error:
        hold_create(buyer=buyer, event=event, seat_ids=[*ids, unknown])
    assert error.value.detail == f"Seat {unknown} does not exist in this event."
    assert error.value.extra["fields"] == {"seat_ids": [error.value.detail]}
    assert statuses(ids) == ["available", "available"]
    assert not Hold.objects.exists() and not SeatAudit.objects.exists()


def test_several_unknown_ids_are_named_in_the_plural(event, buyer):
    unknown = max(EventSeat.objects.values_list("id", flat=True)) + 1000
    with pytest.raises(Invalid) as error:
        hold_create(buyer=buyer, event=event, seat_ids=[unknown + 1, unknown])
    assert error.value.detail == f"Seats {unknown}, {unknown + 1} do not exist in this event."


def test_seats_of_another_event_are_invalid(event, buyer):
    other = on_sale_event()
    with pytest.raises(Invalid):
        hold_create(buyer=buyer, event=event, seat_ids=[seat_ids(event, 1)[0], seat_ids(other, 1)[0]])
    assert not Hold.objects.exists()


def test_seats_unavailable_names_every_taken_seat_and_its_status(event, buyer, other_buyer, staff):
    # given: seat 0 held by another buyer, seat 1 booked, seat 2 blocked, seat 3 held by me
    ids = seat_ids(event, 5)
    held(other_buyer, event, [ids[0]])
    booked(other_buyer, event, [ids[1]])
    seats_block(event=event, seat_ids=[ids[2]], actor=staff)
    held(buyer, event, [ids[3]])
    audit_before = SeatAudit.objects.count()
    # when
    with pytest.raises(SeatsUnavailable) as error:
        hold_create(buyer=buyer, event=event, seat_ids=[ids[4], ids[3], ids[2], ids[1], ids[0]])
    # then
    assert error.value.code == "seats_unavailable" and error.value.http_status == 409
    assert error.value.extra["seats"] == [
        {"id": ids[0], "status": "held"},
        {"id": ids[1], "status": "booked"},
        {"id": ids[2], "status": "blocked"},
        {"id": ids[3], "status": "held"},
    ]
    assert error.value.detail.startswith("4 of the requested seats")
    assert statuses([ids[4]]) == ["available"]  # all or nothing
    assert Hold.objects.count() == 3 and SeatAudit.objects.count() == audit_before


@pytest.mark.parametrize("status", [Event.Status.DRAFT, Event.Status.CLOSED, Event.Status.CANCELLED])
def test_event_not_on_sale(buyer, status):
    event = on_sale_event(status=Event.Status.DRAFT) if status == Event.Status.DRAFT else on_sale_event()
    if status == Event.Status.CANCELLED:
        event_cancel(event=event, actor=StaffFactory())
    elif status != Event.Status.DRAFT:
        event_set_status(event=event, status=status)
    with pytest.raises(EventNotOnSale) as error:
        hold_create(buyer=buyer, event=event, seat_ids=seat_ids(event, 1))
    assert error.value.code == "event_not_on_sale" and error.value.http_status == 409
    assert not Hold.objects.exists()


def test_event_not_on_sale_once_started(event, buyer):
    with pytest.raises(EventNotOnSale, match="started"):
        hold_create(buyer=buyer, event=event, seat_ids=seat_ids(event, 1), now=event.starts_at)


def test_seat_limit_counts_held_and_booked_seats(buyer):
    # given: a limit of 4, two seats booked and one held by the buyer
    event = on_sale_event(max_seats_per_buyer=4)
    ids = seat_ids(event)
    booked(buyer, event, ids[0:2])
    held(buyer, event, ids[2:3])
    # when / then: one more fits, two more do not
    with pytest.raises(SeatLimitExceeded) as error:
        hold_create(buyer=buyer, event=event, seat_ids=ids[3:5])
    assert error.value.code == "seat_limit_exceeded" and error.value.http_status == 409
    assert error.value.extra["limit"] == 4
    assert hold_create(buyer=buyer, event=event, seat_ids=ids[3:4]).seat_count == 1


def test_seat_limit_for_one_list_longer_than_the_limit(buyer):
    event = on_sale_event(max_seats_per_buyer=2)
    with pytest.raises(SeatLimitExceeded) as error:
        hold_create(buyer=buyer, event=event, seat_ids=seat_ids(event, 3))
    assert error.value.extra["limit"] == 2


def test_seat_limit_default_setting(event, buyer, settings):
    settings.TICKETING_MAX_SEATS_PER_BUYER = 1
    held(buyer, event, seat_ids(event, 1))
    with pytest.raises(SeatLimitExceeded) as error:
        hold_create(buyer=buyer, event=event, seat_ids=seat_ids(event, 1, offset=1))
    assert error.value.extra["limit"] == 1


def test_seat_limit_ignores_expired_released_and_cancelled(buyer):
    # given: limit 2; a cancelled booking of 2 seats, a released hold, an expired hold
    event = on_sale_event(max_seats_per_buyer=2)
    ids = seat_ids(event)
    t0 = timezone.now()
    bookings_cancel(booking_ids=[booked(buyer, event, ids[0:2], now=t0).pk], actor=buyer, now=t0)
    holds_release(hold_ids=[held(buyer, event, ids[2:4], now=t0).pk], actor=buyer, now=t0)
    old = held(buyer, event, ids[4:6], now=t0)
    # when: after the last hold's expiry, two more seats
    hold = hold_create(buyer=buyer, event=event, seat_ids=ids[6:8], now=after_expiry(old))
    # then
    assert hold.seat_count == 2


def test_limit_is_per_event(buyer):
    first, second = on_sale_event(max_seats_per_buyer=1), on_sale_event(max_seats_per_buyer=1)
    held(buyer, first, seat_ids(first, 1))
    assert held(buyer, second, seat_ids(second, 1)).seat_count == 1


def test_an_expired_hold_frees_its_seats_at_once_without_a_sweeper(event, buyer, other_buyer):
    # given: a hold, and no sweeper ever running
    ids = seat_ids(event, 2)
    t0 = timezone.now()
    old = held(buyer, event, ids, now=t0)
    # when: one microsecond before expiry the seats are still taken...
    with pytest.raises(SeatsUnavailable):
        hold_create(
            buyer=other_buyer, event=event, seat_ids=ids, now=old.expires_at - timedelta(microseconds=1)
        )
    # ...and at the expiry instant they are available
    new = hold_create(buyer=other_buyer, event=event, seat_ids=ids, now=old.expires_at)
    # then
    assert set(EventSeat.objects.filter(hold=new).values_list("id", flat=True)) == set(ids)
    assert Hold.objects.get(pk=old.pk).status == Hold.Status.ACTIVE  # only recorded by the sweeper
    assert_inventory_clean(event.id, now=old.expires_at)


def test_taking_over_an_expired_hold_audits_the_expiry_then_the_hold(event, buyer, other_buyer):
    ids = seat_ids(event, 1)
    old = held(buyer, event, ids)
    now = after_expiry(old)
    new = hold_create(buyer=other_buyer, event=event, seat_ids=ids, now=now)
    rows = list(
        SeatAudit.objects.filter(at=now)
        .order_by("id")
        .values_list("action", "from_status", "to_status", "hold_id")
    )
    assert rows == [("expire", "held", "available", old.id), ("hold", "available", "held", new.id)]


def test_same_buyer_cannot_hold_a_seat_twice(event, buyer):
    ids = seat_ids(event, 1)
    held(buyer, event, ids)
    with pytest.raises(SeatsUnavailable) as error:
        hold_create(buyer=buyer, event=event, seat_ids=ids)
    assert error.value.extra["seats"] == [{"id": ids[0], "status": "held"}]
