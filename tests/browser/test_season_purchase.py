"""A season purchase in the web client, on a phone: pick hall seats free in every event of the
season, hold them for all the events at once, book, see one booking with a ticket per event."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.browser.conftest import describe_violations, log_in
from tests.browser.factories import stadium_event
from tests.factories import UserFactory, on_sale_event
from tests.ticketing.helpers import booked
from ticketing.models import Booking, EventSeat
from ticketing.services.seasons import season_create
from venues.models import Seat

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_buyer_buys_a_season_ticket_on_a_phone(open_page, shots):
    # given: a 3-match season in one bowl, and a seat already sold for the second match
    first = stadium_event(sections=["North Stand"], rows=3, seats=8, vip_rows=1, home_team="Lyon VB")
    hall = first.hall
    others = [
        on_sale_event(hall=hall, home_team=team, away_team="Tours VB", starts_in=timedelta(days=days))
        for team, days in (("Lyon VB", 14), ("Lyon VB", 21))
    ]
    season = season_create(
        name="Lyon VB 2027 home season",
        hall=hall,
        event_ids=[first.pk, *(e.pk for e in others)],
        prices={"vip": Decimal("210.00"), "standard": Decimal("90.00")},
    )
    seats = list(Seat.objects.filter(section__hall=hall).order_by("id"))
    sold = EventSeat.objects.get(event=others[0], seat=seats[2])
    booked(UserFactory(), others[0], [sold.pk])
    UserFactory(username="sam")

    # when: sam opens the season on a phone, picks two seats, holds them and books
    page = open_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(page, "sam", next_path=f"/seasons/{season.pk}")
    page.get_by_role("heading", name="Lyon VB 2027 home season").wait_for()
    taken = page.locator(f'input[data-id="{seats[2].pk}"]')
    assert taken.is_disabled()  # sold in one match: not free for the season
    page.locator(f'label[for="ss-{seats[0].pk}"]').click()
    page.locator(f'label[for="ss-{seats[1].pk}"]').click()
    page.get_by_role("button", name="Hold these seats for the season").click()
    page.get_by_role("button", name="Book and pay €420.00").wait_for()
    page.get_by_role("button", name="Dismiss message").click()  # the log-in greeting
    page.evaluate("window.scrollTo(0, 0)")
    shots(page, "season-held", readme="season-purchase-phone")
    page.get_by_role("button", name="Book and pay €420.00").click()
    page.get_by_text("Season: Lyon VB 2027 home season").first.wait_for()
    shots(page, "season-booked")

    # then: one booking, a ticket per match and seat, the seats booked in every match
    booking = Booking.objects.get(buyer__username="sam")
    assert booking.season_id == season.pk and booking.total == Decimal("420.00")
    assert booking.tickets.count() == 6
    assert EventSeat.objects.filter(booking=booking, status=EventSeat.Status.BOOKED).count() == 6


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1440, "height": 900}])
def test_the_season_pages_have_no_serious_or_critical_axe_violations(open_page, axe, viewport):
    event = stadium_event(sections=["North Stand"], rows=2, seats=6, vip_rows=1)
    season = season_create(
        name="Home season", hall=event.hall, event_ids=[event.pk], prices={"vip": "100", "standard": "50"}
    )
    UserFactory(username="ines")
    page = open_page(viewport=viewport, bypass_csp=True)
    log_in(page, "ines")
    for path, ready in ((f"#/seasons/{season.pk}", ".list-seat"), ("#/seasons", ".event-card")):
        page.goto(page.base_url + path)
        page.locator(ready).first.wait_for()
        serious = [v for v in axe(page) if v["impact"] in {"serious", "critical"}]
        assert not serious, f"{path}:\n{describe_violations(serious)}"
