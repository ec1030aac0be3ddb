"""The printable ticket on a phone: its QR code is whole on screen, so it scans at the gate."""

from __future__ import annotations

import pytest

from tests.browser.factories import cinema_event
from tests.factories import UserFactory
from tests.ticketing.helpers import booked, seat_ids

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [320, 390, 430, 1280])
def test_the_qr_code_is_inside_the_viewport(open_page, live_server, shots, width):
    # given: a booked ticket
    event = cinema_event()
    booking = booked(UserFactory(), event, seat_ids(event, 1))
    ticket = booking.tickets.get()
    page = open_page(viewport={"width": width, "height": 844})
    # when: its printable page is opened at this width
    page.goto(f"{live_server.url}/tickets/{ticket.code}/")
    # then: the whole QR code is on screen and the page does not scroll sideways
    qr = page.locator(".stub svg").bounding_box()
    assert qr is not None and qr["width"] >= 150, qr
    assert qr["x"] >= 0 and qr["x"] + qr["width"] <= width, qr
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shots(page, f"ticket-{width}", full_page=True)
