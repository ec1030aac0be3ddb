"""The box office's desk sale with ticket types, in a browser: the counts are found by their
labels, the sale's tickets show their type and price, and axe finds nothing serious or critical
in the form or the sold page."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD, describe_violations
from tests.factories import StaffFactory, on_sale_event
from tests.ticketing.helpers import seat_ids
from ticketing.models import Booking

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERIOUS = {"serious", "critical"}
TYPES = [
    {"code": "reduced", "name": "Reduced", "prices": {"vip": "50.00", "standard": "20.00"}},
    {"code": "child", "name": "Child", "prices": {"standard": "10.00"}, "max_per_booking": 2},
]


def serious_in(axe, page) -> list[dict]:
    return [violation for violation in axe(page) if violation["impact"] in SERIOUS]


def test_a_desk_sale_of_a_reduced_and_a_child_ticket(open_page, axe, shots):
    # given: a clerk at the box office of an event with two ticket types
    event = on_sale_event(ticket_types=TYPES)
    StaffFactory(username="clerk", is_superuser=True)
    standard = seat_ids(event, 3, offset=5)
    page = open_page(bypass_csp=True)
    page.goto(f"{page.base_url}admin/login/?next=/admin/ticketing/event/{event.pk}/box-office/")
    page.get_by_label("Username").fill("clerk")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("How many Reduced tickets").wait_for()
    serious = serious_in(axe, page)
    assert not serious, describe_violations(serious)
    shots(page, "box-office-types", full_page=True)
    # when: three standard seats, one reduced, one child
    for seat_id in standard:
        page.locator(f"input[name=seats][value='{seat_id}']").check()
    page.get_by_label("How many Reduced tickets").fill("1")
    page.get_by_label("How many Child tickets").fill("1")
    page.get_by_role("button", name="Sell and record the payment").click()
    # then
    page.locator("table.tickets").wait_for()
    rows = page.locator("table.tickets tbody tr")
    cells = [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]
    assert [(row[3], row[4]) for row in cells] == [
        ("Reduced", "20.00"),
        ("Child", "10.00"),
        ("Full price", "35.00"),
    ]
    assert Booking.objects.get(event=event).total == 65
    serious = serious_in(axe, page)
    assert not serious, describe_violations(serious)
    shots(page, "box-office-sold", full_page=True)
