"""Payments: the gateway in the booking path, declines, refunds, idempotency, no locks held."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.errors import HoldExpired
from tests.conftest import client_for
from tests.factories import UserFactory, on_sale_event
from tests.ticketing.helpers import held, seat_ids
from ticketing.models import Booking, EventSeat, Hold, Payment
from ticketing.payments import FakeGateway, PaymentDeclined
from ticketing.services import bookings as checkout
from ticketing.services import idempotency
from ticketing.services.bookings import booking_create
from ticketing.services.payments import PaymentInProgress, payment_charge, payments_refund_due

pytestmark = pytest.mark.django_db


def book(client, hold_id: int, key: str | None = None, **body):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/bookings/", {"hold_id": hold_id, **body}, format="json", **headers)


def test_booking_charges_the_default_fake_token(event, buyer, buyer_client, fake_gateway):
    hold = held(buyer, event, seat_ids(event, 2))
    response = book(buyer_client, hold.id)
    assert response.status_code == 201, response.json()
    payment = Payment.objects.get(hold=hold)
    assert payment.status == "charged" and payment.booking_id == response.json()["id"]
    assert payment.amount == hold.total == Decimal("160.00") and payment.currency == "EUR"
    assert payment.charge_id.startswith("fake_ch_")
    assert fake_gateway.calls == [("charge", payment.idempotency_key, Decimal("160.00"))]


@pytest.mark.django_db(transaction=True)  # real commits: on_commit runs when the booking commits
@pytest.mark.parametrize("key", [None, "k-1"])  # with a key the booking is a savepoint in its transaction
def test_a_booking_that_committed_is_not_settled_again(event, buyer, buyer_client, key):
    hold = held(buyer, event, seat_ids(event, 2))
    with CaptureQueriesContext(connection) as queries:
        response = book(buyer_client, hold.id, key)
    assert response.status_code == 201, response.json()
    # the payment is known to be linked once the booking committed: no refund check after it
    assert not [q["sql"] for q in queries.captured_queries if "refunding" in q["sql"]]
    assert Payment.objects.get(hold=hold).booking_id == response.json()["id"]


@pytest.mark.django_db(transaction=True)
def test_a_booking_rolled_back_after_it_was_linked_is_refunded(event, buyer, fake_gateway, monkeypatch):
    # given: the request's transaction fails after the booking and its payment link were written
    hold = held(buyer, event, seat_ids(event, 1))
    client = client_for(buyer)
    client.raise_request_exception = False

    def answer_lost(body):
        raise RuntimeError("the stored answer could not be written")

    monkeypatch.setattr(idempotency, "answer_json", answer_lost)
    # when
    response = book(client, hold.id, "k-2")
    # then: nothing was booked, and the charge was refunded (the link never committed)
    assert response.status_code == 500
    assert not Booking.objects.exists() and Hold.objects.get(pk=hold.pk).status == Hold.Status.ACTIVE
    payment = Payment.objects.get(hold=hold)
    assert payment.status == "refunded" and payment.booking_id is None
    assert [kind for kind, _, _ in fake_gateway.calls] == ["charge", "refund"]


def test_the_fake_gateway_keeps_only_its_last_calls():
    gateway = FakeGateway()
    for i in range(FakeGateway.CALLS_KEPT + 5):
        gateway.charge(
            amount=Decimal(1),
            currency="EUR",
            token="tok_ok",
            idempotency_key=f"k{i}",
            description="",
            metadata={},
        )
    assert len(gateway.calls) == FakeGateway.CALLS_KEPT
    assert gateway.calls[0][1] == "k5" and gateway.calls[-1][1] == f"k{FakeGateway.CALLS_KEPT + 4}"


@pytest.mark.parametrize(
    ("token", "decline_code"), [("tok_declined", "card_declined"), ("nope", "invalid_token")]
)
def test_a_declined_payment_is_402_and_the_hold_stays(event, buyer, buyer_client, token, decline_code):
    hold = held(buyer, event, seat_ids(event, 2))
    response = book(buyer_client, hold.id, payment_token=token)
    assert response.status_code == 402
    assert response.json()["code"] == "payment_declined" and response.json()["decline_code"] == decline_code
    hold.refresh_from_db()
    assert hold.status == Hold.Status.ACTIVE
    assert set(EventSeat.objects.filter(hold=hold).values_list("status", flat=True)) == {"held"}
    assert not Booking.objects.exists()
    # the buyer retries with another card
    retry = book(buyer_client, hold.id, payment_token="tok_ok_visa")
    assert retry.status_code == 201
    assert list(Payment.objects.filter(hold=hold).order_by("id").values_list("status", flat=True)) == [
        "declined",
        "charged",
    ]


def test_gateway_down_is_503_payment_unavailable(event, buyer, buyer_client):
    hold = held(buyer, event, seat_ids(event, 1))
    response = book(buyer_client, hold.id, payment_token="tok_unavailable")
    assert response.status_code == 503
    assert response.json()["code"] == "payment_unavailable" and response["Retry-After"]
    assert Hold.objects.get(pk=hold.pk).status == Hold.Status.ACTIVE


def test_an_expired_hold_is_not_charged(event, buyer, buyer_client, fake_gateway):
    hold = held(buyer, event, seat_ids(event, 1), now=timezone.now() - timedelta(hours=1))
    response = book(buyer_client, hold.id)
    assert response.status_code == 409 and response.json()["code"] == "hold_expired"
    assert fake_gateway.calls == [] and not Payment.objects.exists()


def test_another_buyers_hold_is_404_and_not_charged(event, buyer, other_client, fake_gateway):
    hold = held(buyer, event, seat_ids(event, 1))
    assert book(other_client, hold.id).status_code == 404
    assert fake_gateway.calls == []


def test_if_booking_fails_after_the_charge_the_charge_is_refunded(event, buyer, fake_gateway, monkeypatch):
    hold = held(buyer, event, seat_ids(event, 1))

    def hold_expired_meanwhile(**kwargs):
        raise HoldExpired()

    monkeypatch.setattr(checkout, "booking_confirm", hold_expired_meanwhile)
    with pytest.raises(HoldExpired):
        booking_create(buyer=buyer, hold_id=hold.id)
    payment = Payment.objects.get(hold=hold)
    assert payment.status == "refunded" and payment.refund_id.startswith("fake_re_")
    assert [kind for kind, _, _ in fake_gateway.calls] == ["charge", "refund"]


def test_cancelling_refunds_after_commit(
    event, buyer, buyer_client, fake_gateway, django_capture_on_commit_callbacks
):
    hold = held(buyer, event, seat_ids(event, 2))
    booking_id = book(buyer_client, hold.id).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = buyer_client.post(f"/api/v1/bookings/{booking_id}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    payment = Payment.objects.get(booking_id=booking_id)
    assert payment.status == "refunded" and payment.refunded_at
    assert [kind for kind, _, _ in fake_gateway.calls] == ["charge", "refund"]


def test_a_refund_left_due_is_sent_by_the_sweeper(event, buyer, fake_gateway):
    booking = booking_create(buyer=buyer, hold_id=held(buyer, event, seat_ids(event, 1)).id)
    Payment.objects.filter(booking=booking).update(status="refunding")  # a crash after commit
    assert payments_refund_due() == 1
    assert payments_refund_due() == 0
    assert Payment.objects.get(booking=booking).status == "refunded"


def test_idempotency_key_replays_without_charging_twice(event, buyer, buyer_client, fake_gateway):
    hold = held(buyer, event, seat_ids(event, 1))
    first = book(buyer_client, hold.id, key="pay-1")
    again = book(buyer_client, hold.id, key="pay-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert len(fake_gateway.calls) == 1


def test_a_decline_is_replayed_under_its_idempotency_key(event, buyer, buyer_client, fake_gateway):
    hold = held(buyer, event, seat_ids(event, 1))
    body = {"payment_token": "tok_declined"}
    first = book(buyer_client, hold.id, key="pay-2", **body)
    again = book(buyer_client, hold.id, key="pay-2", **body)
    assert first.status_code == again.status_code == 402
    assert len(fake_gateway.calls) == 1
    other_body = book(buyer_client, hold.id, key="pay-2", payment_token="tok_ok")
    assert other_body.status_code == 422


def test_a_payment_in_flight_blocks_a_second_charge(event, buyer, fake_gateway):
    hold = held(buyer, event, seat_ids(event, 1))
    now = timezone.now()
    Payment.objects.create(
        buyer=buyer, hold=hold, gateway="fake", idempotency_key="in-flight", amount=hold.total,
        currency="EUR", created_at=now, updated_at=now,
    )  # fmt: skip
    with pytest.raises(PaymentInProgress):
        payment_charge(buyer=buyer, hold_id=hold.id)
    # ...until it is old enough to be a crashed process's: then it is sent again with its key
    payment = payment_charge(buyer=buyer, hold_id=hold.id, now=now + timedelta(minutes=2))
    assert payment.idempotency_key == "in-flight" and payment.status == "charged"
    assert fake_gateway.calls == [("charge", "in-flight", hold.total)]


def test_a_charge_that_paid_for_nothing_yet_is_reused_not_repeated(event, buyer, fake_gateway):
    hold = held(buyer, event, seat_ids(event, 1))
    first = payment_charge(buyer=buyer, hold_id=hold.id)  # then the process died
    booking = booking_create(buyer=buyer, hold_id=hold.id)
    assert Payment.objects.get(pk=first.pk).booking_id == booking.id
    assert len(fake_gateway.calls) == 1


def test_a_free_hold_needs_no_payment(buyer, fake_gateway):
    event = on_sale_event(prices={"vip": "0", "standard": "0"})
    booking = booking_create(buyer=buyer, hold_id=held(buyer, event, seat_ids(event, 1)).id)
    assert booking.total == 0 and not Payment.objects.exists() and fake_gateway.calls == []


def test_a_real_gateway_without_a_token_is_400(event, buyer, buyer_client, settings):
    settings.TICKETING_PAYMENT_GATEWAY = "tests.ticketing.services.test_payments.TokenlessGateway"
    response = book(buyer_client, held(buyer, event, seat_ids(event, 1)).id)
    assert response.status_code == 400 and "payment_token" in response.json()["fields"]


class TokenlessGateway(FakeGateway):
    default_token = None


@dataclass
class SpyGateway(FakeGateway):
    """Records whether a transaction was open each time the gateway was called."""

    in_transaction: list[bool] = field(default_factory=list)

    def charge(self, **kwargs):
        self.in_transaction.append(connection.in_atomic_block)
        return super().charge(**kwargs)

    def refund(self, **kwargs):
        self.in_transaction.append(connection.in_atomic_block)
        return super().refund(**kwargs)


@pytest.mark.django_db(transaction=True)
def test_the_gateway_is_never_called_inside_a_transaction(settings, monkeypatch):
    # given: real commits (no test transaction around the requests)
    settings.TICKETING_PAYMENT_GATEWAY = "tests.ticketing.services.test_payments.SpyGateway"
    from ticketing.payments import payment_gateway

    spy = payment_gateway()
    event = on_sale_event()
    buyer = UserFactory()
    client = client_for(buyer)
    ids = seat_ids(event)
    # when: a booking, a cancellation (refund after commit), a failed booking (refund)
    booking = book(client, held(buyer, event, ids[:1]).id).json()
    client.post(f"/api/v1/bookings/{booking['id']}/cancel/")
    failing = held(buyer, event, ids[1:2])
    monkeypatch.setattr(checkout, "booking_confirm", lambda **kwargs: (_ for _ in ()).throw(HoldExpired()))
    assert book(client, failing.id).status_code == 409
    # then: charge, refund, charge, refund, all with no transaction open
    assert spy.in_transaction == [False, False, False, False]
    assert list(Payment.objects.order_by("id").values_list("status", flat=True)) == ["refunded", "refunded"]
    with pytest.raises(PaymentDeclined):
        spy.charge(
            amount=1, currency="EUR", token="tok_declined", idempotency_key="x", description="", metadata={}
        )
