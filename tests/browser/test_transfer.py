"""Transferring a ticket in the web client (headless Chromium): the buyer gives a ticket from
My bookings, the friend finds it in My tickets; both screens pass axe at a phone's size."""

from __future__ import annotations

import pytest

from tests.browser.conftest import describe_violations, log_in
from tests.browser.factories import cinema_event
from tests.factories import UserFactory
from tests.ticketing.helpers import booked, seat_ids
from ticketing.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in {"serious", "critical"}]


def test_a_buyer_transfers_a_ticket_and_the_friend_sees_it(open_page, axe, shots):
    # given: a buyer with a two-seat booking of a cinema show, and a friend with an account
    event = cinema_event()
    buyer = UserFactory(username="hana")
    UserFactory(username="kenji", email="kenji@example.com")
    booking = booked(buyer, event, seat_ids(event, 2))
    first = booking.tickets.order_by("id").first()
    page = open_page(viewport=PHONE, bypass_csp=True)
    log_in(page, "hana", next_path=f"/bookings/{booking.pk}")
    page.locator("article.booking").wait_for()
    # when: the buyer opens the transfer form of the first ticket, first with nothing in it
    page.get_by_role("button", name="Transfer the ticket").first.click()
    field = page.get_by_label("Give it to (username or email)")
    field.wait_for()
    page.get_by_role("button", name="Transfer ticket").click()
    assert field.get_attribute("aria-invalid") == "true"
    violations = axe(page)
    assert not serious(violations), describe_violations(serious(violations))
    shots(page, "transfer-form", full_page=True)
    field.fill("kenji@example.com")
    page.get_by_role("button", name="Transfer ticket").click()
    # then: the ticket shows as transferred, and the database agrees
    page.get_by_text("Ticket transferred.").wait_for()
    shots(page, "transferred", full_page=True)
    first.refresh_from_db()
    assert first.status == Ticket.Status.TRANSFERRED
    new = Ticket.objects.get(replaces=first)

    # when: the friend logs in and opens My tickets
    other = open_page(viewport=PHONE, bypass_csp=True)
    log_in(other, "kenji", next_path="/tickets")
    other.get_by_role("heading", name="My tickets").wait_for()
    other.locator("li.ticket").first.wait_for()
    # then: their ticket is there, with its new code, and the page passes axe
    assert new.code in other.locator("li.ticket").first.inner_text()
    assert "Received" in other.locator("li.ticket").first.inner_text()
    assert "null" not in other.locator("main").inner_text()
    violations = axe(other)
    assert not serious(violations), describe_violations(serious(violations))
    shots(other, "my-tickets", full_page=True)
