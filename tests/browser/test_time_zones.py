"""Event times are the venue's, labelled with its zone, whatever the buyer's browser zone is.

A match in Lyon at 19:30 local time (18:30 UTC in winter) must not read "01:30 PM" in a New York
browser, nor be unlabelled: the events list, the event page and My bookings show "19:30 CET".
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.browser.conftest import log_in
from tests.browser.factories import stadium_event
from tests.factories import UserFactory
from tests.ticketing.helpers import booked, seat_ids
from venues.models import Venue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
STARTS_AT = datetime(2030, 1, 15, 18, 30, tzinfo=UTC)  # a Tuesday in winter: 19:30 CET, 13:30 EST


def test_a_new_york_phone_sees_the_lyon_match_at_19_30_cet(open_page, shots):
    # given: a match at a venue in Europe/Paris, booked by a buyer on a phone set to New York
    event = stadium_event(starts_at=STARTS_AT)
    Venue.objects.filter(pk=event.hall.venue_id).update(time_zone="Europe/Paris")
    buyer = UserFactory()
    booked(buyer, event, seat_ids(event, 1))
    page = open_page(viewport=PHONE, timezone_id="America/New_York", locale="en-GB", is_mobile=True)
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "America/New_York"

    # when / then: the events list
    page.goto(page.base_url)
    listed = page.locator(".event-when time").first
    listed.wait_for()
    assert_venue_time(listed.inner_text())
    shots(page, "events-list")

    # the event page
    page.goto(f"{page.base_url}#/events/{event.pk}")
    head = page.locator(".event-meta time")
    head.wait_for()
    assert_venue_time(head.inner_text())
    shots(page, "event-page")

    # My bookings
    log_in(page, buyer.username, next_path="/bookings")
    booking = page.locator(".booking-head + p time").first
    booking.wait_for()
    assert_venue_time(booking.inner_text())
    shots(page, "bookings")


def assert_venue_time(text: str) -> None:
    assert "15 Jan 2030" in text, text
    assert "19:30" in text and "CET" in text, text  # the venue's time, labelled
    assert "13:30" not in text and "EST" not in text and "PM" not in text, text  # not New York's
