"""The printable ticket at the gate: its QR code whole on a phone and on paper, and there offline."""

from __future__ import annotations

import pytest

from tests.browser.factories import cinema_event
from tests.factories import UserFactory
from tests.ticketing.helpers import booked, seat_ids
from ticketing.models import Ticket
from ticketing.services.bookings import bookings_cancel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [320, 390, 430, 1280]
BLACK, WHITE = "rgb(0, 0, 0)", "rgb(255, 255, 255)"


def a_ticket(**event_fields) -> Ticket:
    event = cinema_event(**event_fields)
    return booked(UserFactory(), event, seat_ids(event, 1)).tickets.get()


def box(page, selector: str) -> dict:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


def inside(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"]
        and inner["y"] >= outer["y"]
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


def service_worker_ready(page, timeout_ms: int = 10_000) -> str:
    """The state of the page's active service worker, or "none" after the timeout."""
    return page.evaluate(
        """timeout => Promise.race([
            navigator.serviceWorker.ready.then((registration) => registration.active.state),
            new Promise((resolve) => setTimeout(() => resolve("none"), timeout)),
        ])""",
        timeout_ms,
    )


def controlled_by_the_service_worker(page) -> None:
    """Wait for the service worker, then reload so that it controls the page."""
    assert service_worker_ready(page) in ("activating", "activated")
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")


def contrast(foreground: str, background: str = WHITE) -> float:
    """WCAG contrast ratio of two computed ``rgb(...)`` colours."""

    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in colour[colour.index("(") + 1 : -1].split(",")[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted([luminance(foreground), luminance(background)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def cached_paths(page) -> list[str]:
    return page.evaluate(
        """async () => {
            const paths = [];
            for (const name of await caches.keys()) {
                for (const request of await (await caches.open(name)).keys()) {
                    paths.push(new URL(request.url).pathname);
                }
            }
            return paths.sort();
        }"""
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_qr_code_is_inside_the_viewport(open_page, live_server, shots, width):
    # given: a booked ticket
    ticket = a_ticket()
    page = open_page(viewport={"width": width, "height": 844})
    # when: its printable page is opened at this width
    page.goto(f"{live_server.url}/tickets/{ticket.code}/")
    # then: the whole QR code is on screen and the page does not scroll sideways
    qr = page.locator(".stub svg").bounding_box()
    assert qr is not None and qr["width"] >= 150, qr
    assert qr["x"] >= 0 and qr["x"] + qr["width"] <= width, qr
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # and: a print button, and the category and price as the web client writes them
    assert page.get_by_role("button", name="Print ticket").is_visible()
    assert page.locator(".meta").first.inner_text().startswith("Standard · €11.00 · booking")
    # and: all content is in landmarks (axe's "region"), the grey text at 4.5:1 or more
    landmarks = page.evaluate("[...document.body.children].map((e) => e.tagName.toLowerCase())")
    assert set(landmarks) <= {"header", "main", "footer", "script"}, landmarks
    greys = page.evaluate(
        "[...document.querySelectorAll('.when, dt, .meta, .code, .hint')].map(e => getComputedStyle(e).color)"
    )
    assert greys and min(contrast(grey) for grey in greys) >= 4.5, greys
    shots(page, f"ticket-{width}", full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_printed_the_qr_code_is_whole_in_black_on_white_without_buttons(open_page, live_server, shots, width):
    # given: a ticket page at this width
    ticket = a_ticket()
    page = open_page(viewport={"width": width, "height": 844})
    page.goto(f"{live_server.url}/tickets/{ticket.code}/")
    # when: it is laid out for print
    page.emulate_media(media="print")
    # then: the QR code is whole, inside its ticket and the page, at a size that scans
    qr = box(page, ".stub svg")
    assert qr["width"] >= 150 and qr["height"] >= 150, qr
    assert inside(qr, box(page, ".ticket")) and inside(qr, box(page, ".stub")), qr
    assert qr["x"] >= 0 and qr["x"] + qr["width"] <= width, qr
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # and: no button, black on white, no shadow
    assert page.get_by_role("button", name="Print ticket").is_hidden()
    assert page.locator("footer").is_hidden()
    styles = page.evaluate(
        """() => {
            const style = (selector) => getComputedStyle(document.querySelector(selector));
            return {
                page: style("body").backgroundColor, ticket: style(".ticket").backgroundColor,
                shadow: style(".ticket").boxShadow, colours: [...new Set(
                    [...document.querySelectorAll(".info *, .code")].map((e) => getComputedStyle(e).color))],
            };
        }"""
    )
    assert styles["page"] == styles["ticket"] == WHITE, styles
    assert styles["shadow"] == "none" and styles["colours"] == [BLACK], styles
    shots(page, f"ticket-print-{width}", full_page=True)


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_a_ticket_prints_on_one_page(open_page, live_server, paper):
    # given: a ticket for an event with a long name (it wraps over several lines)
    ticket = a_ticket(title="The Extraordinarily Long Farewell Tour of the Philharmonic Orchestra " * 2)
    page = open_page(viewport={"width": 390, "height": 844})
    page.goto(f"{live_server.url}/tickets/{ticket.code}/")
    # when: Chromium prints it
    pdf = page.pdf(format=paper)
    # then: one page
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages == 1, f"{pages} pages"


def test_the_print_button_opens_the_print_dialog(open_page, live_server):
    # given: a ticket page whose print dialog is recorded instead of shown
    ticket = a_ticket()
    page = open_page(viewport={"width": 390, "height": 844})
    page.add_init_script("window.print = () => { window.printed = (window.printed || 0) + 1; };")
    page.goto(f"{live_server.url}/tickets/{ticket.code}/")
    # when
    page.get_by_role("button", name="Print ticket").click()
    # then
    assert page.evaluate("window.printed") == 1


def test_a_ticket_page_opened_before_is_shown_offline(open_page, live_server, shots):
    # given: a ticket page opened once, with its service worker in control
    ticket = a_ticket()
    seat = ticket.event_seat.seat
    page = open_page(viewport={"width": 390, "height": 844})
    page.goto(f"{live_server.url}/tickets/{ticket.code}/")
    assert page.locator("#offline").is_hidden()
    controlled_by_the_service_worker(page)
    # when: the phone loses the network and the page is loaded again
    page.context.set_offline(True)
    page.reload()
    # then: the seat and the whole QR code are there, with a note that this is the kept copy
    assert [dd.inner_text() for dd in page.locator("dd").all()] == [
        seat.section.name,
        seat.row_label,
        str(seat.number),
    ]
    assert box(page, ".stub svg")["width"] >= 150
    assert page.locator(".code").inner_text() == ticket.code
    assert page.get_by_role("status").filter(has_text="You are offline").is_visible()
    shots(page, "ticket-offline-390", full_page=True)


def test_the_first_visit_alone_keeps_the_ticket_for_offline(open_page, live_server):
    # given: a ticket page opened once, not reloaded
    ticket = a_ticket()
    page = open_page(viewport={"width": 390, "height": 844})
    url = f"{live_server.url}/tickets/{ticket.code}/"
    page.goto(url)
    # when: its service worker has started (and kept the page that registered it)
    assert service_worker_ready(page) in ("activating", "activated")
    page.wait_for_function("url => caches.match(url).then(Boolean)", arg=url, polling=100)
    page.context.set_offline(True)
    page.reload()
    # then
    assert page.locator(".code").inner_text() == ticket.code


def test_the_service_worker_keeps_only_ticket_pages_and_follows_the_server(open_page, live_server):
    # given: a ticket page under its service worker
    ticket = a_ticket()
    base = f"{live_server.url}/tickets/"
    page = open_page(viewport={"width": 390, "height": 844})
    page.goto(f"{base}{ticket.code}/")
    controlled_by_the_service_worker(page)
    # when: the buyer also opens the QR code alone, a forged ticket, and the API
    for url in [f"{base}{ticket.code}/qr.svg", f"{base}forged-code/", f"{live_server.url}/api/v1/events/"]:
        page.goto(url)
    page.goto(f"{base}{ticket.code}/")
    # then: only the ticket page (and the page's own script) are kept
    assert cached_paths(page) == ["/static/ticketing/tickets/ticket.js", f"/tickets/{ticket.code}/"]
    # when: the booking is cancelled, the page is opened online, then offline
    bookings_cancel(booking_ids=[ticket.booking_id], actor=ticket.booking.buyer)
    page.reload()
    assert page.get_by_text("VOID").is_visible()
    page.context.set_offline(True)
    page.reload()
    # then: the kept copy is the void one (network first, not cache first)
    assert page.get_by_text("VOID").is_visible()


@pytest.mark.parametrize(
    "unavailable",
    [
        "delete Navigator.prototype.serviceWorker;",  # an old browser, or not a secure context
        "navigator.serviceWorker.register = () => Promise.reject(new DOMException('no', 'SecurityError'));",
    ],
    ids=["absent", "refused"],
)
def test_without_a_service_worker_the_page_works_and_says_nothing(open_page, live_server, unavailable):
    # given: a browser where service workers are absent, or refuse to register
    ticket = a_ticket()
    page = open_page(viewport={"width": 390, "height": 844})
    page.add_init_script(unavailable)
    # when
    page.goto(f"{live_server.url}/tickets/{ticket.code}/")
    # then: the ticket and its print button, and no error (open_page fails on any)
    assert page.get_by_role("button", name="Print ticket").is_visible()
    assert page.locator(".code").inner_text() == ticket.code


def test_when_the_server_fails_the_kept_copy_is_shown(open_page, live_server, monkeypatch):
    # given: a ticket page under its service worker
    ticket = a_ticket()
    page = open_page(viewport={"width": 390, "height": 844})
    page.goto(f"{live_server.url}/tickets/{ticket.code}/")
    controlled_by_the_service_worker(page)

    # when: the server answers 500 (the live server runs in this process)
    def broken(code):
        raise RuntimeError("the database is gone")

    monkeypatch.setattr("ticketing.web._ticket_by_code", broken)
    page.reload()
    # then: the ticket is still there
    assert page.locator(".code").inner_text() == ticket.code
