"""Signed ticket codes, their QR codes and the printable ticket page."""

import base64
import pickle
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured

from config.errors import Invalid
from tests.factories import hall_with_layout, on_sale_event
from tests.ticketing.helpers import booked, seat_ids
from ticketing.services import tickets
from ticketing.services.bookings import bookings_cancel
from ticketing.services.tickets import (
    ticket_code_sign,
    ticket_code_verify,
    ticket_public_key_b64,
    ticket_qr_svg,
)
from ticketing.web import _category_name, _money
from venues.models import Venue


def test_a_code_verifies_and_says_what_it_is_for():
    code = ticket_code_sign(event_id=3, event_seat_id=41, booking_id=59)
    claims = ticket_code_verify(code)
    assert (claims.event_id, claims.event_seat_id, claims.booking_id) == (3, 41, 59)
    assert len(code) == 119 and code.isascii() and "=" not in code


def test_the_public_key_alone_verifies_a_code_offline():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    code = ticket_code_sign(event_id=1, event_seat_id=2, booking_id=3)
    raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(ticket_public_key_b64()))
    public.verify(raw[25:], b"ticket:" + raw[:25])  # raises if not genuine


@pytest.mark.parametrize(
    "forge",
    [
        lambda code: code[:-2] + ("AA" if code[-2:] != "AA" else "BB"),  # damaged signature
        lambda code: "B" + code[1:],  # changed payload (the version byte)
        lambda code: code[:60],  # truncated
        lambda code: code + "A",  # too long
        lambda code: "not a ticket",
        lambda code: "%%%",
        lambda code: "",
        lambda code: None,
    ],
)
def test_forged_codes_are_invalid(forge):
    code = ticket_code_sign(event_id=1, event_seat_id=2, booking_id=3)
    with pytest.raises(Invalid) as error:
        ticket_code_verify(forge(code))
    assert error.value.code == "invalid"


def test_a_code_signed_with_another_key_is_invalid(settings):
    code = ticket_code_sign(event_id=1, event_seat_id=2, booking_id=3)
    settings.TICKETING_SIGNING_KEY = base64.b64encode(b"k" * 32).decode()
    with pytest.raises(Invalid):
        ticket_code_verify(code)


@pytest.mark.parametrize("key", ["", "not base64!", base64.b64encode(b"short").decode()])
def test_a_missing_or_bad_key_is_a_configuration_error(settings, key):
    settings.TICKETING_SIGNING_KEY = key
    with pytest.raises(ImproperlyConfigured):
        ticket_code_sign(event_id=1, event_seat_id=2, booking_id=3)
    assert [e.id for e in tickets.check_signing_key(None)] == ["ticketing.E001"]


def test_the_qr_code_is_an_svg_of_the_code():
    svg = ticket_qr_svg(ticket_code_sign(event_id=1, event_seat_id=2, booking_id=3))
    assert svg.startswith("<svg") and "viewBox" in svg and "</svg>" in svg
    document = ticket_qr_svg(ticket_code_sign(event_id=1, event_seat_id=2, booking_id=3), standalone=True)
    assert document.startswith("<?xml") and 'width="' in document


@pytest.mark.django_db
def test_booked_tickets_carry_signed_codes_for_their_seat(event, buyer):
    booking = booked(buyer, event, seat_ids(event, 2))
    for ticket in booking.tickets.all():
        claims = ticket_code_verify(ticket.code)
        assert (claims.event_id, claims.event_seat_id, claims.booking_id) == (
            event.id,
            ticket.event_seat_id,
            booking.id,
        )


@pytest.mark.django_db
def test_the_ticket_page_shows_the_seat_and_the_qr_code(event, buyer, client):
    booking = booked(buyer, event, seat_ids(event, 1))
    ticket = booking.tickets.get()
    response = client.get(f"/tickets/{ticket.code}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Lyon VB vs Tours VB" in html and "<svg" in html and "Section 1" in html
    assert "VOID" not in html
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    qr = client.get(f"/tickets/{ticket.code}/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("starts_at", "shown"),
    [
        (datetime(2030, 1, 15, 18, 30, tzinfo=UTC), "Tuesday 15 January 2030, 19:30 CET"),
        (datetime(2030, 7, 15, 18, 30, tzinfo=UTC), "Monday 15 July 2030, 20:30 CEST"),
    ],
    ids=["winter", "summer"],
)
def test_the_ticket_page_shows_the_start_in_the_venues_time_and_zone(buyer, client, starts_at, shown):
    # given: a ticket for an event at 18:30 UTC at a venue in Paris
    hall = hall_with_layout()
    Venue.objects.filter(pk=hall.venue_id).update(time_zone="Europe/Paris")
    event = on_sale_event(hall=hall, starts_at=starts_at)
    ticket = booked(buyer, event, seat_ids(event, 1)).tickets.get()
    # when
    html = client.get(f"/tickets/{ticket.code}/").content.decode()
    # then: the local time with its zone, not the UTC one
    assert shown in html
    assert "18:30" not in html and "UTC" not in html


@pytest.mark.django_db
def test_the_ticket_page_writes_the_category_and_price_as_the_web_client(event, buyer, client):
    # given: a ticket for a vip seat (row A) at 80.00
    ticket = booked(buyer, event, seat_ids(event, 1)).tickets.get()
    # when
    html = client.get(f"/tickets/{ticket.code}/").content.decode()
    # then
    assert "VIP · €80.00 · booking" in html


@pytest.mark.parametrize(
    ("category", "shown"),
    [("vip", "VIP"), ("pmr", "PMR"), ("standard", "Standard"), ("restricted_view", "Restricted view")],
)
def test_a_category_is_named_as_the_web_client_names_it(category, shown):
    assert _category_name(category) == shown


@pytest.mark.parametrize(
    ("currency", "shown"), [("EUR", "€1,234.50"), ("GBP", "£1,234.50"), ("CHF", "CHF 1,234.50")]
)
def test_money_carries_the_currency_of_the_settings(settings, currency, shown):
    settings.TICKETING_CURRENCY = currency
    assert _money(Decimal("1234.5")) == shown


@pytest.mark.django_db
def test_the_ticket_page_runs_its_one_static_script_and_nothing_inline(event, buyer, client):
    ticket = booked(buyer, event, seat_ids(event, 1)).tickets.get()
    response = client.get(f"/tickets/{ticket.code}/")
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == policy["worker-src"] == "'self'"
    assert "connect-src" not in policy and "unsafe" not in policy["script-src"]
    html = response.content.decode()
    assert html.count("<script") == 1
    assert '<script src="/static/ticketing/tickets/ticket.js" data-service-worker="/tickets/sw.js"' in html


@pytest.mark.django_db
def test_the_service_worker_is_served_for_the_ticket_pages_and_holds_no_secret(event, buyer, client):
    # given: a ticket page that was just opened
    ticket = booked(buyer, event, seat_ids(event, 1)).tickets.get()
    assert client.get(f"/tickets/{ticket.code}/").status_code == 200
    # when
    response = client.get("/tickets/sw.js")
    # then: a script whose scope is the ticket pages, revalidated on every update check
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/tickets/"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["Content-Security-Policy"] == "default-src 'none'; connect-src 'self'"
    script = response.content.decode()
    assert 'addEventListener("fetch"' in script and "{%" not in script
    assert 'new URL("/static/ticketing/tickets/ticket.js"' in script
    # and: the same script for everyone, with no ticket code in it
    assert ticket.code not in script
    assert client.get("/tickets/sw.js").content == response.content
    assert client.post("/tickets/sw.js").status_code == 405


@pytest.mark.django_db
def test_no_server_cache_keeps_a_ticket_code(event, buyer, client):
    # given: a ticket page, its QR code and the service worker were served
    ticket = booked(buyer, event, seat_ids(event, 1)).tickets.get()
    for url in [f"/tickets/{ticket.code}/", f"/tickets/{ticket.code}/qr.svg", "/tickets/sw.js"]:
        response = client.get(url)
        # then: no shared cache may keep them
        assert response.status_code == 200 and "no-store" in response["Cache-Control"], url
    # and: the code is in none of Django's caches (locmem in the tests: its private dict)
    for alias in caches:
        stored = getattr(caches[alias], "_cache", {})
        assert not any(ticket.code in key for key in stored), alias
        assert not any(ticket.code.encode() in pickle.dumps(value) for value in stored.values()), alias


@pytest.mark.django_db
def test_a_cancelled_ticket_page_says_void(event, buyer, client):
    booking = booked(buyer, event, seat_ids(event, 1))
    bookings_cancel(booking_ids=[booking.pk], actor=buyer)
    response = client.get(f"/tickets/{booking.tickets.get().code}/")
    assert response.status_code == 200 and "VOID" in response.content.decode()


@pytest.mark.django_db
def test_a_forged_ticket_page_is_404(client):
    assert client.get("/tickets/forged-code/").status_code == 404
    unknown = ticket_code_sign(event_id=1, event_seat_id=2, booking_id=999999)
    assert client.get(f"/tickets/{unknown}/").status_code == 404


@pytest.mark.django_db
def test_the_public_key_endpoint(anon_client):
    response = anon_client.get("/api/v1/checkin/key/")
    assert response.status_code == 200
    assert response.json()["algorithm"] == "Ed25519"
    assert response.json()["public_key"] == ticket_public_key_b64()
