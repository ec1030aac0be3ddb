"""One login for every tab of a browser: tabs share it, log out together and refresh in turn.

The refresh token lives in localStorage (DESIGN.md, "The buyer web client"); refresh tokens
rotate and work once, so two tabs refreshing at the same moment must not use one token twice.
"""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import log_in
from tests.browser.factories import cinema_event
from tests.factories import UserFactory
from tests.ticketing.helpers import booked, seat_ids

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def bookings_shown(page) -> None:
    page.get_by_role("heading", name="My bookings").wait_for()
    page.locator("article.booking").first.wait_for()
    assert "#/bookings" in page.url
    assert page.locator("#account").get_by_role("button", name="Log out").is_visible()


def test_a_login_holds_in_new_and_open_tabs_and_a_logout_ends_it_in_all(open_page, shots):
    # given: a buyer with a booking, and a tab already open on the event list
    event = cinema_event()
    booked(UserFactory(username="erin"), event, seat_ids(event, 1))
    first = open_page()
    already_open = first.context.new_page()
    already_open.goto(already_open.base_url)
    already_open.locator("#account").get_by_role("link", name="Log in").wait_for()
    # when: the buyer logs in in the first tab
    log_in(first, "erin")
    # then: a new tab of the same browser shows My bookings without logging in
    new_tab = first.context.new_page()
    new_tab.goto(f"{new_tab.base_url}#/bookings")
    bookings_shown(new_tab)
    shots(new_tab, "new-tab-my-bookings")
    # ...and the tab that was already open knows it too (the storage event), at once
    already_open.locator("#account").get_by_role("button", name="Log out").wait_for()
    already_open.get_by_role("link", name="Bookings", exact=True).click()
    bookings_shown(already_open)

    # when: the buyer logs out in the new tab
    new_tab.locator("#account").get_by_role("button", name="Log out").click()
    new_tab.locator("#account").get_by_role("link", name="Log in").wait_for()
    # then: every other tab is logged out without any action of its own; My bookings goes away
    for page in (first, already_open):
        page.locator("#account").get_by_role("link", name="Log in").wait_for()
        assert page.evaluate("localStorage.getItem('frontrow.refresh')") is None
    already_open.get_by_role("heading", name="Log in").wait_for()
    assert already_open.locator("article.booking").count() == 0
    shots(already_open, "other-tab-logged-out")
    # ...and a new tab is logged out too
    another = first.context.new_page()
    another.goto(f"{another.base_url}#/bookings")
    another.get_by_role("heading", name="Log in").wait_for()


def test_two_tabs_refreshing_at_once_both_stay_logged_in(open_page):
    # given: a buyer logged in in two tabs of one browser, which reload (their access tokens live
    # in memory, so each must refresh); the first refresh's answer is held back until the other
    # tab wants to refresh too
    event = cinema_event()
    booked(UserFactory(username="finn"), event, seat_ids(event, 1))
    a = open_page()
    log_in(a, "finn", next_path="/bookings")
    b = a.context.new_page()
    b.goto(f"{b.base_url}#/bookings")
    bookings_shown(b)
    held, answers = [], []
    holding = [True]
    a.context.route(
        "**/api/v1/auth/token/refresh/",
        lambda route: held.append(route) if holding[0] else route.continue_(),
    )
    a.on("response", lambda r: answers.append(("a", r.status)) if r.url.endswith("/token/refresh/") else None)
    b.on("response", lambda r: answers.append(("b", r.status)) if r.url.endswith("/token/refresh/") else None)
    # when: both reload at once
    a.reload()
    b.reload()
    deadline = time.monotonic() + 5
    both_want_to = "navigator.locks.query().then(s => s.held.length + s.pending.length)"
    while time.monotonic() < deadline and not (len(held) >= 2 or (held and a.evaluate(both_want_to) >= 2)):
        a.wait_for_timeout(50)
    assert held, "a tab refreshed its access token"
    concurrent = len(held)
    holding[0] = False
    for route in held:
        route.continue_()
    # then: one tab refreshed after the other (never two refreshes in flight), and both are still
    # logged in with the one token the later refresh stored. (The later tab may first send the
    # token it read a moment before the other tab's write reached it: refused, it retries.)
    for page in (a, b):
        bookings_shown(page)
    deadline = time.monotonic() + 5
    while len(answers) < 2 and time.monotonic() < deadline:
        a.wait_for_timeout(50)
    print(f"refreshes in flight at once: {concurrent}; answers: {answers}")
    assert concurrent == 1
    assert ("a", 200) in answers and ("b", 200) in answers
    assert a.evaluate("localStorage.getItem('frontrow.refresh')") == b.evaluate(
        "localStorage.getItem('frontrow.refresh')"
    )
