"""Ticket types in the web client, on a phone: a type per held seat, the total follows, the
booking carries them; the typed cart passes axe."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.browser.conftest import describe_violations, log_in, seat
from tests.browser.factories import cinema_event, seat_id
from tests.factories import UserFactory
from ticketing.models import Booking

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
TYPES = [
    {"code": "reduced", "name": "Reduced", "prices": {"standard": "7.50", "vip": "12.00"}},
    {"code": "child", "name": "Child", "prices": {"standard": "5.00"}, "max_per_booking": 2},
]


def test_a_buyer_books_a_reduced_ticket_on_a_phone(open_page, axe, shots):
    # given: a cinema show (standard 11.00) with reduced and child tickets
    event = cinema_event(ticket_types=TYPES)
    UserFactory(username="lea")
    d5, d6 = seat_id(event, "Stalls", "D", 5), seat_id(event, "Stalls", "D", 6)
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True, bypass_csp=True)
    log_in(page, "lea", next_path=f"/events/{event.pk}")
    page.wait_for_selector("html[data-seatmap=ready]")
    # when: two seats are held, and one of them set to Reduced
    seat(page, d5).click()
    seat(page, d6).click()
    page.get_by_role("button", name="Hold 2 seats").click()
    page.locator("[role=timer]:visible").wait_for()
    book = page.locator(".sheet-bar [data-key^=bar-book-]")
    assert "€22.00" in book.inner_text()
    page.get_by_role("button", name="Details").click()
    picker = page.get_by_label("Ticket type, Stalls, row D, seat 5")
    assert picker.locator("option").all_inner_texts() == [
        "Full price · €11.00",
        "Reduced · €7.50",
        "Child · €5.00",
    ]
    picker.select_option("reduced")
    page.wait_for_function(
        "() => document.querySelector('.sheet-bar [data-key^=bar-book-]')?.textContent.includes('€18.50')"
    )
    assert page.get_by_label("Ticket type, Stalls, row D, seat 5").input_value() == "reduced"
    assert "€18.50" in page.locator(".hold .cart-total").inner_text()
    serious = [v for v in axe(page) if v["impact"] in {"serious", "critical"}]
    assert not serious, describe_violations(serious)
    shots(page, "checkout-ticket-types-phone", readme="checkout-ticket-types-phone")
    book.click()
    # then: the booking and its tickets carry the types and their prices
    page.get_by_role("heading", name="You're in! Booking confirmed").wait_for()
    booking = Booking.objects.get(buyer__username="lea")
    tickets = {t.event_seat_id: (t.ticket_type, t.price) for t in booking.tickets.all()}
    assert tickets == {d5: ("reduced", Decimal("7.50")), d6: ("full", Decimal("11.00"))}
    assert booking.total == Decimal("18.50")
    assert page.locator(".ticket-seat").filter(has_text="Reduced").count() == 1
    shots(page, "booked-with-types")
