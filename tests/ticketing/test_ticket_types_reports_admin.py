"""Ticket types in the sales report (selector, CSV through the API and the admin) and in the
admin's event page (an inline, saved through the event services)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import StaffFactory, UserFactory, hall_with_layout, on_sale_event
from tests.ticketing.helpers import held, seat_ids
from tests.ticketing.test_admin import event_form, url
from ticketing.models import Event, Ticket, TicketType
from ticketing.selectors.reports import event_sales_report, sales_report_csv
from ticketing.services.bookings import booking_create, bookings_cancel

pytestmark = pytest.mark.django_db

TYPES = [
    {"code": "reduced", "name": "Reduced", "prices": {"vip": "50.00", "standard": "20.00"}},
    {"code": "child", "name": "Child", "prices": {"standard": "10.00"}},
]


@pytest.fixture
def sold():
    """vip: 1 full (80), 1 reduced (50); standard: 2 child (10 each), 1 reduced (20);
    and a cancelled reduced vip booking, which is not revenue."""
    event = on_sale_event(ticket_types=TYPES)
    ids = seat_ids(event)  # A1-5 vip, B1-5 standard

    def book(seats, types):
        buyer = UserFactory()
        hold = held(buyer, event, seats)
        return booking_create(buyer=buyer, hold_id=hold.id, ticket_types=types)

    book(ids[0:2], {ids[1]: "reduced"})
    book(ids[5:8], {ids[5]: "child", ids[6]: "child", ids[7]: "reduced"})
    cancelled = book(ids[2:3], {ids[2]: "reduced"})
    bookings_cancel(booking_ids=[cancelled.pk], actor=StaffFactory())
    return event


def test_the_report_splits_sold_tickets_and_revenue_by_type(sold):
    report = event_sales_report(event=sold, now=timezone.now())
    assert [(t.ticket_type, t.name, t.category, t.tickets_sold, t.revenue) for t in report.types] == [
        ("full", "Full price", "vip", 1, Decimal("80.00")),
        ("reduced", "Reduced", "standard", 1, Decimal("20.00")),
        ("reduced", "Reduced", "vip", 1, Decimal("50.00")),
        ("child", "Child", "standard", 2, Decimal("20.00")),
    ]
    assert sum(t.revenue for t in report.types) == report.totals.revenue == Decimal("170.00")


def test_the_types_csv_through_the_api_and_the_admin(sold, staff_client, admin_client):
    expected = [
        ["ticket_type", "name", "category", "tickets_sold", "revenue"],
        ["full", "Full price", "vip", "1", "80.00"],
        ["reduced", "Reduced", "standard", "1", "20.00"],
        ["reduced", "Reduced", "vip", "1", "50.00"],
        ["child", "Child", "standard", "2", "20.00"],
        ["TOTAL", "", "", "5", "170.00"],
    ]
    report = event_sales_report(event=sold, now=timezone.now())
    assert list(csv.reader(io.StringIO(sales_report_csv(report, part="types")))) == expected
    api = staff_client.get(f"/api/v1/events/{sold.pk}/report/?part=types")
    assert api.status_code == 200 and list(csv.reader(io.StringIO(api.content.decode()))) == expected
    page = admin_client.get(f"/admin/ticketing/event/{sold.pk}/report.csv?part=types")
    assert list(csv.reader(io.StringIO(page.content.decode()))) == expected
    html = admin_client.get(f"/admin/ticketing/event/{sold.pk}/report/").content.decode()
    assert "Tickets by type" in html and "Child (child)" in html


def types_form(*rows) -> dict:
    data = {"ticket_types-TOTAL_FORMS": str(len(rows))}
    for i, (code, name, prices, limit) in enumerate(rows):
        data |= {
            f"ticket_types-{i}-code": code,
            f"ticket_types-{i}-name": name,
            f"ticket_types-{i}-prices": prices,
            f"ticket_types-{i}-max_per_booking": limit,
        }
    return data


def test_staff_add_an_event_with_ticket_types_in_the_admin(admin_client):
    form = event_form(
        hall_with_layout(),
        **types_form(("child", "Child", '{"standard": "10"}', "4"), ("member", "Member", "{}", "")),
    )
    response = admin_client.post(url(Event, "add"), form)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    types = list(TicketType.objects.values_list("code", "name", "prices", "max_per_booking"))
    assert types == [("child", "Child", {"standard": "10.00"}, 4), ("member", "Member", {}, None)]


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (("full", "Full", "{}", ""), "full is the event"),
        (("child", "Child", '{"balcony": "1"}', ""), "no seat category balcony"),
    ],
)
def test_bad_ticket_types_in_the_admin_are_errors_and_nothing_is_created(admin_client, row, error):
    response = admin_client.post(url(Event, "add"), event_form(hall_with_layout(), **types_form(row)))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Event.objects.exists()


def test_the_admin_shows_the_ticket_type_of_tickets(sold, admin_client):
    ticket = Ticket.objects.filter(ticket_type="child").first()
    page = admin_client.get(url(Ticket, "changelist") + "?ticket_type=child").content.decode()
    assert ticket.code[:20] in page


def test_deleting_a_type_in_the_admin_retires_it_and_its_code_can_come_back(admin_client):
    event = on_sale_event(ticket_types=TYPES)
    reduced, child = TicketType.objects.filter(event=event).order_by("position")
    price_ids = dict(event.prices.values_list("category", "id"))

    def post(**types):
        data = event_form(
            event.hall,
            kind="match",
            title="",
            home_team=event.home_team,
            away_team=event.away_team,
            **{
                "prices-TOTAL_FORMS": "2",
                "prices-INITIAL_FORMS": "2",
                "prices-0-id": str(price_ids["standard"]),
                "prices-0-event": str(event.pk),
                "prices-0-category": "standard",
                "prices-0-amount": "35.00",
                "prices-1-id": str(price_ids["vip"]),
                "prices-1-event": str(event.pk),
                "prices-1-category": "vip",
                "prices-1-amount": "80.00",
                **types,
            },
        )
        data.pop("hall")
        data["starts_at_0"], data["starts_at_1"] = event.starts_at.strftime("%Y-%m-%d"), "20:00:00"
        return admin_client.post(url(Event, "change", event.pk), data)

    def row(i, obj, **fields):
        values = {"id": obj.pk, "event": event.pk, "code": obj.code, "name": obj.name, "prices": "{}"}
        values |= {"max_per_booking": "", **fields}
        return {f"ticket_types-{i}-{name}": str(value) for name, value in values.items()}

    # when: child is deleted in the inline
    response = post(
        **{"ticket_types-TOTAL_FORMS": "2", "ticket_types-INITIAL_FORMS": "2"},
        **row(0, reduced, prices='{"vip": "50"}'),
        **row(1, child, DELETE="on"),
    )
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    # then: retired, and no longer in the inline
    child.refresh_from_db()
    assert child.active is False
    page = admin_client.get(url(Event, "change", event.pk)).content.decode()
    assert 'value="reduced"' in page and 'value="child"' not in page
    # and a new row with the retired code offers it again
    response = post(
        **{"ticket_types-TOTAL_FORMS": "2", "ticket_types-INITIAL_FORMS": "1"},
        **row(0, reduced, prices='{"vip": "50"}'),
        **{"ticket_types-1-code": "child", "ticket_types-1-name": "Kids", "ticket_types-1-prices": "{}"},
    )
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    child.refresh_from_db()
    assert (child.active, child.name) == (True, "Kids")
