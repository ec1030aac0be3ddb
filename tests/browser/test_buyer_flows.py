"""The buyer's flows in headless Chromium: two live buyers, expiry, keyboard only, a phone.

Each test prints what it measured (live-update delays, countdown) and saves a screenshot of
every step under artifacts/browser/<test>/.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from tests.browser.conftest import log_in, seat, seat_status, set_visibility, wait_for_status
from tests.browser.factories import cinema_event, seat_id, stadium_event
from tests.factories import UserFactory
from ticketing.models import Booking, Ticket
from ticketing.services.holds import hold_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE_BUDGET_S = 2.0


def choose_section(page, name: str) -> None:
    page.locator(f'.tile[data-section="{name}"]').click()
    page.locator("button.seat").first.wait_for()


def test_two_buyers_see_each_others_holds_bookings_and_cancellations_live(open_page, shots):
    # given: a stadium match, two buyers on its North Stand, and a third buyer elsewhere
    event = stadium_event()
    UserFactory(username="alice")
    UserFactory(username="bob")
    carol = UserFactory(username="carol")
    s1, s2, s3 = (seat_id(event, "North Stand", "C", n) for n in (7, 8, 9))
    a, b = open_page(), open_page()
    a.goto(a.base_url)
    a.get_by_role("heading", name="Upcoming events").wait_for()
    a.locator(".event-card").first.wait_for()
    shots(a, "event-list", readme="events")
    for page, name in ((a, "alice"), (b, "bob")):
        log_in(page, name, next_path=f"/events/{event.pk}")
        page.wait_for_selector("html[data-seatmap=ready]")
        choose_section(page, "North Stand")
    seat(b, s2).click()
    seat(b, s3).click()
    assert seat_status(b, s2) == seat_status(b, s3) == "selected"

    # when: A holds s1
    seat(a, s1).click()
    held_at = time.monotonic()
    a.get_by_role("button", name="Hold 1 seat").click()
    a.locator("[data-timer]").wait_for()
    # then: B sees it held within the budget, and cannot take it
    seen_held = wait_for_status(b, s1, "held") - held_at
    assert seat_status(a, s1) == "mine"
    seat(b, s1).click(force=True)  # a real click on a seat that is not for sale: nothing happens
    assert seat_status(b, s1) == "held"
    assert seat(b, s1).get_attribute("aria-disabled") == "true"
    assert "held by another buyer" in seat(b, s1).get_attribute("aria-label")
    shots(a, "a-holds-with-countdown", readme="hold-countdown", full_page=True)
    shots(b, "b-sees-held-seat")

    # when: B's tab is hidden, polling stops; meanwhile a third buyer takes s2 behind B's back
    seat_requests: list[str] = []
    b.on("request", lambda r: seat_requests.append(r.url) if r.url.endswith("/seats/") else None)
    set_visibility(b, "hidden")
    b.wait_for_timeout(300)
    before = len(seat_requests)
    b.wait_for_timeout(2500)
    assert len(seat_requests) == before, "the seat map was polled in a hidden tab"
    hold_create(buyer=carol, event=event, seat_ids=[s2])
    # B, with a stale map, tries to hold s2 and s3: a 409, explained, and s3 stays selected
    b.get_by_role("button", name="Hold 2 seats").click()
    alert = b.get_by_role("alert").filter(has_text="just taken")
    alert.wait_for()
    assert "North Stand, row C, seat 8" in alert.inner_text()
    assert seat_status(b, s2) == "held"
    assert seat_status(b, s3) == "selected"
    shots(b, "b-conflict-409-keeps-rest-of-selection", readme="conflict", full_page=True)
    set_visibility(b, "visible")
    b.wait_for_timeout(400)
    assert len(seat_requests) > before, "polling did not resume when the tab was shown"
    b.get_by_role("button", name="Hold 1 seat").click()
    wait_for_status(b, s3, "mine")

    # when: A books
    booked_at = time.monotonic()
    a.get_by_role("button", name="Book 1 seat").click()
    a.get_by_role("heading", name="You're in! Booking confirmed").wait_for()
    # then: a confirmation with the ticket code, and B sees the seat booked
    seen_booked = wait_for_status(b, s1, "booked") - booked_at
    ticket = Ticket.objects.get(event_seat_id=s1, booking__buyer__username="alice")
    assert a.locator(".ticket-code code").inner_text() == ticket.code
    printable = a.get_by_role("link", name="Printable ticket with QR code, North Stand · Row C · Seat 7")
    assert printable.get_attribute("href") == f"/tickets/{ticket.code}/"
    shots(a, "a-confirmation-with-ticket-code", readme="confirmation")
    shots(b, "b-sees-booked-seat")

    # when: A cancels from My bookings
    a.get_by_role("link", name="All my bookings").click()
    a.get_by_role("button", name="Cancel booking").click()
    shots(a, "a-cancel-confirm-step")
    cancelled_at = time.monotonic()
    a.get_by_role("button", name="Yes, cancel it").click()
    a.locator(".booking-msgs").get_by_text("Booking cancelled.").wait_for()
    # then: B sees the seat available again
    seen_free = wait_for_status(b, s1, "available") - cancelled_at
    assert Booking.objects.get(buyer__username="alice").status == Booking.Status.CANCELLED
    shots(a, "a-my-bookings-after-cancel", readme="my-bookings")
    shots(b, "b-sees-seat-available-again", readme="stadium-section", full_page=True)

    print(
        f"\nlive-update delay seen by buyer B: held {seen_held:.2f} s, booked {seen_booked:.2f} s,"
        f" available again {seen_free:.2f} s (budget {LIVE_BUDGET_S} s; each includes A's request)"
    )
    assert max(seen_held, seen_booked, seen_free) < LIVE_BUDGET_S


def test_countdown_reaches_zero_and_the_seat_becomes_available_to_another_buyer(open_page, shots, settings):
    # given: a 4-second hold time
    settings.TICKETING_HOLD_SECONDS = 4
    event = stadium_event()
    UserFactory(username="alice")
    UserFactory(username="bob")
    s1 = seat_id(event, "West Stand", "A", 5)
    a, b = open_page(), open_page()
    for page, name in ((a, "alice"), (b, "bob")):
        log_in(page, name, next_path=f"/events/{event.pk}")
        page.wait_for_selector("html[data-seatmap=ready]")
        choose_section(page, "West Stand")
    seat(a, s1).click()
    a.get_by_role("button", name="Hold 1 seat").click()
    held_at = time.monotonic()
    timer = a.locator("[data-timer]")
    timer.wait_for()
    assert timer.inner_text() in {"0:03", "0:04"}
    wait_for_status(b, s1, "held")
    shots(a, "a-countdown-running")
    # when: the countdown reaches zero
    a.get_by_role("alert").filter(has_text="Your hold expired").wait_for(timeout=8000)
    zero_at = time.monotonic()
    shots(a, "a-hold-expired")
    # then: B sees the seat available (no sweeper runs here) and can hold it
    seen_free = wait_for_status(b, s1, "available") - zero_at
    seat(b, s1).click()
    b.get_by_role("button", name="Hold 1 seat").click()
    wait_for_status(b, s1, "mine")
    wait_for_status(a, s1, "held")
    shots(b, "b-holds-the-expired-seat")
    print(
        f"\nhold of 4 s: A's countdown reached zero after {zero_at - held_at:.2f} s;"
        f" B saw the seat available {seen_free:.2f} s later"
    )
    assert seen_free < LIVE_BUDGET_S


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def focused(page, selector: str) -> bool:
    return page.evaluate("s => Boolean(document.activeElement?.matches(s))", selector)


def test_keyboard_only_log_in_choose_hold_and_book(open_page, shots):
    # given
    event = stadium_event()
    UserFactory(username="kim")
    page = open_page()
    page.goto(page.base_url)
    page.locator(".event-card").first.wait_for()
    # when: log in with the keyboard
    tab_to(page, 'a[href^="#/login"]')
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Log in").wait_for()
    tab_to(page, "input[name=username]")
    page.keyboard.type("kim")
    page.keyboard.press("Tab")
    page.keyboard.type("buyer-pass-123")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Log out").wait_for()
    # ...open the event, choose a section, move with the arrows, select with Space
    tab_to(page, f'a[href="#/events/{event.pk}"]')
    page.keyboard.press("Enter")
    page.wait_for_selector("html[data-seatmap=ready]")
    tab_to(page, '.tile[data-section="East Stand"]')
    page.keyboard.press("Enter")
    assert focused(page, "button.seat"), "choosing a section with the keyboard moves focus to its seats"
    for key in ("ArrowRight", "ArrowRight", "ArrowDown"):
        page.keyboard.press(key)
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert label == "East Stand, row B, seat 3, VIP, €80.00, available"
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.getAttribute('aria-pressed')") == "true"
    shots(page, "keyboard-seat-selected", readme="keyboard-focus")
    # ...hold, and book
    tab_to(page, "[data-key=hold]")
    page.keyboard.press("Enter")
    page.locator("[data-timer]").wait_for()
    assert focused(page, "[data-key^=book-]"), "after holding, focus is on the Book button"
    page.keyboard.press("Enter")
    # then
    page.get_by_role("heading", name="You're in! Booking confirmed").wait_for()
    ticket = Ticket.objects.get(booking__buyer__username="kim")
    assert (ticket.event_seat.seat.row_label, ticket.event_seat.seat.number) == ("B", 3)
    assert page.locator(".ticket-code code").inner_text() == ticket.code
    shots(page, "keyboard-booked")


def test_phone_sign_up_list_view_token_refresh_and_log_out(open_page, shots, monkeypatch):
    # given: access tokens that expire after 2 seconds, and a phone
    monkeypatch.setattr(AccessToken, "lifetime", timedelta(seconds=2))
    event = cinema_event()
    page = open_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    refreshes: list[int] = []
    page.on("response", lambda r: refreshes.append(r.status) if "/auth/token/refresh/" in r.url else None)
    # when: a new buyer signs up on the phone and opens the cinema hall
    page.goto(f"{page.base_url}#/signup?next=/events/{event.pk}")
    page.get_by_label("Username").fill("newfan")
    page.get_by_label("Email").fill("newfan@example.com")
    page.get_by_label("Password").fill("a-long-password-42")
    shots(page, "phone-sign-up")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_selector("html[data-seatmap=ready]")
    assert page.locator("button.seat").count() == 8 * 12, "a cinema shows the whole hall"
    shots(page, "phone-cinema-hall", readme="cinema-phone", full_page=True)
    # ...and picks a seat in the list view
    page.get_by_role("button", name="List").click()
    page.get_by_label("Row", exact=True).select_option(label="Row D — 12 available")
    seat_6 = page.locator(".list-seats").get_by_label("Seat 6")
    seat_6.check()
    shots(page, "phone-list-view", readme="list-view-phone", full_page=True)
    page.wait_for_timeout(2500)  # the access token has expired by now
    page.get_by_role("button", name="Hold 1 seat").click()
    page.locator("[role=timer]:visible").wait_for()  # on a phone: in the bottom sheet's bar
    # then: the expired token was refreshed on a 401 and the hold went through
    assert 200 in refreshes
    assert seat_6.is_checked()
    assert "held by you" in seat_6.locator("xpath=..").inner_text()
    shots(page, "phone-held", full_page=True)
    # and no token is ever in a cookie; logging out forgets and revokes it
    assert page.context.cookies() == []
    refresh_token = page.evaluate("localStorage.getItem('frontrow.refresh')")
    assert refresh_token
    page.get_by_role("button", name="Log out").click()
    page.locator("#account").get_by_role("link", name="Log in").wait_for()
    assert page.evaluate("localStorage.getItem('frontrow.refresh')") is None
    answer = page.evaluate(
        """token => fetch("/api/v1/auth/token/refresh/", {method: "POST",
            headers: {"Content-Type": "application/json"}, body: JSON.stringify({refresh: token})})
            .then(r => r.status)""",
        refresh_token,
    )
    assert answer == 401


def test_a_token_refresh_answered_after_log_out_does_not_log_the_buyer_back_in(open_page):
    # given: a buyer on an event page whose next seat-map poll is refused (401), so that a token
    # refresh starts; the server answers it at once but the answer reaches the page 1.5 s later;
    # and the network drops the log-out request (the page forgets the session anyway)
    event = cinema_event()
    UserFactory(username="dora")
    page = open_page()
    log_in(page, "dora", next_path=f"/events/{event.pk}")
    page.wait_for_selector("html[data-seatmap=ready]")
    page.evaluate(
        """() => { const send = window.fetch;
        window.fetch = (url, options) => String(url).includes("/auth/token/refresh/")
          ? send(url, options).then((r) => new Promise((done) => setTimeout(() => done(r), 1500)))
          : send(url, options); }"""
    )
    refused = []

    def refuse_once(route):
        if refused:
            return route.continue_()
        refused.append(route.request.url)
        return route.fulfill(status=401, content_type="application/json", body='{"code": "token_not_valid"}')

    page.route("**/api/v1/events/*/seats/**", refuse_once)
    page.route("**/api/v1/auth/logout/", lambda route: route.abort())
    deadline = time.monotonic() + 10
    while not refused and time.monotonic() < deadline:  # the next poll is refused: a refresh starts
        page.wait_for_timeout(50)
    assert refused, "the page polled its seat map"
    # when: the buyer logs out while that refresh is in flight
    page.get_by_role("button", name="Log out").click()
    page.locator("#account").get_by_role("link", name="Log in").wait_for()
    page.wait_for_timeout(2500)  # the refresh's answer has arrived by now
    # then: the session stays ended
    assert page.evaluate("localStorage.getItem('frontrow.refresh')") is None
    assert page.locator("#account").get_by_role("link", name="Log in").is_visible()
