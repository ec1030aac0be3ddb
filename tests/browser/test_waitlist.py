"""The waiting list in headless Chromium, on a phone (390×844): a buyer joins a sold-out show's
list, sees their place, is offered the seats a cancellation brings back (a notice, the hold in
the basket), and books them. Screenshots under artifacts/browser/<test>/."""

from __future__ import annotations

import pytest

from tests.browser.conftest import describe_violations, log_in
from tests.browser.factories import cinema_event
from tests.factories import StaffFactory, UserFactory
from tests.ticketing.helpers import booked, seat_ids
from ticketing.models import WaitlistEntry
from ticketing.services.bookings import bookings_cancel
from ticketing.services.inventory import seats_block

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_phone_join_the_waiting_list_get_an_offer_and_book_it(open_page, shots, axe):
    # given: a sold-out show (every seat blocked but two, and those two booked)
    event = cinema_event()
    ids = seat_ids(event)
    seats_block(event=event, seat_ids=ids[2:], actor=StaffFactory())
    booking = booked(UserFactory(), event, ids[:2])
    UserFactory(username="wanda")
    page = open_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, bypass_csp=True)
    log_in(page, "wanda", next_path=f"/events/{event.pk}")
    page.wait_for_selector("html[data-seatmap=ready]")
    # when: she joins the waiting list for two seats
    panel = page.locator("section.waitlist")
    panel.get_by_role("heading", name="Waiting list").wait_for()
    panel.get_by_label("How many seats").select_option("2")
    shots(page, "phone-sold-out-join")
    panel.get_by_role("button", name="Join the waiting list").click()
    # then: she sees her place in line
    panel.get_by_text("You are number 1 in line for 2 seats.").wait_for()
    assert WaitlistEntry.objects.get(buyer__username="wanda").status == "waiting"
    shots(page, "phone-waiting")
    # ...and on My bookings too
    page.get_by_role("link", name="Bookings", exact=True).click()
    page.locator("section.waitlist").get_by_text("number 1 in line for 2 seats").wait_for()
    page.go_back()
    page.wait_for_selector("html[data-seatmap=ready]")
    violations = axe(page)
    assert not violations, describe_violations(violations)
    # when: the booking is cancelled: its seats are held for her in that same transaction
    bookings_cancel(booking_ids=[booking.pk], actor=StaffFactory())
    # then: the page tells her (its next poll) and her basket has the hold
    panel.get_by_text("Seats came back for you!").wait_for()
    shots(page, "phone-offered", readme="waitlist-offer-phone")
    violations = axe(page)
    assert not violations, describe_violations(violations)
    panel.get_by_role("button", name="See your held seats").click()
    book = page.get_by_role("button", name="Book 2 seats").locator("visible=true").first
    book.wait_for()
    book.click()
    page.get_by_role("heading", name="Booking confirmed").or_(page.get_by_text("confirmed")).first.wait_for()
    assert WaitlistEntry.objects.get(buyer__username="wanda").status == "fulfilled"
    shots(page, "phone-booked")
