"""Event services: creation with its inventory, updates, and the status state machine."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from config.errors import Invalid
from tests.factories import HallFactory, hall_with_layout, on_sale_event
from ticketing.models import Event, EventPrice, EventSeat
from ticketing.services.bookings import booking_confirm
from ticketing.services.events import event_create, event_set_status, event_update
from ticketing.services.holds import hold_create
from venues.services import layout_replace

pytestmark = pytest.mark.django_db

PRICES = {"vip": Decimal("80.00"), "standard": Decimal("35.00")}


def create(hall, **fields):
    values = {
        "kind": Event.Kind.SHOW,
        "title": "Hamlet",
        "hall": hall,
        "starts_at": timezone.now() + timedelta(days=3),
        **fields,
    }
    return event_create(**values)


def invalid_fields(call) -> dict:
    with pytest.raises(Invalid) as caught:
        call()
    return caught.value.extra["fields"]


# --- Creation and inventory ------------------------------------------------------------------


def test_creating_an_event_creates_one_available_seat_per_seat_of_the_hall():
    hall = hall_with_layout(sections=3, rows=4, seats=5)
    event = create(hall)
    seats = EventSeat.objects.filter(event=event)
    assert seats.count() == 60
    assert set(seats.values_list("status", flat=True)) == {"available"}
    assert set(seats.values_list("seat__section__hall", flat=True)) == {hall.pk}
    assert event.status == Event.Status.DRAFT


def test_event_seat_ids_follow_the_display_order():
    # given a layout whose sections, rows and numbers were not inserted in display order
    hall = HallFactory()
    layout_replace(
        hall=hall,
        sections=[
            {
                "name": "Upper",
                "rows": [{"label": "B", "seats": 2, "first_number": 10}, {"label": "A", "seats": 2}],
            },
            {"name": "Lower", "rows": [{"label": "Z", "seats": 3}]},
        ],
    )
    # when
    event = create(hall)
    # then pk order is section position, row position, number
    rows = EventSeat.objects.filter(event=event).order_by("id")
    assert [(s.seat.section.name, s.seat.row_label, s.seat.number) for s in rows] == [
        ("Upper", "B", 10),
        ("Upper", "B", 11),
        ("Upper", "A", 1),
        ("Upper", "A", 2),
        ("Lower", "Z", 1),
        ("Lower", "Z", 2),
        ("Lower", "Z", 3),
    ]


def test_two_events_in_one_hall_have_their_own_inventory():
    hall = hall_with_layout()
    first, second = create(hall), create(hall, title="Macbeth")
    assert (
        EventSeat.objects.filter(event=first).count() == EventSeat.objects.filter(event=second).count() == 10
    )


def test_prices_are_stored_as_decimal_cents():
    event = create(hall_with_layout(), prices={"vip": "80", "standard": 35.5})
    assert dict(event.prices.values_list("category", "amount")) == {
        "vip": Decimal("80.00"),
        "standard": Decimal("35.50"),
    }


def test_an_event_needs_a_hall_with_a_layout():
    assert "hall" in invalid_fields(lambda: create(HallFactory()))
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "match", "home_team": "Lyon", "away_team": ""}, "away_team"),
        ({"kind": "show", "title": "  "}, "title"),
        ({"kind": "concert"}, "kind"),
        ({"prices": {"balcony": 10}}, "prices"),
        ({"prices": {"vip": -1}}, "prices"),
        ({"prices": {"vip": "free"}}, "prices"),
        ({"prices": {"vip": "NaN"}}, "prices"),
        ({"status": "on_sale", "prices": {"vip": 10}}, "prices"),
        ({"status": "closed"}, "status"),
    ],
    ids=[
        "match-without-away-team",
        "show-without-title",
        "unknown-kind",
        "unknown-category",
        "negative-price",
        "not-a-number",
        "nan",
        "on-sale-with-a-category-unpriced",
        "created-closed",
    ],
)
def test_invalid_events_are_refused_and_nothing_is_written(fields, field):
    hall = hall_with_layout()
    assert field in invalid_fields(lambda: create(hall, **fields))
    assert not Event.objects.exists()
    assert not EventSeat.objects.exists()


def test_an_event_may_be_created_on_sale_with_every_category_priced():
    event = create(hall_with_layout(), status=Event.Status.ON_SALE, prices=PRICES)
    assert event.status == Event.Status.ON_SALE


# --- Updates ---------------------------------------------------------------------------------


def test_update_changes_details_and_merges_prices():
    event = create(hall_with_layout(), prices={"vip": 50})
    event_update(event=event, title=" King Lear ", prices={"standard": "20"}, max_seats_per_buyer=4)
    event.refresh_from_db()
    assert (event.title, event.max_seats_per_buyer) == ("King Lear", 4)
    assert dict(event.prices.values_list("category", "amount")) == {
        "vip": Decimal("50.00"),
        "standard": Decimal("20.00"),
    }


def test_update_moves_updated_at_even_for_prices_only():
    event = create(hall_with_layout(), prices={"vip": 50})
    before = event.updated_at
    event_update(event=event, prices={"vip": 60})
    event.refresh_from_db()
    assert event.updated_at > before


def test_update_keeps_the_kind_rules():
    event = create(hall_with_layout())
    assert "home_team" in invalid_fields(lambda: event_update(event=event, kind=Event.Kind.MATCH))
    event.refresh_from_db()
    assert event.kind == Event.Kind.SHOW


def test_the_hall_of_an_event_never_changes():
    event = create(hall_with_layout())
    assert "hall" in invalid_fields(lambda: event_update(event=event, hall=hall_with_layout()))
    event_update(event=event, hall=event.hall)  # the same hall is fine


def test_update_refuses_unknown_fields_and_categories():
    event = create(hall_with_layout())
    assert "status_code" in invalid_fields(lambda: event_update(event=event, status_code=1))
    assert "prices" in invalid_fields(lambda: event_update(event=event, prices={"balcony": 1}))


def test_update_with_a_status_goes_through_the_state_machine():
    event = create(hall_with_layout())
    event_update(event=event, prices=PRICES, status=Event.Status.ON_SALE)
    event.refresh_from_db()
    assert event.status == Event.Status.ON_SALE


# --- The status state machine ----------------------------------------------------------------

ALLOWED = {  # cancelling is event_cancel, never a status change (test below)
    ("draft", "on_sale"),
    ("on_sale", "closed"),
    ("closed", "on_sale"),
}


@pytest.mark.parametrize("source", ["draft", "on_sale", "closed", "cancelled"])
@pytest.mark.parametrize("target", ["draft", "on_sale", "closed", "cancelled"])
def test_status_transitions(source, target):
    event = create(hall_with_layout(), prices=PRICES)
    Event.objects.filter(pk=event.pk).update(status=source)
    event.refresh_from_db()
    if (source, target) in ALLOWED:
        event_set_status(event=event, status=target)
        event.refresh_from_db()
        assert event.status == target
    else:
        assert "status" in invalid_fields(lambda: event_set_status(event=event, status=target))
        event.refresh_from_db()
        assert event.status == source


def test_going_on_sale_is_refused_while_a_category_has_no_price():
    event = create(hall_with_layout(), prices={"vip": 10})
    fields = invalid_fields(lambda: event_set_status(event=event, status=Event.Status.ON_SALE))
    assert "standard" in fields["prices"][0]
    event.refresh_from_db()
    assert event.status == Event.Status.DRAFT
    # once priced, it opens
    event_update(event=event, prices={"standard": 5})
    event_set_status(event=event, status=Event.Status.ON_SALE)
    assert event.status == Event.Status.ON_SALE


def test_the_transition_is_checked_against_the_stored_status():
    event = create(hall_with_layout(), prices=PRICES, status=Event.Status.ON_SALE)
    stale = Event.objects.get(pk=event.pk)
    event_set_status(event=event, status=Event.Status.CLOSED)
    # a stale copy still says on_sale; the database says closed, which cannot close again
    assert "status" in invalid_fields(lambda: event_set_status(event=stale, status=Event.Status.CLOSED))


def test_an_unknown_status_is_invalid():
    event = create(hall_with_layout())
    assert "status" in invalid_fields(lambda: event_set_status(event=event, status="postponed"))


@pytest.mark.parametrize("with_bookings", [False, True])
def test_cancelling_is_event_cancel_not_a_status_change(buyer, with_bookings):
    # given
    event = on_sale_event()
    if with_bookings:
        seat_ids = list(EventSeat.objects.filter(event=event).values_list("id", flat=True)[:1])
        booking_confirm(buyer=buyer, hold_id=hold_create(buyer=buyer, event=event, seat_ids=seat_ids).pk)
    # when / then: one meaning for cancelling an event, event_cancel (POST /events/{id}/cancel/)
    fields = invalid_fields(lambda: event_set_status(event=event, status=Event.Status.CANCELLED))
    assert "/cancel/" in fields["status"][0]
    assert "status" in invalid_fields(lambda: event_update(event=event, status=Event.Status.CANCELLED))
    assert Event.objects.get(pk=event.pk).status == Event.Status.ON_SALE


def test_prices_are_unique_per_category_after_many_updates():
    event = create(hall_with_layout())
    for amount in (1, 2, 3):
        event_update(event=event, prices={"vip": amount})
    assert EventPrice.objects.filter(event=event, category="vip").count() == 1
    assert EventPrice.objects.get(event=event, category="vip").amount == Decimal("3.00")
