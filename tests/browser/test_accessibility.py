"""axe-core on every page of the web client, on a phone (390×844) and a desktop (1440×900).

A page passes with no `serious` or `critical` violation; a failure prints each violation with
its rule, impact, message and elements. axe is injected into a context that bypasses the CSP
(see the `axe` fixture), installed by `make install` from tests/browser/axe/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.browser.conftest import describe_violations, log_in
from tests.browser.factories import cinema_event, stadium_event
from tests.factories import UserFactory
from tests.ticketing.helpers import booked, seat_ids
from ticketing.services.bookings import bookings_cancel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}
SERIOUS = {"serious", "critical"}
HALL = "html[data-seatmap=ready] button.seat"  # a cinema's event page: the whole hall drawn
OVERVIEW = "html[data-seatmap=ready] .tile"  # a stadium's: the sections overview


@dataclass(frozen=True)
class Screen:
    """A page of the client: where it is (from the test data), whether it needs a login, and
    what shows it is rendered."""

    path: Callable[[dict], str]
    ready: str
    login: bool = True
    then: Callable | None = None  # brings the page into the state to check


def wrong_password(page) -> None:
    page.get_by_label("Username").fill("hana")
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("alert").wait_for()


def taken_username(page) -> None:
    page.get_by_label("Username").fill("hana")
    page.get_by_label("Email").fill("hana@example.com")
    page.get_by_label("Password").fill("a-long-password-42")
    page.get_by_role("button", name="Sign up").click()
    page.locator(".field-error:not([hidden])").first.wait_for()


def open_section(page) -> None:
    page.locator('.tile[data-section="North Stand"]').click()
    page.locator("button.seat").first.wait_for()


def list_view(page) -> None:
    page.get_by_role("button", name="List").click()
    page.locator(".list-seats").wait_for()


def hold_a_seat(page) -> None:
    page.locator("button.seat.st-available").first.click()
    page.get_by_role("button", name="Hold 1 seat").click()
    page.locator("[role=timer]:visible").wait_for()


def cancel_step(page) -> None:
    page.get_by_role("button", name="Cancel booking").first.click()
    page.get_by_role("button", name="Yes, cancel it").wait_for()


SCREENS = {
    "events-list": Screen(lambda d: "#/", ".event-card"),
    "event-cinema-hall": Screen(lambda d: f"#/events/{d['cinema'].pk}", HALL),
    "event-cinema-held": Screen(lambda d: f"#/events/{d['cinema'].pk}", HALL, then=hold_a_seat),
    "event-cinema-list": Screen(lambda d: f"#/events/{d['cinema'].pk}", HALL, then=list_view),
    "event-stadium-sections": Screen(lambda d: f"#/events/{d['stadium'].pk}", OVERVIEW),
    "event-stadium-section": Screen(lambda d: f"#/events/{d['stadium'].pk}", OVERVIEW, then=open_section),
    "login": Screen(lambda d: "#/login", "form.auth-form", login=False),
    "login-refused": Screen(lambda d: "#/login", "form.auth-form", login=False, then=wrong_password),
    "signup": Screen(lambda d: "#/signup", "form.auth-form", login=False),
    "signup-refused": Screen(lambda d: "#/signup", "form.auth-form", login=False, then=taken_username),
    "my-bookings": Screen(lambda d: "#/bookings", "article.booking"),  # one confirmed, one cancelled
    "my-bookings-cancelling": Screen(lambda d: "#/bookings", "article.booking", then=cancel_step),
    "booking": Screen(lambda d: f"#/bookings/{d['booking'].pk}", "article.booking"),
    "booking-just-made": Screen(lambda d: f"#/bookings/{d['booking'].pk}?new=1", "article.booking"),
    "ticket": Screen(lambda d: f"/tickets/{d['ticket'].code}/", ".stub svg", login=False),
}


def cases() -> list:
    return [
        pytest.param(
            screen,
            viewport,
            id=f"{screen}-{viewport}",
        )
        for screen in SCREENS
        for viewport in VIEWPORTS
    ]


@pytest.mark.parametrize("screen, viewport", cases())
def test_no_serious_or_critical_axe_violations(open_page, axe, shots, screen, viewport):
    # given: a buyer with a booking of a cinema show and a cancelled one, and a stadium match
    cinema = cinema_event()
    stadium = stadium_event(home_team="France", away_team="Brazil")
    buyer = UserFactory(username="hana")
    booking = booked(buyer, cinema, seat_ids(cinema, 2))
    cancelled = booked(buyer, cinema, seat_ids(cinema, 1, offset=2))
    bookings_cancel(booking_ids=[cancelled.pk], actor=buyer)
    data = {"cinema": cinema, "stadium": stadium, "booking": booking, "ticket": booking.tickets.first()}
    page = open_page(viewport=VIEWPORTS[viewport], bypass_csp=True)
    spec = SCREENS[screen]
    if spec.login:
        log_in(page, "hana")
    # when: the page is shown
    page.goto(page.base_url + spec.path(data).lstrip("/"))
    page.locator(spec.ready).first.wait_for()
    if spec.then:
        spec.then(page)
    violations = axe(page)
    shots(page, f"{screen}-{viewport}", full_page=True)
    # then
    serious = [v for v in violations if v["impact"] in SERIOUS]
    others = [v for v in violations if v["impact"] not in SERIOUS]
    if others:
        print(f"{screen} at {viewport}, minor and moderate:\n{describe_violations(others)}")
    assert not serious, f"{screen} at {viewport}:\n{describe_violations(serious)}"


def test_the_harness_reports_a_violation(open_page, axe, live_server):
    # given: the login page with a button that has no name (axe's `button-name`, critical)
    page = open_page(bypass_csp=True)
    page.goto(f"{live_server.url}/#/login")
    page.locator("form.auth-form").wait_for()
    page.evaluate("document.querySelector('main').append(document.createElement('button'))")
    # when
    violations = axe(page)
    # then
    serious = [(v["id"], v["impact"]) for v in violations if v["impact"] in SERIOUS]
    assert serious == [("button-name", "critical")]


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_waiting_room_has_no_serious_or_critical_axe_violations(
    open_page, axe, shots, queue_redis, viewport
):
    # given: a show whose waiting room opened with one buyer through ahead, the rate slow
    from datetime import timedelta

    from django.utils import timezone

    from ticketing.services.waiting_room import waiting_room_join

    cinema = cinema_event()
    cinema.waiting_room_opens_at, cinema.waiting_room_admit_per_minute = (
        timezone.now() - timedelta(seconds=1),
        1,
    )
    cinema.save()  # mirrored into Redis as it commits
    waiting_room_join(event_id=cinema.pk, buyer=UserFactory(username="early"))
    UserFactory(username="hana")
    page = open_page(viewport=VIEWPORTS[viewport], bypass_csp=True)
    log_in(page, "hana", next_path=f"/events/{cinema.pk}")
    page.locator(".queue-status").get_by_text("in line").wait_for()
    violations = axe(page)
    shots(page, f"waiting-room-{viewport}", full_page=True)
    serious = [v for v in violations if v["impact"] in SERIOUS]
    assert not serious, f"waiting room at {viewport}:\n{describe_violations(serious)}"
