"""The printable ticket on a phone: its QR code is whole on screen, so it scans at the gate."""

from __future__ import annotations

import pytest

from tests.browser.factories import cinema_event
from tests.factories import UserFactory
from tests.ticketing.helpers import booked, seat_ids

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WHITE = "rgb(255, 255, 255)"


def contrast(foreground: str, background: str = WHITE) -> float:
    """WCAG contrast ratio of two computed ``rgb(...)`` colours."""

    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in colour[colour.index("(") + 1 : -1].split(",")[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted([luminance(foreground), luminance(background)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


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
    # and: the category and price as the web client writes them
    assert page.locator(".meta").first.inner_text().startswith("Standard · €11.00 · booking")
    # and: all content is in landmarks (axe's "region"), the grey text at 4.5:1 or more
    landmarks = page.evaluate("[...document.body.children].map((e) => e.tagName.toLowerCase())")
    assert set(landmarks) <= {"header", "main", "footer", "script"}, landmarks
    greys = page.evaluate(
        "[...document.querySelectorAll('.when, dt, .meta, .code, .hint')].map(e => getComputedStyle(e).color)"
    )
    assert greys and min(contrast(grey) for grey in greys) >= 4.5, greys
    shots(page, f"ticket-{width}", full_page=True)
