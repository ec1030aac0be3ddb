"""A season hold seen from one of its events' page, on a phone: the seat map shows its seats as
the buyer's ("mine"), and the page knows them as a season hold (a note in the cart with a link
to the season's page) instead of asking GET /holds/ (and GET /waitlist/) again for every map
that shows them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlparse

import pytest

from tests.browser.conftest import log_in, seat_status
from tests.browser.factories import stadium_event
from tests.factories import UserFactory, on_sale_event
from ticketing.models import EventSeat
from ticketing.services.seasons import season_create, season_hold_create
from venues.models import Seat

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_season_hold_is_shown_on_the_event_page_without_a_request_loop(open_page, shots):
    # given: a 2-match season in one bowl, and sam's season hold on two North Stand seats
    first = stadium_event(sections=["North Stand", "South Stand"], rows=2, seats=6, vip_rows=1)
    second = on_sale_event(hall=first.hall, starts_in=timedelta(days=14))
    season = season_create(
        name="Home season",
        hall=first.hall,
        event_ids=[first.pk, second.pk],
        prices={"vip": Decimal("100.00"), "standard": Decimal("50.00")},
    )
    sam = UserFactory(username="sam")
    seats = list(Seat.objects.filter(section__hall=first.hall, section__name="North Stand").order_by("id"))
    season_hold_create(buyer=sam, season=season, seat_ids=[seats[0].pk, seats[1].pk])
    mine = list(
        EventSeat.objects.filter(event=first, seat__in=seats[:2]).order_by("id").values_list("pk", flat=True)
    )

    # when: sam opens the first match on a phone, counting the page's GET /holds/
    page = open_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    holds_requests: list[str] = []
    page.on(
        "request",
        lambda request: (
            holds_requests.append(request.url) if urlparse(request.url).path.endswith("/holds/") else None
        ),
    )
    # the whole map comes after the sections' summary (as in a big bowl): a new map, then, with
    # seats of sam's that the page must already know
    delayed: list[str] = []

    def slow_first_map(route):
        if not delayed:
            delayed.append(route.request.url)
            page.wait_for_timeout(1500)
        route.continue_()

    page.route(f"**/api/v1/events/{first.pk}/seats/", slow_first_map)
    log_in(page, "sam", next_path=f"/events/{first.pk}")
    page.wait_for_selector("html[data-seats=ready]")
    page.locator('.tile[data-section="North Stand"]').click()
    page.wait_for_function(
        "id => document.querySelector(`button.seat[data-id='${id}']`)?.classList.contains('st-mine')",
        arg=mine[0],
    )
    note = page.locator(".cart-season")
    note.wait_for()
    loaded = len(holds_requests)
    # ...and the map is rebuilt a few times (each section switch is a new map) and polled
    for name in ("South Stand", "North Stand", "South Stand", "North Stand"):
        page.locator(f'.tile[data-section="{name}"]').click()
        page.wait_for_function("n => document.querySelector('.section-title')?.textContent === n", arg=name)
    page.wait_for_timeout(3500)  # three polls (TICKETING_WEB_POLL_MS = 1000 in tests)
    note.scroll_into_view_if_needed()
    shots(page, "season-hold-on-event-page")

    # then: the seats are sam's on the map, and the cart says they are a season hold, linked
    assert [seat_status(page, pk) for pk in mine] == ["mine", "mine"]
    assert "2 seats held for your season ticket" in note.inner_text()
    assert note.get_by_role("link").get_attribute("href") == f"#/seasons/{season.pk}"
    # no refetch: the page's one GET /holds/ (its first load) and none after, neither for the
    # whole map nor for the section switches and polls (before the fix: a second one for the
    # whole map, and one more for every map change showing those seats, each with GET /waitlist/)
    assert delayed, "the whole map was delayed"
    assert len(holds_requests) == loaded == 1, holds_requests
