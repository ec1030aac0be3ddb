"""The box office's desk sale: the admin page and ``box_office_sell`` behind it."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from config.errors import Invalid, NotPermitted, SeatsUnavailable
from tests.factories import StaffFactory, UserFactory, on_sale_event
from tests.ticketing.helpers import assert_inventory_clean, held, seat_ids
from ticketing.models import Booking, Hold, Payment, SeatAudit, TicketType
from ticketing.selectors.reports import event_sales_report
from ticketing.services.bookings import bookings_cancel
from ticketing.services.box_office import box_office_sell
from ticketing.services.payments import payments_refund, payments_refund_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk():
    return StaffFactory(is_superuser=True)


@pytest.fixture
def desk(client, clerk):
    client.force_login(clerk)
    return client


def page(event) -> str:
    return reverse("admin:ticketing_event_box_office", args=[event.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_page_lists_the_available_seats_and_the_event_page_links_to_it(desk, event):
    ids = seat_ids(event)
    held(UserFactory(), event, ids[:1])
    response = desk.get(page(event))
    assert response.status_code == 200
    shown = {value for value, _ in response.context["form"].fields["seats"].choices}
    assert shown == {str(i) for i in ids[1:]}  # the held seat is not offered
    change = desk.get(reverse("admin:ticketing_event_change", args=[event.pk]))
    assert page(event) in change.content.decode()
    picker = desk.get(reverse("admin:ticketing_event_box_office_events"))
    assert page(event) in picker.content.decode()


def test_a_cash_sale_books_the_seats_records_the_payment_and_shows_the_tickets(
    desk, clerk, event, django_capture_on_commit_callbacks, fake_gateway
):
    ids = seat_ids(event, 2)
    mail.outbox.clear()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(
            page(event), {"seats": [str(i) for i in ids], "email": "walkin@example.com", "method": "cash"}
        )
    # then
    assert response.status_code == 200
    booking = Booking.objects.get(event=event)
    assert booking.status == "confirmed" and sorted(t.event_seat_id for t in booking.tickets.all()) == ids
    assert booking.buyer.email == "walkin@example.com" and not booking.buyer.has_usable_password()
    payment = Payment.objects.get(booking=booking)
    assert (payment.gateway, payment.status, payment.taken_by, payment.amount) == (
        "cash",
        "charged",
        clerk,
        booking.total,
    )
    assert fake_gateway.calls == []  # no gateway charged the money taken at the desk
    body = response.content.decode()
    for ticket in booking.tickets.all():
        assert reverse("ticket-page", args=[ticket.code]) in body
    assert any("Sold: booking" in text for text in messages_of(response))
    assert [message.to for message in mail.outbox] == [["walkin@example.com"]]  # the tickets, emailed
    assert_inventory_clean()


def test_a_card_sale_by_seat_ids_without_email_is_its_own_walk_in_account(desk, event):
    ids = seat_ids(event, 3)
    desk.post(page(event), {"seat_ids": f"{ids[0]}, {ids[1]}", "method": "card_present"})
    desk.post(page(event), {"seat_ids": str(ids[2]), "method": "card_present"})
    bookings = list(Booking.objects.filter(event=event).order_by("id"))
    assert len(bookings) == 2 and bookings[0].buyer != bookings[1].buyer
    assert all(b.buyer.username.startswith("walkin-") and b.buyer.email == "" for b in bookings)
    assert set(Payment.objects.values_list("gateway", flat=True)) == {"card_present"}


def test_an_existing_account_of_the_email_gets_the_booking(desk, event, buyer):
    desk.post(
        page(event), {"seats": [str(seat_ids(event, 1)[0])], "email": buyer.email.upper(), "method": "cash"}
    )
    assert Booking.objects.get(event=event).buyer == buyer


def test_seats_taken_meanwhile_are_a_message_and_nothing_is_sold(desk, event):
    ids = seat_ids(event, 2)
    users_before = User.objects.count()
    held(UserFactory(), event, ids[1:])  # taken after the page was drawn
    users_before += 1
    response = desk.post(page(event), {"seats": [str(ids[0])], "seat_ids": str(ids[1]), "method": "cash"})
    assert response.status_code == 200
    assert any(text.startswith("Nothing was sold") for text in messages_of(response))
    assert not Booking.objects.exists() and not Payment.objects.exists()
    assert Hold.objects.count() == 1 and User.objects.count() == users_before  # no walk-in account left
    assert not SeatAudit.objects.filter(event_seat_id=ids[0]).exists()
    assert_inventory_clean()


def test_a_form_without_seats_is_refused(desk, event):
    response = desk.post(page(event), {"method": "cash"})
    assert response.status_code == 200 and response.context["form"].errors
    assert not Booking.objects.exists()


def test_non_staff_are_refused_and_staff_need_the_booking_permission(client, event):
    url = page(event)
    client.force_login(UserFactory())
    response = client.post(url, {"seats": [str(seat_ids(event, 1)[0])], "method": "cash"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    plain_staff = StaffFactory()
    client.force_login(plain_staff)
    assert client.get(url).status_code == 403
    assert client.get(reverse("admin:ticketing_event_box_office_events")).status_code == 403
    plain_staff.user_permissions.add(Permission.objects.get(codename="change_booking"))
    client.force_login(User.objects.get(pk=plain_staff.pk))
    assert client.get(url).status_code == 200
    assert not Booking.objects.exists()


def test_the_service_refuses_non_staff_and_unknown_methods(event, buyer, clerk):
    with pytest.raises(NotPermitted):
        box_office_sell(staff=buyer, event=event, seat_ids=seat_ids(event, 1), method="cash")
    with pytest.raises(Invalid):
        box_office_sell(staff=clerk, event=event, seat_ids=seat_ids(event, 1), method="cheque")


def test_the_service_refuses_seats_taken_like_the_api(event, clerk):
    ids = seat_ids(event, 1)
    box_office_sell(staff=clerk, event=event, seat_ids=ids, method="cash")
    with pytest.raises(SeatsUnavailable):
        box_office_sell(staff=clerk, event=event, seat_ids=ids, method="cash")


def test_the_sale_appears_in_the_sales_report(desk, event):
    ids = seat_ids(event, 2)
    desk.post(page(event), {"seats": [str(i) for i in ids], "method": "cash"})
    report = event_sales_report(event=event, now=timezone.now())
    booking = Booking.objects.get(event=event)
    assert report.totals.tickets_sold == 2 and report.totals.booked == 2
    assert Decimal(report.totals.revenue) == booking.total and report.bookings_confirmed == 1


def test_a_cancelled_desk_sale_stays_refund_due_until_the_desk_records_the_payout(
    event, clerk, desk, fake_gateway, django_capture_on_commit_callbacks
):
    # given: a cash sale to a buyer with an email, cancelled
    with django_capture_on_commit_callbacks(execute=True):
        booking = box_office_sell(
            staff=clerk, event=event, seat_ids=seat_ids(event, 1), method="cash", email="walk@example.com"
        )
        bookings_cancel(booking_ids=[booking.pk], actor=clerk)
    payment = Payment.objects.get(booking=booking)
    # when: the refund worker runs
    assert payments_refund(payment_ids=[payment.pk]) == 0
    assert payments_refund_due() == 0
    # then: no gateway is called and the money is still owed, by the desk
    payment.refresh_from_db()
    assert payment.status == "refunding" and fake_gateway.calls == []
    cancelled = [m for m in mail.outbox if "cancelled" in m.subject]
    assert cancelled and "refunded at the box office" in cancelled[-1].body
    # when: staff record the payout from the payments admin
    response = desk.post(
        reverse("admin:ticketing_payment_changelist"),
        {"action": "record_desk_refunds", "_selected_action": [payment.pk]},
        follow=True,
    )
    # then
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == "refunded" and payment.refund_id == f"desk-{payment.pk}"
    assert fake_gateway.calls == []


@pytest.mark.parametrize(
    "path",
    [
        "/admin/ticketing/event/abc/box-office/",
        "/admin/ticketing/event/99999999999999999999999/box-office/",
        "/admin/ticketing/event/{event}/box-office/?section=%C2%B2",
        "/admin/ticketing/event/{event}/box-office/?section=" + "9" * 5000,
        "/admin/ticketing/event/{event}/box-office/?section=99999999999999999999999",
    ],
)
def test_hostile_ids_are_not_found_or_ignored_never_a_crash(desk, event, path):
    response = desk.get(path.format(event=event.pk))
    assert response.status_code in (200, 404)


def test_an_email_longer_than_an_account_allows_is_refused_by_the_form(desk, event):
    long = "a" * 250 + "@example.com"
    seat = str(seat_ids(event, 1)[0])
    response = desk.post(page(event), {"seats": [seat], "email": long, "method": "cash"})
    assert response.status_code == 200 and "email" in response.context["form"].errors
    assert not Booking.objects.exists()


# --- ticket types at the desk ------------------------------------------------------------------

TYPES = [
    {"code": "reduced", "name": "Reduced", "prices": {"vip": "50.00", "standard": "20.00"}},
    {"code": "child", "name": "Child", "prices": {"standard": "10.00"}, "max_per_booking": 2},
]


@pytest.fixture
def typed_event(db):
    """Row A vip (80.00 full), row B standard (35.00 full); reduced on both, child on standard."""
    return on_sale_event(ticket_types=TYPES)


def test_the_form_asks_how_many_of_each_type_only_when_the_event_has_types(desk, event, typed_event):
    body = desk.get(page(typed_event)).content.decode()
    assert "How many Reduced tickets" in body and "How many Child tickets" in body
    assert "at most 2 per booking" in body
    assert 'aria-describedby="id_type_child_helptext"' in body and 'id="id_type_child_helptext"' in body
    assert "How many" not in desk.get(page(event)).content.decode()


def test_a_desk_sale_with_a_reduced_and_a_child_ticket_charges_the_total_at_those_types(
    desk, clerk, typed_event
):
    # given: a vip seat and two standard seats; in id order the vip seat comes first
    vip, standard = seat_ids(typed_event, 1), seat_ids(typed_event, 2, offset=5)
    # when: one reduced, one child, the rest full
    response = desk.post(
        page(typed_event),
        {"seats": [str(i) for i in vip + standard], "type_reduced": "1", "type_child": "1", "method": "cash"},
    )
    # then: reduced on the vip seat (50.00), child on the first standard (10.00), full on the other
    assert response.status_code == 200
    booking = Booking.objects.get(event=typed_event)
    tickets = {t.event_seat_id: (t.ticket_type, t.price) for t in booking.tickets.all()}
    assert tickets == {
        vip[0]: ("reduced", Decimal("50.00")),
        standard[0]: ("child", Decimal("10.00")),
        standard[1]: ("full", Decimal("35.00")),
    }
    assert booking.total == Decimal("95.00")
    payment = Payment.objects.get(booking=booking)
    assert (payment.amount, payment.gateway, payment.status, payment.taken_by) == (
        Decimal("95.00"),
        "cash",
        "charged",
        clerk,
    )
    shown = [(item["type_name"], item["ticket"].price) for item in response.context["tickets"]]
    assert sorted(shown) == [
        ("Child", Decimal("10.00")),
        ("Full price", Decimal("35.00")),
        ("Reduced", Decimal("50.00")),
    ]
    body = response.content.decode()
    assert "<th>Type</th>" in body and "Reduced" in body and "Child" in body
    assert any("total 95.00" in text for text in messages_of(response))
    assert_inventory_clean()


def test_a_type_over_its_limit_is_a_message_and_nothing_is_sold(desk, typed_event):
    users_before = User.objects.count()
    response = desk.post(
        page(typed_event),
        {
            "seats": [str(i) for i in seat_ids(typed_event, 3, offset=5)],
            "type_child": "3",
            "email": "new-walkin@example.com",
            "method": "cash",
        },
    )
    assert response.status_code == 200
    assert any(
        text.startswith("Nothing was sold") and "At most 2 tickets of type child" in text
        for text in messages_of(response)
    )
    assert not Hold.objects.exists() and not Booking.objects.exists() and not Payment.objects.exists()
    assert User.objects.count() == users_before  # no walk-in account either
    assert not SeatAudit.objects.exists()
    assert_inventory_clean()


def test_a_type_not_sold_for_a_seat_category_names_the_seat_and_nothing_is_sold(desk, typed_event):
    vip = seat_ids(typed_event, 1)  # child has no vip price
    response = desk.post(page(typed_event), {"seats": [str(vip[0])], "type_child": "1", "method": "cash"})
    [text] = messages_of(response)
    assert text.startswith("Nothing was sold") and "row A seat 1: Child is not sold for vip seats." in text
    assert not Hold.objects.exists() and not Booking.objects.exists() and not Payment.objects.exists()


def test_more_typed_tickets_than_seats_is_refused_by_the_form(desk, typed_event):
    response = desk.post(
        page(typed_event),
        {"seats": [str(seat_ids(typed_event, 1, offset=5)[0])], "type_reduced": "1", "type_child": "1"},
    )
    assert "2 tickets of a type for 1 seats" in str(response.context["form"].non_field_errors())
    response = desk.post(page(typed_event), {"seat_ids": "1", "type_reduced": "-1", "method": "cash"})
    assert "type_reduced" in response.context["form"].errors
    assert not Hold.objects.exists() and not Booking.objects.exists()


def test_a_type_retired_since_the_page_was_drawn_is_refused_not_sold_at_full(desk, typed_event):
    TicketType.objects.filter(event=typed_event, code="child").update(active=False)
    seat = str(seat_ids(typed_event, 1, offset=5)[0])
    response = desk.post(page(typed_event), {"seats": [seat], "type_child": "1", "method": "cash"})
    assert "child is no longer offered" in str(response.context["form"].non_field_errors())
    assert not Booking.objects.exists()


def test_no_counts_on_a_typed_event_sells_full_tickets(desk, typed_event):
    ids = seat_ids(typed_event, 2, offset=5)
    desk.post(
        page(typed_event), {"seats": [str(i) for i in ids], "type_reduced": "0", "method": "card_present"}
    )
    booking = Booking.objects.get(event=typed_event)
    assert {t.ticket_type for t in booking.tickets.all()} == {"full"} and booking.total == Decimal("70.00")
    assert Payment.objects.get(booking=booking).amount == Decimal("70.00")


def test_the_service_prices_the_types_and_refuses_a_seat_not_sold(typed_event, clerk):
    ids = seat_ids(typed_event, 2, offset=5)
    with pytest.raises(Invalid) as error:  # a seat of the event, not of this sale
        box_office_sell(
            staff=clerk,
            event=typed_event,
            seat_ids=ids[:1],
            method="cash",
            ticket_types={ids[0]: "child", ids[1]: "child"},
        )
    assert list(error.value.extra["fields"]["ticket_types"]) == [str(ids[1])]
    assert not Hold.objects.exists() and not Payment.objects.exists()
    booking = box_office_sell(
        staff=clerk, event=typed_event, seat_ids=ids, method="card_present", ticket_types={ids[1]: "child"}
    )
    assert {t.event_seat_id: t.ticket_type for t in booking.tickets.all()} == {
        ids[0]: "full",
        ids[1]: "child",
    }
    assert booking.total == Payment.objects.get(booking=booking).amount == Decimal("45.00")
    assert_inventory_clean()
