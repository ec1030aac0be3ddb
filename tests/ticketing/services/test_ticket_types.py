"""Ticket types: staff set them per event, buyers pick one per seat, tickets carry type and price,
and the charge is the booking's total."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from config.errors import HoldExpired, Invalid, PaymentNotUsable, TicketTypeLimitExceeded
from tests.factories import UserFactory, on_sale_event
from tests.ticketing.helpers import after_expiry, assert_inventory_clean, held, seat_ids
from ticketing.models import Booking, Payment, TicketType
from ticketing.selectors.invariants import inventory_check
from ticketing.selectors.ticket_types import ticket_type_names, ticket_types_of
from ticketing.services import events as events_module
from ticketing.services import ticket_types as ticket_types_module
from ticketing.services.bookings import booking_confirm, booking_create
from ticketing.services.events import event_update
from ticketing.services.payments import payment_charge
from ticketing.services.ticket_types import booking_price

pytestmark = pytest.mark.django_db

TYPES = [
    {"code": "reduced", "name": "Reduced", "prices": {"vip": "50.00", "standard": "20.00"}},
    {"code": "child", "name": "Child", "prices": {"standard": "10.00"}, "max_per_booking": 2},
]


@pytest.fixture
def typed_event():
    """Row A vip (80.00 full), row B standard (35.00 full); reduced on both, child on standard."""
    return on_sale_event(ticket_types=TYPES)


def vip(event, count=1):
    return seat_ids(event, count)


def standard(event, count=1):
    return seat_ids(event, count, offset=5)


# --- staff set the types ------------------------------------------------------------------------


def test_an_event_lists_full_first_then_its_types(typed_event):
    event = type(typed_event).objects.prefetch_related("prices", "ticket_types").get(pk=typed_event.pk)
    types = ticket_types_of(event=event)
    assert [t["code"] for t in types] == ["full", "reduced", "child"]
    assert types[0] == {
        "code": "full",
        "name": "Full price",
        "prices": {"standard": "35.00", "vip": "80.00"},
        "max_per_booking": None,
    }
    assert types[2] == {
        "code": "child",
        "name": "Child",
        "prices": {"standard": "10.00"},
        "max_per_booking": 2,
    }


@pytest.mark.parametrize(
    "bad",
    [
        [{"code": "full", "name": "Full", "prices": {}}],
        [{"code": "Reduced!", "name": "R", "prices": {}}],
        [{"code": "r", "name": "R", "prices": {}}, {"code": "r", "name": "R2", "prices": {}}],
        [{"code": "r", "name": "", "prices": {}}],
        [{"code": "r", "name": "R", "prices": {"balcony": "1.00"}}],
        [{"code": "r", "name": "R", "prices": {"vip": "-1"}}],
        [{"code": "r", "name": "R", "prices": {}, "max_per_booking": 0}],
    ],
)
def test_bad_ticket_types_are_invalid_and_change_nothing(typed_event, bad):
    with pytest.raises(Invalid) as error:
        event_update(event=typed_event, ticket_types=bad)
    assert "ticket_types" in error.value.extra["fields"]
    assert list(TicketType.objects.filter(event=typed_event).values_list("code", flat=True)) == [
        "reduced",
        "child",
    ]


def test_update_replaces_the_types(typed_event):
    event_update(
        event=typed_event,
        ticket_types=[{"code": "child", "name": "Kids", "prices": {"vip": "5", "standard": "5"}}],
    )
    child = TicketType.objects.get(event=typed_event, active=True)
    assert TicketType.objects.get(event=typed_event, code="reduced").active is False  # retired
    assert (child.code, child.name, child.prices, child.max_per_booking) == (
        "child",
        "Kids",
        {"standard": "5.00", "vip": "5.00"},
        None,
    )


def test_a_removed_type_is_retired_not_offered_and_its_tickets_keep_it(typed_event, buyer):
    # given: a child ticket sold
    ids = standard(typed_event, 2)
    hold = held(buyer, typed_event, ids)
    booking = booking_create(buyer=buyer, hold_id=hold.id, ticket_types={ids[0]: "child"})
    # when: staff remove the child type
    event_update(event=typed_event, ticket_types=[TYPES[0]])
    # then: it is no longer offered nor bookable, its ticket still names it
    event = type(typed_event).objects.prefetch_related("prices", "ticket_types").get(pk=typed_event.pk)
    assert [t["code"] for t in ticket_types_of(event=event)] == ["full", "reduced"]
    assert TicketType.objects.get(event=typed_event, code="child").active is False
    assert ticket_type_names(event_id=typed_event.pk)["child"] == "Child"
    other = held(
        UserFactory(), typed_event, standard(typed_event, 1)[:0] + seat_ids(typed_event, 1, offset=7)
    )
    with pytest.raises(Invalid):
        booking_create(buyer=other.buyer, hold_id=other.id, ticket_types={other.seats.get().id: "child"})
    assert {t.ticket_type for t in booking.tickets.all()} == {"child", "full"}
    assert_inventory_clean(typed_event.pk)
    # and giving the code again offers it again
    event_update(event=typed_event, ticket_types=TYPES)
    assert TicketType.objects.get(event=typed_event, code="child").active is True


def _interleave_price_remove_confirm(event, buyer):
    """A booking priced at child, then staff remove child, then the booking confirmed."""
    ids = standard(event, 1)
    hold = held(buyer, event, ids)
    price = booking_price(buyer=buyer, hold_id=hold.id, ticket_types={ids[0]: "child"})
    event_update(event=event, ticket_types=[TYPES[0]])
    return booking_confirm(buyer=buyer, hold_id=hold.id, price=price)


def test_a_type_removed_while_a_booking_of_it_is_in_flight_stays_known(typed_event, buyer):
    # no lock orders a staff edit of types against a booking: the quote may predate the removal
    booking = _interleave_price_remove_confirm(typed_event, buyer)
    assert [(t.ticket_type, t.price) for t in booking.tickets.all()] == [("child", Decimal("10.00"))]
    assert_inventory_clean(typed_event.pk)


def test_control_deleting_removed_types_leaves_a_ticket_of_an_unknown_type(typed_event, buyer, monkeypatch):
    # the naive removal (DELETE the rows left out): the same interleaving is then caught
    original = ticket_types_module.ticket_types_set

    def deleting(*, event, ticket_types):
        original(event=event, ticket_types=ticket_types)
        TicketType.objects.filter(event=event, active=False).delete()

    monkeypatch.setattr(events_module, "ticket_types_set", deleting)
    _interleave_price_remove_confirm(typed_event, buyer)
    report = inventory_check(event_id=typed_event.pk, now=timezone.now())
    assert {violation.rule for violation in report.violations} == {"ticket_type_known"}


# --- buyers pick a type per seat ------------------------------------------------------------------


def test_tickets_carry_their_type_and_price_and_the_charge_is_the_total(typed_event, buyer, fake_gateway):
    # given: a vip and two standard seats held (full: 80 + 35 + 35 = 150)
    ids = vip(typed_event) + standard(typed_event, 2)
    hold = held(buyer, typed_event, ids)
    assert hold.total == Decimal("150.00")
    # when: reduced vip, child standard, the third left full
    booking = booking_create(buyer=buyer, hold_id=hold.id, ticket_types={ids[0]: "reduced", ids[1]: "child"})
    # then
    tickets = {t.event_seat_id: (t.ticket_type, t.price) for t in booking.tickets.all()}
    assert tickets == {
        ids[0]: ("reduced", Decimal("50.00")),
        ids[1]: ("child", Decimal("10.00")),
        ids[2]: ("full", Decimal("35.00")),
    }
    assert booking.total == Decimal("95.00") == Booking.objects.get(pk=booking.pk).total
    payment = Payment.objects.get(hold=hold)
    assert payment.amount == Decimal("95.00") and payment.booking_id == booking.pk
    assert [(kind, amount) for kind, _, amount in fake_gateway.calls] == [("charge", Decimal("95.00"))]
    assert_inventory_clean(typed_event.pk)


def test_all_full_is_the_hold_total(typed_event, buyer):
    ids = vip(typed_event, 2)
    hold = held(buyer, typed_event, ids)
    booking = booking_create(buyer=buyer, hold_id=hold.id, ticket_types={ids[0]: "full"})
    assert booking.total == hold.total == Decimal("160.00")
    assert {t.ticket_type for t in booking.tickets.all()} == {"full"}


def test_a_free_type_books_without_a_charge(buyer, fake_gateway):
    event = on_sale_event(ticket_types=[{"code": "guest", "name": "Guest", "prices": {"vip": "0"}}])
    ids = vip(event)
    hold = held(buyer, event, ids)
    booking = booking_create(buyer=buyer, hold_id=hold.id, ticket_types={ids[0]: "guest"})
    assert booking.total == 0 and not Payment.objects.filter(hold=hold).exists() and not fake_gateway.calls


def test_seats_keep_the_price_the_hold_captured_when_full_and_the_current_type_price_otherwise(
    typed_event, buyer
):
    ids = standard(typed_event, 2)
    hold = held(buyer, typed_event, ids)
    event_update(event=typed_event, prices={"standard": "99.00"})
    event_update(event=typed_event, ticket_types=[{**TYPES[0], "prices": {"standard": "21.00"}}, TYPES[1]])
    booking = booking_create(buyer=buyer, hold_id=hold.id, ticket_types={ids[0]: "reduced"})
    assert sorted((t.ticket_type, t.price) for t in booking.tickets.all()) == [
        ("full", Decimal("35.00")),
        ("reduced", Decimal("21.00")),
    ]


@pytest.mark.parametrize(
    ("choice", "why"),
    [
        (lambda e: {standard(e)[0]: "senior"}, "Unknown ticket type"),
        (lambda e: {vip(e)[0]: "child"}, "not sold for vip"),
        (lambda e: {standard(e, 3)[2]: "reduced"}, "Not a seat of this hold"),
    ],
)
def test_an_unusable_type_is_invalid_per_seat_and_nothing_is_charged(
    typed_event, buyer, fake_gateway, choice, why
):
    hold = held(buyer, typed_event, vip(typed_event) + standard(typed_event, 2))
    picked = choice(typed_event)
    with pytest.raises(Invalid) as error:
        booking_create(buyer=buyer, hold_id=hold.id, ticket_types=picked)
    problems = error.value.extra["fields"]["ticket_types"]
    assert list(problems) == [str(next(iter(picked)))] and why in problems[str(next(iter(picked)))][0]
    assert not fake_gateway.calls and not Booking.objects.exists()


def test_a_type_over_its_limit_per_booking_is_refused(typed_event, buyer, fake_gateway):
    ids = standard(typed_event, 3)
    hold = held(buyer, typed_event, ids)
    with pytest.raises(TicketTypeLimitExceeded) as error:
        booking_create(buyer=buyer, hold_id=hold.id, ticket_types=dict.fromkeys(ids, "child"))
    assert error.value.http_status == 409 and error.value.code == "ticket_type_limit_exceeded"
    assert error.value.extra == {"type": "child", "limit": 2}
    assert not fake_gateway.calls
    # at the limit it books
    booking = booking_create(buyer=buyer, hold_id=hold.id, ticket_types=dict.fromkeys(ids[:2], "child"))
    assert sorted(t.ticket_type for t in booking.tickets.all()) == ["child", "child", "full"]


def test_pricing_an_expired_or_foreign_hold_is_refused(typed_event, buyer):
    ids = standard(typed_event)
    hold = held(buyer, typed_event, ids)
    with pytest.raises(HoldExpired):
        booking_price(buyer=buyer, hold_id=hold.id, ticket_types={ids[0]: "child"}, now=after_expiry(hold))
    with pytest.raises(Exception) as error:
        booking_price(buyer=UserFactory(), hold_id=hold.id, ticket_types={ids[0]: "child"})
    assert error.value.code == "not_found"


def test_the_booking_refuses_a_payment_of_another_amount(typed_event, buyer):
    # given: the hold charged at its full total, then priced at a reduced type
    ids = standard(typed_event)
    hold = held(buyer, typed_event, ids)
    payment = payment_charge(buyer=buyer, hold_id=hold.id)
    price = booking_price(buyer=buyer, hold_id=hold.id, ticket_types={ids[0]: "reduced"})
    # when / then: the charge and the booking cannot disagree
    with pytest.raises(PaymentNotUsable):
        booking_confirm(buyer=buyer, hold_id=hold.id, payment=payment, price=price)
    assert not Booking.objects.exists()


def test_a_charge_left_from_another_choice_of_types_is_refunded_and_charged_again(
    typed_event, buyer, fake_gateway
):
    # given: an interrupted attempt charged the full price (35.00) and booked nothing
    ids = standard(typed_event)
    hold = held(buyer, typed_event, ids)
    first = payment_charge(buyer=buyer, hold_id=hold.id)
    # when: the buyer books it as a child ticket
    booking = booking_create(buyer=buyer, hold_id=hold.id, ticket_types={ids[0]: "child"})
    # then: the first charge was refunded, the booking paid by a new one of its total
    first.refresh_from_db()
    assert first.status == "refunded" and first.booking_id is None
    paid = Payment.objects.get(booking=booking)
    assert paid.amount == booking.total == Decimal("10.00")
    assert [(kind, amount) for kind, _, amount in fake_gateway.calls] == [
        ("charge", Decimal("35.00")),
        ("refund", Decimal("35.00")),
        ("charge", Decimal("10.00")),
    ]


@pytest.mark.parametrize("count", [1, 4])
def test_a_typed_booking_runs_a_constant_number_of_queries(
    typed_event, buyer, django_assert_num_queries, count
):
    event = on_sale_event(
        ticket_types=[{"code": "reduced", "name": "Reduced", "prices": {"vip": "1", "standard": "1"}}]
    )
    ids = seat_ids(event, count)
    hold = held(buyer, event, ids)
    # pricing: hold, its seats, the types; charge: hold, insert payment, update payment;
    # booking_confirm: its 10 and the savepoint's 2 (inside the test transaction)
    with django_assert_num_queries(3 + 3 + 10 + 2):
        booking_create(buyer=buyer, hold_id=hold.id, ticket_types=dict.fromkeys(ids, "reduced"))


# --- the ticket page and the email name the type ----------------------------------------------


def test_the_ticket_page_and_the_email_name_a_type(
    typed_event, buyer, client, mailoutbox, django_capture_on_commit_callbacks
):
    ids = standard(typed_event, 2)
    hold = held(buyer, typed_event, ids)
    with django_capture_on_commit_callbacks(execute=True):  # the email is sent after commit
        booking = booking_create(buyer=buyer, hold_id=hold.id, ticket_types={ids[0]: "child"})
    tickets = {t.ticket_type: t for t in booking.tickets.all()}
    child_page = client.get(f"/tickets/{tickets['child'].code}/").content.decode()
    full_page = client.get(f"/tickets/{tickets['full'].code}/").content.decode()
    assert "Child ·" in child_page and "10.00" in child_page
    assert "Child" not in full_page and "Full price" not in full_page
    (email,) = mailoutbox
    assert "standard, Child, 10.00" in email.body and "(standard, 35.00)" in email.body
