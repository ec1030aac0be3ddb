"""The seat picker as buyers use the market leaders': on a phone (390×844) and a desktop (1440×900).

Checked by accessible names and bounding boxes: best available from the first screen, prices and
seats left per category, filters that pale what does not match, a seat card that is on screen,
seats of at least 24 px on a phone with zoom and no sideways scrolling of the page, the bottom
sheet, focus after navigation, and recovery after the server comes back.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.browser.conftest import log_in, seat
from tests.browser.factories import cinema_event, seat_id
from tests.factories import HallFactory, UserFactory, VenueFactory, on_sale_event
from ticketing.management.commands.seed_demo import stadium_layout
from ticketing.models import Hold
from venues.models import Venue
from venues.services import layout_replace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
SIZES = pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])


def match_with_a_family_corner():
    """Two stands of 12 rows × 40 seats (2 VIP rows each) and a corner of standard seats only."""
    venue = VenueFactory(name="Palais des Sports", kind=Venue.Kind.STADIUM)
    hall = HallFactory(venue=venue, name="Main Bowl")
    sections = stadium_layout(["North Stand", "East Stand"], 12, 40, 2)
    sections += stadium_layout(["Family Corner"], 6, 20, 0)
    layout_replace(hall=hall, sections=sections)
    return on_sale_event(hall=hall)


def box(locator) -> dict:
    locator.wait_for()
    return locator.bounding_box()


def in_viewport(page, locator) -> bool:
    rect = box(locator)
    size = page.viewport_size
    return (
        rect["y"] >= 0
        and rect["y"] + rect["height"] <= size["height"]
        and rect["x"] >= 0
        and (rect["x"] + rect["width"] <= size["width"])
    )


def no_sideways_scrolling(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def open_event(page, event) -> None:
    page.goto(f"{page.base_url}#/events/{event.pk}")
    page.wait_for_selector("html[data-seatmap=ready]")


@SIZES
def test_best_available_from_the_first_screen_holds_the_best_seats_together(open_page, shots, device):
    # given
    event = match_with_a_family_corner()
    UserFactory(username="fan")
    page = open_page(**device)
    log_in(page, "fan", next_path=f"/events/{event.pk}")
    page.wait_for_selector("html[data-seatmap=ready]")
    page.evaluate("window.scrollTo(0, 0)")
    best = page.get_by_role("button", name="Best available")
    # then: it is on the first screen, with the prices and what is left at each
    assert in_viewport(page, best), "best available is on the first screen"
    assert page.get_by_role("button", name="VIP €80.00 160 left").is_visible()
    assert page.get_by_role("button", name="Standard €35.00 920 left").is_visible()
    shots(page, "first-screen")
    # when: the buyer asks for the 3 best seats together
    page.get_by_label("How many seats").select_option("3")
    best.click()
    timer = page.locator("[role=timer]:visible")
    timer.wait_for()
    # then: they are held, side by side in the front row's middle, and Book is on screen
    hold = Hold.objects.get(buyer__username="fan")
    seats = sorted((s.seat.section.name, s.seat.row_label, s.seat.number) for s in hold.seats.all())
    assert [s[:2] for s in seats] == [("North Stand", "A")] * 3
    assert [s[2] for s in seats] in ([19, 20, 21], [20, 21, 22])
    book = page.get_by_role("button", name="Book 3 seats · €240.00")
    assert in_viewport(page, book), "Book is on screen after best available"
    assert page.get_by_text("We found 3 seats for you, together.").is_visible()
    for _, row, number in seats:
        assert "st-mine" in seat(page, seat_id(event, "North Stand", row, number)).get_attribute("class")
    shots(page, "best-available-held", readme=f"best-available-{'phone' if device is PHONE else 'desktop'}")


def test_a_phone_section_opens_in_view_at_24_px_seats_zooms_and_never_scrolls_the_page(open_page, shots):
    # given
    event = match_with_a_family_corner()
    page = open_page(**PHONE)
    open_event(page, event)
    # when: the buyer taps a section
    page.locator('.tile[data-section="East Stand"]').click()
    first = seat(page, seat_id(event, "East Stand", "A", 20))
    # then: its seats are on screen, 24 px at least, and the page itself does not scroll sideways
    assert in_viewport(page, first), "choosing a section brings its seats into view"
    assert box(first)["width"] >= 24 and box(first)["height"] >= 24
    assert no_sideways_scrolling(page)
    shots(page, "section-on-a-phone", readme="section-phone")
    # when: zoom in, out and fit with the buttons
    page.get_by_role("button", name="Zoom in").click()
    zoomed = box(first)["width"]
    page.get_by_role("button", name="Fit the section").click()
    fitted = box(first)["width"]
    # then
    assert zoomed > 24, zoomed
    assert 10 <= fitted < 24, fitted
    assert no_sideways_scrolling(page)
    # when: a pinch of two fingers spreads them apart on the seats
    page.get_by_role("button", name="Zoom in").click()
    before = box(first)["width"]
    page.evaluate(
        """() => {
            const grid = document.querySelector(".seat-grid");
            const send = (type, id, x) => grid.dispatchEvent(new PointerEvent(type,
                {pointerId: id, pointerType: "touch", clientX: x, clientY: 400, bubbles: true}));
            send("pointerdown", 1, 150); send("pointerdown", 2, 200);
            send("pointermove", 2, 300);
            send("pointerup", 1, 150); send("pointerup", 2, 300);
        }"""
    )
    assert box(first)["width"] > before, "a pinch zooms in"


def test_a_tapped_seat_shows_its_card_on_screen_and_goes_to_the_bottom_sheet(open_page, shots):
    # given
    event = match_with_a_family_corner()
    UserFactory(username="fan")
    page = open_page(**PHONE)
    log_in(page, "fan", next_path=f"/events/{event.pk}")
    page.wait_for_selector("html[data-seatmap=ready]")
    page.locator('.tile[data-section="North Stand"]').click()
    # when: the buyer taps a front-row seat
    seat(page, seat_id(event, "North Stand", "A", 21)).tap()
    card = page.locator(".seat-card")
    # then: its card says where, what and how much, whole on screen
    assert in_viewport(page, card)
    assert card.inner_text().splitlines() == ["North Stand · Row A · Seat 21", "VIP · €80.00", "Selected"]
    # ...and the bottom sheet says the total, with Hold within reach
    hold = page.get_by_role("button", name="Hold 1 seat")
    assert in_viewport(page, hold)
    assert page.locator(".sheet-summary").inner_text() == "1 seat · €80.00"
    shots(page, "seat-card-and-sheet", readme="sheet-phone")
    # when: held, the countdown and Book stay on screen while the buyer scrolls
    hold.click()
    page.locator("[role=timer]:visible").wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    assert in_viewport(page, page.locator("[role=timer]:visible"))
    assert in_viewport(page, page.get_by_role("button", name="Book 1 seat · €80.00"))
    # ...and the details unfold under it
    page.get_by_role("button", name="Details").click()
    assert page.get_by_role("button", name="Release seats").is_visible()
    shots(page, "sheet-with-a-hold", readme="sheet-hold-phone")
    page.get_by_role("button", name="Hide details").click()
    # when: with that hold, the buyer picks another seat
    seat(page, seat_id(event, "North Stand", "B", 21)).tap()
    # then: the bar's button holds the seat just picked (Book would book the older hold), and
    # the hold's countdown stays in the bar
    bar = page.locator(".sheet-bar")
    assert bar.get_by_role("button", name="Hold 1 seat").is_visible()
    assert bar.get_by_role("button", name="Book 1 seat · €80.00").count() == 0
    assert bar.locator("[role=timer]").is_visible()
    assert "picked 1 seat · €80.00" in bar.inner_text()


def test_hovering_a_seat_on_a_desktop_shows_its_card_beside_it(open_page):
    event = match_with_a_family_corner()
    page = open_page(**DESKTOP)
    open_event(page, event)
    page.locator('.tile[data-section="North Stand"]').click()
    target = seat(page, seat_id(event, "North Stand", "A", 1))
    target.hover()
    card = page.locator(".seat-card")
    assert in_viewport(page, card)
    assert card.inner_text().splitlines() == [
        "North Stand · Row A · Seat 1",
        "VIP · €80.00",
        "Wheelchair space",
        "Available",
    ]
    seat_box, card_box = box(target), box(card)
    assert abs((card_box["y"] + card_box["height"]) - seat_box["y"]) < 40, "the card is next to the seat"


def test_price_and_wheelchair_filters_pale_what_does_not_match(open_page, shots):
    # given
    event = match_with_a_family_corner()
    page = open_page(**DESKTOP)
    open_event(page, event)
    page.locator('.tile[data-section="North Stand"]').click()
    vip_seat = seat(page, seat_id(event, "North Stand", "A", 5))
    standard_seat = seat(page, seat_id(event, "North Stand", "C", 5))
    wheelchair = seat(page, seat_id(event, "North Stand", "A", 1))
    opacity = lambda locator: float(locator.evaluate("el => getComputedStyle(el).opacity"))  # noqa: E731
    # when: VIP only
    page.get_by_role("button", name="VIP €80.00 160 left").click()
    # then: the corner with no VIP seat is paled, and so are the standard seats
    assert "is-dim" in page.locator('.tile[data-section="Family Corner"]').get_attribute("class")
    assert "is-dim" not in page.locator('.tile[data-section="North Stand"]').get_attribute("class")
    assert opacity(vip_seat) == 1 and opacity(standard_seat) < 0.5
    assert page.get_by_role("button", name="VIP €80.00 160 left").get_attribute("aria-pressed") == "true"
    # ...and the tiles count the VIP seats, at the VIP price
    tile = page.locator('.tile[data-section="North Stand"]')
    assert tile.locator(".tile-count").inner_text() == "80 VIP left"
    assert tile.locator(".tile-price").inner_text() == "€80.00"
    shots(page, "vip-only")
    # when: wheelchair spaces instead
    page.get_by_role("button", name="VIP €80.00 160 left").click()
    page.get_by_role("button", name="Wheelchair spaces 6 left").click()
    # then
    assert opacity(wheelchair) == 1 and opacity(vip_seat) < 0.5
    assert page.locator(".legend").get_by_text("Wheelchair space").is_visible()
    # ...and the overview's colours are explained one scheme at a time
    assert page.locator(".bowl-key").inner_text().startswith("VIP · €80.00")
    page.get_by_role("button", name="Seats left").click()
    assert page.locator(".bowl-key").inner_text().startswith("Plenty left")


def test_opening_an_event_from_the_keyboard_puts_the_focus_on_its_heading(open_page):
    event = match_with_a_family_corner()
    page = open_page(**DESKTOP)
    page.goto(page.base_url)
    link = page.locator(f'a[href="#/events/{event.pk}"]')
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("html[data-seatmap=ready]")
    assert page.evaluate("document.activeElement.tagName") == "H1"
    assert page.evaluate("document.activeElement.textContent") == "Lyon VB vs Tours VB"


def test_the_event_page_recovers_by_itself_when_the_server_comes_back(open_page, shots):
    # given: the server is unreachable when the buyer opens the event
    event = match_with_a_family_corner()
    page = open_page(**PHONE)
    page.goto(page.base_url)
    page.locator(".event-card").first.wait_for()
    # (what the browser sees while the server restarts: the connection is refused)
    page.route("**/api/v1/events/**", lambda route: route.abort("connectionrefused"))
    page.goto(f"{page.base_url}#/events/{event.pk}")
    # then: it says so, offers to try again, and says it will
    page.get_by_role("heading", name="Could not load this event").wait_for()
    assert page.get_by_role("button", name="Try again now").is_visible()
    assert "We will try again in" in page.locator(".msg-error").inner_text()
    shots(page, "server-down")
    # when: the server is back; nobody touches the page
    page.unroute("**/api/v1/events/**")
    # then: the page loads the event by itself
    page.wait_for_selector("html[data-seatmap=ready]", timeout=15_000)
    assert page.get_by_role("heading", name="Lyon VB vs Tours VB").is_visible()


def test_a_placed_layout_is_drawn_where_its_seats_are(open_page, shots):
    # given: a hall whose layout places its seats: a stand behind the top of the court, one at
    # each end, and in the top stand a second row set two seats further along (an aisle before it)
    venue = VenueFactory(name="Salle Plan", kind=Venue.Kind.ARENA)
    hall = HallFactory(venue=venue, name="Plan")
    row = lambda label, x, y, seats=10: {"label": label, "seats": seats, "x": x, "y": y}  # noqa: E731
    layout_replace(
        hall=hall,
        sections=[
            {"name": "Top", "rows": [row("A", 0, -6), row("B", 2, -7, 8)]},
            {"name": "Right end", "rows": [row("A", 14, -3, 4), row("B", 14, -2, 4)]},
            {"name": "Left end", "rows": [row("A", -8, -3, 4), row("B", -8, -2, 4)]},
        ],
    )
    event = on_sale_event(hall=hall, prices={"standard": Decimal("40.00")})
    page = open_page(**DESKTOP)
    open_event(page, event)
    page.wait_for_selector("html[data-seats=ready]")
    # then: the tiles are laid out as the plan says, not around a ring
    top, right, left = (
        box(page.locator(f'.tile[data-section="{name}"]')) for name in ("Top", "Right end", "Left end")
    )
    assert left["x"] + left["width"] <= top["x"] < top["x"] + top["width"] <= right["x"]
    assert top["y"] < right["y"] and top["y"] < left["y"]
    assert top["width"] > 2 * right["width"]
    shots(page, "placed-overview")
    # when: the top stand is opened
    page.locator('.tile[data-section="Top"]').click()
    a1 = box(seat(page, seat_id(event, "Top", "A", 1)))
    b1 = box(seat(page, seat_id(event, "Top", "B", 1)))
    a3 = box(seat(page, seat_id(event, "Top", "A", 3)))
    # then: row B starts under row A's third seat
    assert abs(b1["x"] - a3["x"]) < 2, (a1, a3, b1)


def test_the_finder_counts_follow_a_hold_and_a_hall_without_wheelchair_spaces_has_no_such_filter(
    open_page,
):
    # given: a cinema with no wheelchair space
    event = cinema_event()
    UserFactory(username="fan")
    page = open_page(**DESKTOP)
    log_in(page, "fan", next_path=f"/events/{event.pk}")
    page.wait_for_selector("html[data-seatmap=ready]")
    # then
    assert page.get_by_role("button", name="Wheelchair spaces").count() == 0
    vip = page.get_by_role("button", name="VIP €16.50 24 left")
    assert vip.is_visible()
    # when: a VIP seat is held
    page.locator("button.seat.p1.st-available").first.click()
    page.get_by_role("button", name="Hold 1 seat").click()
    page.locator("[role=timer]:visible").wait_for()
    # then: the chip says so at once
    assert page.get_by_role("button", name="VIP €16.50 23 left").is_visible()


def test_a_double_click_on_try_again_loads_the_page_once(open_page):
    # given: the event's first load fails
    event = cinema_event()
    page = open_page(**DESKTOP)
    page.goto(page.base_url)
    page.locator(".event-card").first.wait_for()
    failed = []

    def fail_once(route):
        if failed:
            return route.continue_()
        failed.append(route.request.url)
        return route.fulfill(status=500, content_type="application/json", body='{"code": "server_error"}')

    page.route(f"**/api/v1/events/{event.pk}/", fail_once)
    page.goto(f"{page.base_url}#/events/{event.pk}")
    # when: the buyer double-clicks "Try again now", then picks a seat
    page.get_by_role("button", name="Try again now").dblclick()
    page.wait_for_selector("html[data-seatmap=ready]")
    target = seat(page, page.locator("button.seat.st-available").first.get_attribute("data-id"))
    target.click()
    # then: one page, one click: the seat is selected (two pages would select and unselect it)
    assert target.get_attribute("aria-pressed") == "true"
    assert page.locator(".finder").count() == 1


def test_on_a_phone_the_sheet_books_the_hold_just_made(open_page):
    # given: a buyer with a hold, who picks another seat and holds it too
    event = cinema_event()
    UserFactory(username="fan")
    page = open_page(**PHONE)
    log_in(page, "fan", next_path=f"/events/{event.pk}")
    page.wait_for_selector("html[data-seatmap=ready]")
    first, second = page.locator("button.seat.st-available").evaluate_all(
        "seats => [seats[0].dataset.id, seats[3].dataset.id]"
    )
    seat(page, first).tap()
    page.locator(".sheet-bar").get_by_role("button", name="Hold 1 seat").click()
    page.locator("[role=timer]:visible").wait_for()
    seat(page, second).tap()
    page.locator(".sheet-bar").get_by_role("button", name="Hold 1 seat").click()
    page.wait_for_function("() => document.querySelectorAll('.cart .hold').length === 2")
    # then: the bar's Book, which has the focus, is the newest hold's
    newest = Hold.objects.filter(buyer__username="fan").order_by("-id").first()
    assert page.evaluate("document.activeElement.dataset.key") == f"bar-book-{newest.pk}"
