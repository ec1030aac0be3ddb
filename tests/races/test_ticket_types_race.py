"""Two tabs of one buyer book the same hold at once with different ticket types: two amounts.

Tab A books at full price (its charge is made, then its booking transaction is held back a
moment: the window where its charge is paid for nothing yet); tab B, meanwhile, books with a
reduced seat, another amount. Whatever the interleaving: one booking, the charge linked to it is
of its total, every other charge is refunded (``check_inventory``'s ``payment_amount``).
Control: a charge reused whatever its amount (``payment_fits`` always true, in the charge and in
the booking) lets B's booking be paid by A's charge of another amount, and the check sees it.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.conftest import client_for
from tests.factories import UserFactory, on_sale_event
from tests.races.harness import race, requires_postgres
from tests.ticketing.helpers import seat_ids
from ticketing.models import Booking, Payment
from ticketing.selectors.invariants import inventory_check
from ticketing.services import bookings as bookings_module
from ticketing.services import payments as payments_module
from ticketing.services.holds import hold_create

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True), requires_postgres]

TYPES = [{"code": "reduced", "name": "Reduced", "prices": {"vip": "50.00", "standard": "20.00"}}]


def _two_tabs(monkeypatch):
    event = on_sale_event(ticket_types=TYPES)
    buyer = UserFactory()
    ids = seat_ids(event, 2)  # two vip seats: 160.00 at full price, 130.00 with one reduced
    hold = hold_create(buyer=buyer, event=event, seat_ids=ids)
    confirm = bookings_module.booking_confirm

    def held_back(**kwargs):
        if kwargs.get("price") is None:  # tab A: charged, its booking transaction a moment later
            time.sleep(0.6)
        return confirm(**kwargs)

    monkeypatch.setattr(bookings_module, "booking_confirm", held_back)
    tab_a, tab_b = client_for(buyer), client_for(buyer)

    def book_full():
        return tab_a.post("/api/v1/bookings/", {"hold_id": hold.id}, format="json", HTTP_IDEMPOTENCY_KEY="a")

    def book_reduced():
        time.sleep(0.25)  # after A's charge, inside A's window
        body = {"hold_id": hold.id, "ticket_types": {str(ids[0]): "reduced"}}
        return tab_b.post("/api/v1/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY="b")

    result = race([book_full, book_reduced])
    errors = [r for r in result.results if isinstance(r, BaseException)]
    assert not errors, errors
    return event, hold, result.results


def test_two_tabs_booking_one_hold_at_two_amounts(monkeypatch):
    event, hold, (a, b) = _two_tabs(monkeypatch)
    print(f"\n[race] full vs reduced, one hold: A {a.status_code} {a.json().get('code')}, B {b.status_code}")
    # then: B's booking (A's charge was refunded under it), A refused with a 409
    assert b.status_code == 201, b.json()
    assert a.status_code == 409 and a.json()["code"] in {"hold_expired", "payment_refunded"}, a.json()
    booking = Booking.objects.get()
    assert booking.total == Decimal("130.00") == Decimal(b.json()["total"])
    payments = {p.amount: p for p in Payment.objects.filter(hold=hold)}
    assert payments[Decimal("130.00")].booking_id == booking.pk
    assert payments[Decimal("160.00")].status == "refunded" and payments[Decimal("160.00")].booking_id is None
    report = inventory_check(event_id=event.pk, now=timezone.now())
    assert report.ok, "\n".join(map(str, report.violations))


def test_control_a_charge_reused_whatever_its_amount_is_seen(monkeypatch):
    # the naive reuse: any charged payment of the hold pays for the booking
    monkeypatch.setattr(payments_module, "payment_fits", lambda **_: True)
    monkeypatch.setattr(bookings_module, "payment_fits", lambda **_: True)
    event, hold, (a, b) = _two_tabs(monkeypatch)
    print(f"\n[race] control: A {a.status_code}, B {b.status_code}")
    assert b.status_code == 201, b.json()
    payment = Payment.objects.get(hold=hold)  # one charge, of A's amount, for B's booking
    assert (payment.amount, Booking.objects.get().total) == (Decimal("160.00"), Decimal("130.00"))
    report = inventory_check(event_id=event.pk, now=timezone.now())
    assert {violation.rule for violation in report.violations} == {"payment_amount"}
