"""The box-office admin: every page loads, and every change goes through the services."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tests.factories import StaffFactory, hall_with_layout, on_sale_event
from ticketing.models import (
    Booking,
    Event,
    EventSeat,
    Hold,
    IdempotencyKey,
    Payment,
    SeatAudit,
    Ticket,
    WaitlistEntry,
)
from ticketing.services.bookings import booking_confirm
from ticketing.services.events import event_create
from ticketing.services.holds import hold_create
from ticketing.services.inventory import seats_block
from ticketing.services.seasons import season_create
from venues.models import Hall, Venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss():
    return StaffFactory(is_superuser=True)


@pytest.fixture
def admin_client(client, boss):
    client.force_login(boss)
    return client


@pytest.fixture
def world(event, buyer, other_buyer, staff):
    """One of everything: a hold, a booking with tickets, a blocked seat, audit, a key."""
    ids = list(EventSeat.objects.filter(event=event).order_by("id").values_list("id", flat=True))
    booking = booking_confirm(buyer=buyer, hold_id=hold_create(buyer=buyer, event=event, seat_ids=ids[:2]).pk)
    hold = hold_create(buyer=other_buyer, event=event, seat_ids=ids[2:3])
    seats_block(event=event, seat_ids=ids[3:4], actor=staff, reason="camera")
    IdempotencyKey.objects.create(user=buyer, key="k1", request_hash="0" * 64, created_at=timezone.now())
    Payment.objects.create(
        buyer=other_buyer,
        hold=hold,
        gateway="fake",
        idempotency_key="pay-1",
        amount=hold.total,
        currency="EUR",
        status=Payment.Status.FAILED,
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )
    season_create(
        name="Season", hall=event.hall, event_ids=[event.pk], prices={"vip": "100", "standard": "40"}
    )
    # a waiting-list entry that was left (a waiting one would be offered the seats the tests free)
    WaitlistEntry.objects.create(
        event=event,
        buyer=other_buyer,
        count=1,
        status="left",
        created_at=timezone.now(),
        ended_at=timezone.now(),
    )
    return {"event": event, "booking": booking, "hold": hold, "seat_ids": ids}


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def url(model, view, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


# --- Every page loads -------------------------------------------------------------------------

REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label in {"accounts", "venues", "ticketing"}),
    key=lambda model: model._meta.label,
)


@pytest.mark.parametrize("model", REGISTERED, ids=[model._meta.label for model in REGISTERED])
def test_every_changelist_loads(admin_client, world, model):
    response = admin_client.get(url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=[model._meta.label for model in REGISTERED])
def test_every_change_page_loads(admin_client, world, model):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the world has no {model.__name__}"
    response = admin_client.get(url(model, "change", obj.pk))
    assert response.status_code == 200


@pytest.mark.parametrize("model", [Event, Hall, Venue])
def test_add_pages_load(admin_client, model):
    assert admin_client.get(url(model, "add")).status_code == 200


def test_the_admin_needs_staff(client, buyer):
    client.force_login(buyer)
    response = client.get(url(Event, "changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "model", [EventSeat, Hold, Booking, Ticket, SeatAudit, IdempotencyKey, Payment, WaitlistEntry]
)
def test_service_owned_rows_are_read_only(admin_client, world, model):
    obj = model._default_manager.order_by("pk").first()
    assert admin_client.get(url(model, "add")).status_code == 403
    assert admin_client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=obj.pk).exists()
    change = admin_client.get(url(model, "change", obj.pk))
    assert b'name="_save"' not in change.content  # a view page, not a form


def test_events_are_never_deleted_from_the_admin(admin_client, event):
    assert admin_client.post(url(Event, "delete", event.pk), {"post": "yes"}).status_code == 403
    assert Event.objects.filter(pk=event.pk).exists()


def test_the_event_list_shows_availability(admin_client, world):
    response = admin_client.get(url(Event, "changelist"))
    row = response.context["cl"].result_list[0]
    assert row.availability == {"available": 6, "held": 1, "booked": 2, "blocked": 1}
    assert b"column-available" in response.content


def test_the_event_list_shows_the_start_as_at_the_venue(admin_client):
    # given: a match at 18:30 UTC in January at a venue in Paris
    hall = hall_with_layout()
    Venue.objects.filter(pk=hall.venue_id).update(time_zone="Europe/Paris")
    on_sale_event(hall=hall, starts_at=datetime(2031, 1, 14, 18, 30, tzinfo=UTC))
    # when
    response = admin_client.get(url(Event, "changelist"))
    # then: 19:30 CET, as buyers see it
    assert "Tue 14 Jan 2031, 19:30 CET" in response.content.decode()


def _events(count: int) -> None:
    hall = hall_with_layout(rows=1, seats=2)
    for _ in range(count):
        on_sale_event(hall=hall, prices={"vip": 1})


@pytest.mark.parametrize("count", [1, 5])
def test_the_event_changelist_query_count_is_constant(admin_client, django_assert_num_queries, count):
    _events(count)
    admin_client.get(url(Event, "changelist"))  # warm the session and content types
    # session, user, venues (filter), count, events, availability, date hierarchy (2)
    with django_assert_num_queries(8):
        response = admin_client.get(url(Event, "changelist"))
    assert len(response.context["cl"].result_list) == count


# --- Events: add, change, actions ------------------------------------------------------------


def event_form(hall, **fields) -> dict:
    data = {
        "kind": "show",
        "title": "Hamlet",
        "home_team": "",
        "away_team": "",
        "hall": hall.pk,
        "starts_at_0": "2031-06-01",
        "starts_at_1": "20:00:00",
        "hold_seconds": "",
        "max_seats_per_buyer": "",
        "prices-TOTAL_FORMS": "2",
        "prices-INITIAL_FORMS": "0",
        "prices-MIN_NUM_FORMS": "0",
        "prices-MAX_NUM_FORMS": "1000",
        "prices-0-category": "vip",
        "prices-0-amount": "50.00",
        "prices-1-category": "standard",
        "prices-1-amount": "20.00",
        "ticket_types-TOTAL_FORMS": "0",
        "ticket_types-INITIAL_FORMS": "0",
        "ticket_types-MIN_NUM_FORMS": "0",
        "ticket_types-MAX_NUM_FORMS": "1000",
    }
    return {**data, **fields}


def test_adding_an_event_creates_its_inventory_through_the_service(admin_client):
    hall = hall_with_layout(sections=2)
    response = admin_client.post(url(Event, "add"), event_form(hall))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    event = Event.objects.get()
    assert (event.title, event.status) == ("Hamlet", Event.Status.DRAFT)
    assert EventSeat.objects.filter(event=event).count() == 20
    assert dict(event.prices.values_list("category", "amount")) == {
        "vip": Decimal("50.00"),
        "standard": Decimal("20.00"),
    }
    assert response["Location"] == url(Event, "changelist")


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"title": ""}, "Required for a show."),
        ({"kind": "match", "home_team": "Lyon"}, "Required for a match."),
        ({"prices-1-category": "balcony"}, "no seat category balcony"),
    ],
)
def test_an_invalid_event_is_shown_with_errors_and_nothing_is_created(admin_client, fields, error):
    hall = hall_with_layout()
    response = admin_client.post(url(Event, "add"), event_form(hall, **fields))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Event.objects.exists()
    assert not EventSeat.objects.exists()


def test_a_hall_without_a_layout_is_refused(admin_client):
    from tests.factories import HallFactory

    response = admin_client.post(url(Event, "add"), event_form(HallFactory()))
    assert response.status_code == 200
    assert "no seat layout" in response.content.decode()
    assert not Event.objects.exists()


def test_changing_an_event_goes_through_event_update(admin_client, event):
    price_ids = dict(event.prices.values_list("category", "id"))
    data = event_form(
        event.hall,
        kind="match",
        title="",
        home_team="Lyon VB",
        away_team="Cannes",
        **{
            "prices-TOTAL_FORMS": "2",
            "prices-INITIAL_FORMS": "2",
            "prices-0-id": str(price_ids["standard"]),
            "prices-0-event": str(event.pk),
            "prices-0-category": "standard",
            "prices-0-amount": "30.00",
            "prices-1-id": str(price_ids["vip"]),
            "prices-1-event": str(event.pk),
            "prices-1-category": "vip",
            "prices-1-amount": "90.00",
        },
    )
    data.pop("hall")
    before = event.updated_at
    response = admin_client.post(url(Event, "change", event.pk), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    event.refresh_from_db()
    assert event.away_team == "Cannes"
    assert event.updated_at > before
    assert dict(event.prices.values_list("category", "amount")) == {
        "vip": Decimal("90.00"),
        "standard": Decimal("30.00"),
    }


def draft(**prices):
    return event_create(
        kind="show",
        title="Draft",
        hall=hall_with_layout(),
        starts_at=timezone.now() + timedelta(days=3),
        prices=prices,
    )


def run_action(client, model, action, ids, **extra):
    data = {"action": action, "_selected_action": [str(i) for i in ids], "index": "0", **extra}
    return client.post(url(model, "changelist"), data, follow=True)


def test_open_and_close_sales_actions(admin_client):
    ready, unpriced = draft(vip=10, standard=5), draft(vip=10)
    response = run_action(admin_client, Event, "open_sales", [ready.pk, unpriced.pk])
    assert Event.objects.get(pk=ready.pk).status == Event.Status.ON_SALE
    assert Event.objects.get(pk=unpriced.pk).status == Event.Status.DRAFT
    text = " ".join(messages_of(response))
    assert "Sales opened: 1" in text and "standard" in text

    run_action(admin_client, Event, "close_sales", [ready.pk])
    assert Event.objects.get(pk=ready.pk).status == Event.Status.CLOSED


def test_the_admin_cancels_an_event_one_way_only(admin_client):
    # the one cancel action cancels and refunds (tests/ticketing/services/test_event_cancel.py)
    response = admin_client.get("/admin/ticketing/event/")
    assert b"cancel_events_with_refunds" in response.content
    assert b'value="cancel_events"' not in response.content


# --- Seats, holds, bookings: actions ---------------------------------------------------------


def test_block_and_unblock_actions(admin_client, event, boss):
    ids = list(EventSeat.objects.filter(event=event).order_by("id").values_list("id", flat=True)[:3])
    response = run_action(admin_client, EventSeat, "block_seats", ids, reason="press")
    assert set(EventSeat.objects.filter(id__in=ids).values_list("status", "block_reason")) == {
        ("blocked", "press")
    }
    assert SeatAudit.objects.filter(event_seat_id__in=ids, action="block", actor=boss).count() == 3
    assert "Seats blocked: 3." in messages_of(response)

    run_action(admin_client, EventSeat, "unblock_seats", ids)
    assert set(EventSeat.objects.filter(id__in=ids).values_list("status", flat=True)) == {"available"}


def test_blocking_a_held_seat_is_refused_and_changes_nothing(admin_client, world):
    ids = [world["seat_ids"][2], world["seat_ids"][5]]  # held, available
    response = run_action(admin_client, EventSeat, "block_seats", ids)
    assert EventSeat.objects.get(pk=ids[0]).status == "held"
    assert EventSeat.objects.get(pk=ids[1]).status == "available"
    assert any("no longer available" in message for message in messages_of(response))


def test_the_seat_list_filters_by_event_and_status(admin_client, world):
    response = admin_client.get(
        url(EventSeat, "changelist") + f"?event__id__exact={world['event'].pk}&status=booked"
    )
    assert [seat.pk for seat in response.context["cl"].result_list] == world["seat_ids"][:2]


def test_release_holds_action(admin_client, world):
    run_action(admin_client, Hold, "release_holds", [world["hold"].pk])
    assert Hold.objects.get(pk=world["hold"].pk).status == Hold.Status.RELEASED
    assert EventSeat.objects.get(pk=world["seat_ids"][2]).status == "available"


def test_cancel_bookings_action(admin_client, world):
    booking = world["booking"]
    run_action(admin_client, Booking, "cancel_bookings", [booking.pk])
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED
    assert set(EventSeat.objects.filter(id__in=world["seat_ids"][:2]).values_list("status", flat=True)) == {
        "available"
    }
    again = run_action(admin_client, Booking, "cancel_bookings", [booking.pk])
    assert any("already cancelled" in message for message in messages_of(again))


def test_staff_set_a_waiting_room_in_the_admin(admin_client, queue_redis):
    fields = {
        "waiting_room_opens_at_0": "2031-05-01",
        "waiting_room_opens_at_1": "10:00:00",
        "waiting_room_admit_per_minute": "200",
    }
    response = admin_client.post(url(Event, "add"), event_form(hall_with_layout(), **fields))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert Event.objects.get().waiting_room_admit_per_minute == 200


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"waiting_room_admit_per_minute": "10"}, "needs both opens_at and admit_per_minute"),
        (
            {"waiting_room_opens_at_0": "2031-05-01", "waiting_room_opens_at_1": "10:00:00"},
            "needs both opens_at and admit_per_minute",
        ),
    ],
)
def test_an_incomplete_waiting_room_is_refused_in_the_admin(admin_client, queue_redis, fields, error):
    response = admin_client.post(url(Event, "add"), event_form(hall_with_layout(), **fields))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Event.objects.exists()


def test_without_redis_the_admin_says_a_waiting_room_needs_it(admin_client, settings):
    settings.TICKETING_QUEUE_REDIS_URL = ""
    fields = {
        "waiting_room_opens_at_0": "2031-05-01",
        "waiting_room_opens_at_1": "10:00:00",
        "waiting_room_admit_per_minute": "20",
    }
    response = admin_client.post(url(Event, "add"), event_form(hall_with_layout(), **fields))
    assert response.status_code == 200
    assert "needs Redis" in response.content.decode()
