"""The per-event sales report: selector, CSV API, admin page."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import UserFactory, hall_with_layout, on_sale_event
from tests.ticketing.helpers import booked, held, seat_ids
from ticketing.selectors.reports import event_sales_report, sales_report_csv
from ticketing.services.bookings import bookings_cancel
from ticketing.services.inventory import seats_block

pytestmark = pytest.mark.django_db


@pytest.fixture
def report_event(staff):
    """2 sections x (row A vip 80, row B standard 35) x 5 seats, with sales spread over 3 days."""
    event = on_sale_event(hall=hall_with_layout(sections=2, rows=2, seats=5))
    ids = seat_ids(event)  # S1 A1-5, S1 B1-5, S2 A1-5, S2 B1-5
    start = timezone.now() - timedelta(days=3)
    booked(UserFactory(), event, ids[0:2], now=start)  # 2 vip S1, day 1
    booked(UserFactory(), event, ids[5:8], now=start + timedelta(days=2, hours=12))  # 3 standard S1
    cancelled = booked(UserFactory(), event, ids[10:11], now=start + timedelta(days=1))  # cancelled
    bookings_cancel(booking_ids=[cancelled.pk], actor=staff)
    held(UserFactory(), event, ids[15:17])  # 2 standard S2 held
    seats_block(event=event, seat_ids=ids[19:20], actor=staff)  # 1 standard S2 blocked
    return event


def test_the_report_counts_seats_revenue_and_sales_over_time(report_event):
    report = event_sales_report(event=report_event, now=timezone.now())
    lines = {(line.section, line.category): line for line in report.lines}
    assert list(lines) == [
        ("Section 1", "standard"),
        ("Section 1", "vip"),
        ("Section 2", "standard"),
        ("Section 2", "vip"),
    ]
    s1_vip, s1_std, s2_std = (
        lines["Section 1", "vip"],
        lines["Section 1", "standard"],
        lines["Section 2", "standard"],
    )
    assert (s1_vip.capacity, s1_vip.booked, s1_vip.available, s1_vip.revenue) == (5, 2, 3, Decimal("160.00"))
    assert (s1_std.booked, s1_std.tickets_sold, s1_std.revenue) == (3, 3, Decimal("105.00"))
    assert (s2_std.held, s2_std.blocked, s2_std.available) == (2, 1, 2)
    assert report.totals.capacity == 20 and report.totals.revenue == Decimal("265.00")
    assert (report.bookings_confirmed, report.bookings_cancelled, report.cancelled_value) == (
        2,
        1,
        Decimal("80.00"),
    )
    assert report.bucket == "day"
    assert [(p.tickets, p.revenue, p.cumulative_tickets) for p in report.sales] == [
        (2, Decimal("160.00"), 2),
        (3, Decimal("105.00"), 5),
    ]


def test_an_expired_hold_counts_as_available(report_event):
    later = timezone.now() + timedelta(hours=2)
    report = event_sales_report(event=report_event, now=later)
    assert report.totals.held == 0 and report.totals.available == 20 - 5 - 1


def test_csv_inventory_and_sales(report_event):
    report = event_sales_report(event=report_event, now=timezone.now())
    rows = list(csv.DictReader(io.StringIO(sales_report_csv(report))))
    assert rows[-1]["section"] == "TOTAL" and rows[-1]["revenue"] == "265.00"
    sales = list(csv.DictReader(io.StringIO(sales_report_csv(report, part="sales"))))
    assert [row["cumulative_tickets"] for row in sales] == ["2", "5"]


def test_csv_cells_cannot_become_spreadsheet_formulas(staff):
    hall = hall_with_layout()
    hall.sections.update(name="=HYPERLINK(evil)")
    report = event_sales_report(event=on_sale_event(hall=hall), now=timezone.now())
    assert "'=HYPERLINK(evil)" in sales_report_csv(report)


def test_api_report_csv_for_staff(report_event, staff_client):
    response = staff_client.get(f"/api/v1/events/{report_event.id}/report/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode().splitlines()[0].startswith("section,category,capacity")
    sales = staff_client.get(f"/api/v1/events/{report_event.id}/report/?part=sales&bucket=hour")
    assert sales.content.decode().splitlines()[0].startswith("period_start,tickets")


def test_api_report_refuses_others(report_event, buyer_client, anon_client, staff_client):
    assert buyer_client.get(f"/api/v1/events/{report_event.id}/report/").status_code == 403
    assert anon_client.get(f"/api/v1/events/{report_event.id}/report/").status_code == 401
    bad = staff_client.get(f"/api/v1/events/{report_event.id}/report/?part=everything")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    assert staff_client.get("/api/v1/events/999999/report/").status_code == 404


def test_admin_report_page_has_the_charts(report_event, admin_client):
    response = admin_client.get(f"/admin/ticketing/event/{report_event.id}/report/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg class="chart"') == 2 and "Sales over time" in html and "265.00" in html
    csv_response = admin_client.get(f"/admin/ticketing/event/{report_event.id}/report.csv?part=sales")
    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")
    change = admin_client.get(f"/admin/ticketing/event/{report_event.id}/change/")
    assert f"/admin/ticketing/event/{report_event.id}/report/" in change.content.decode()


def test_admin_report_page_without_sales(admin_client):
    event = on_sale_event()
    response = admin_client.get(f"/admin/ticketing/event/{event.id}/report/?bucket=hour")
    assert response.status_code == 200 and "No tickets sold yet." in response.content.decode()


def test_admin_report_needs_staff(report_event, client):
    response = client.get(f"/admin/ticketing/event/{report_event.id}/report/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
