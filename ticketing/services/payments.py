"""Payments: charging a hold, linking the charge to its booking, refunds.

The gateway is never called while a database transaction is open, let alone a row lock held.
``booking_create`` (services/bookings.py) runs the steps:

1. ``payment_charge`` (no transaction around it): check the hold is the buyer's and live,
   record a ``pending`` Payment (a partial unique constraint allows one open payment per hold,
   so a double-submitted "book" cannot charge twice), call ``gateway.charge`` with the
   payment's idempotency key, record ``charged`` (or ``declined``: 402, the hold stays as it is
   until it expires, the buyer may retry with another card);
2. the booking transaction (``booking_confirm``), which ``payment_link``s the payment to the
   booking with a conditional UPDATE (it must still be ``charged`` and unused);
3. ``payment_settle`` (after the transaction, whatever happened): a charged payment that paid
   for no booking (the hold expired meanwhile, the event closed, a 503) is marked
   ``refunding`` and refunded.

Cancelling bookings marks their payments ``refunding`` in the cancelling transaction
(``payments_mark_refund_due``) and calls the gateway after commit (``payments_refund``);
``retry_refunds`` re-drives any refund an interrupted process left due.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from accounts.models import User
from config.errors import AccountDisabled, HoldExpired, Invalid, NotFound, PaymentInProgress, PaymentNotUsable
from ticketing.locking import hold_read
from ticketing.models import Booking, Hold, Payment
from ticketing.models.payments import DESK_METHODS
from ticketing.payments import PaymentDeclined, PaymentUnavailable, payment_gateway
from ticketing.services.events import event_ensure_on_sale, season_ensure_on_sale

logger = logging.getLogger("ticketing.payments")

PStatus = Payment.Status

#: A ``pending`` payment older than this is taken to belong to a crashed process: a new attempt
#: re-sends its charge with the same idempotency key (the gateway answers the first outcome).
PENDING_TAKEOVER = timedelta(seconds=60)


def _token(payment_token: str | None) -> str:
    token = payment_token or payment_gateway().default_token
    if not token:
        raise Invalid("A payment token is required.", fields={"payment_token": ["Required."]})
    return token


def _payment_open(*, buyer: User, hold: Hold, amount: Decimal, now: datetime) -> Payment | None:
    """The payment to charge (new, or a stale pending one), or a charged one to reuse (None:
    nothing to charge). Raises PaymentInProgress while another request is charging.

    One statement in the common case: the new ``pending`` payment is inserted unless the
    partial unique constraint (one open payment per hold) finds one already, ``ON CONFLICT DO
    NOTHING``; only then is the open one read."""
    payment = Payment(
        buyer=buyer,
        hold=hold,
        gateway=payment_gateway().name,
        idempotency_key=f"hold-{hold.pk}-{uuid.uuid4().hex}",
        amount=amount,
        currency=settings.TICKETING_CURRENCY,
        status=PStatus.PENDING,
        created_at=now,
        updated_at=now,
    )
    fields = [f for f in Payment._meta.concrete_fields if not f.primary_key]
    sql = (
        f"INSERT INTO {Payment._meta.db_table} ({', '.join(f.column for f in fields)})"  # noqa: S608
        f" VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [f.get_db_prep_save(getattr(payment, f.attname), connection) for f in fields])
        row = cursor.fetchone()
    if row is not None:
        payment.pk = row[0]
        payment._state.adding, payment._state.db = False, connection.alias
        return payment
    current = Payment.objects.filter(hold=hold, status__in=[PStatus.PENDING, PStatus.CHARGED]).first()
    if current is None or (current.status == PStatus.PENDING and current.updated_at > now - PENDING_TAKEOVER):
        raise PaymentInProgress()  # being charged right now (or just settled: retry)
    return current


def payment_charge(
    *,
    buyer: User,
    hold_id: int,
    payment_token: str | None = None,
    amount: Decimal | None = None,
    now: datetime | None = None,
) -> Payment | None:
    """Charge the buyer for their live hold, outside any transaction; None for a free hold.
    ``amount``: the booking's price at the buyer's ticket types (``booking_price``); None is the
    hold's own total (every seat ``full``).

    Raises NotFound (not the buyer's hold), AccountDisabled (the buyer's account is deactivated),
    HoldExpired, EventNotOnSale, PaymentInProgress,
    PaymentDeclined (402, the hold is untouched), PaymentUnavailable (503), Invalid (no token).
    A ``charged`` payment of this hold that paid for nothing yet (an earlier attempt that was
    interrupted) is reused, not charged again, if it is of this amount; of another amount (the
    buyer picked other ticket types since) it is refunded and a new charge made.
    """
    now = now or timezone.now()
    token = _token(payment_token)
    hold = hold_read(buyer=buyer, hold_id=hold_id)
    if hold is None:
        raise NotFound("No such hold.")
    if not hold.buyer_active:  # nothing is charged for a disabled account
        raise AccountDisabled()
    if not hold.is_live(now):
        raise HoldExpired()
    if hold.season_id is not None:  # a season hold: the season and all its events on sale
        season_ensure_on_sale(season_id=hold.season_id, now=now)
    else:
        event_ensure_on_sale(event=hold.event, now=now)
    amount = hold.total if amount is None else amount
    if amount <= 0:
        return None
    payment = _payment_open(buyer=buyer, hold=hold, amount=amount, now=now)
    if payment.status == PStatus.CHARGED and not payment_fits(payment=payment, amount=amount):
        payment_settle(payment=payment)  # it paid for nothing: refunded
        payment = _payment_open(buyer=buyer, hold=hold, amount=amount, now=now)
    if payment.status == PStatus.CHARGED:
        if not payment_fits(payment=payment, amount=amount):
            raise PaymentInProgress()  # another request charged meanwhile: retry
        return payment
    gateway = payment_gateway()
    try:
        charge = gateway.charge(
            amount=payment.amount,
            currency=payment.currency,
            token=token,
            idempotency_key=payment.idempotency_key,
            description=f"{hold.event.name if hold.event else 'season'}: {hold.seat_count} seat(s)",
            metadata={"hold_id": str(hold.pk), "payment_id": str(payment.pk)},
        )
    except PaymentDeclined as declined:
        _payment_set(payment, PStatus.DECLINED, failure_code=declined.extra.get("decline_code", ""))
        raise
    except PaymentUnavailable:
        _payment_set(payment, PStatus.FAILED, failure_code="unavailable")
        raise
    _payment_set(payment, PStatus.CHARGED, charge_id=charge.charge_id)
    return payment


def payment_fits(*, payment: Payment, amount: Decimal) -> bool:
    """A charge pays for a booking only if it is of the booking's amount (ticket types make the
    amount a choice of the buyer's, made again on each attempt): the reuse of a charge by
    ``payment_charge`` and the link by ``booking_confirm`` both ask."""
    return payment.amount == amount


def _payment_set(payment: Payment, status: str, **fields) -> None:
    now = timezone.now()
    Payment.objects.filter(pk=payment.pk).update(status=status, updated_at=now, **fields)
    payment.status, payment.updated_at = status, now
    for name, value in fields.items():
        setattr(payment, name, value)


def payment_settle(*, payment: Payment | None) -> None:
    """After a checkout, whatever its outcome: refund a charge that paid for no booking.
    A payment known to be linked to a committed booking is left alone without a query."""
    if payment is None or payment.booking_id is not None:
        return
    due = Payment.objects.filter(pk=payment.pk, status=PStatus.CHARGED, booking__isnull=True).update(
        status=PStatus.REFUNDING, updated_at=timezone.now()
    )
    if due:
        payments_refund(payment_ids=[payment.pk])


def payments_mark_refund_due(*, booking_ids: Iterable[int], now: datetime) -> list[int]:
    """Inside the cancelling transaction: the bookings' charged payments become ``refunding``.

    Returns their ids, for ``payments_refund`` after commit.
    """
    due = Payment.objects.filter(booking_id__in=list(booking_ids), status=PStatus.CHARGED)
    ids = list(due.values_list("id", flat=True))
    Payment.objects.filter(id__in=ids, status=PStatus.CHARGED).update(
        status=PStatus.REFUNDING, updated_at=now
    )
    return ids


def payments_refund(*, payment_ids: Iterable[int]) -> int:
    """Refund ``refunding`` payments through their gateway; call it with no transaction open.

    Each refund uses a key derived from the payment, so re-driving one that was interrupted
    never refunds twice. A gateway failure leaves the payment ``refunding`` for a later retry.
    Returns how many were refunded.

    Payments taken at the desk (``DESK_METHODS``) are left ``refunding``: their money is handed
    back at the desk, and staff record it (``payments_desk_refund_record``).
    """
    gateway = payment_gateway()
    refunded = 0
    due = Payment.objects.filter(id__in=list(payment_ids), status=PStatus.REFUNDING).exclude(
        gateway__in=DESK_METHODS
    )
    for payment in due:
        try:
            refund = gateway.refund(
                charge_id=payment.charge_id,
                amount=payment.amount if payment.refund_amount is None else payment.refund_amount,
                currency=payment.currency,
                idempotency_key=f"refund-{payment.idempotency_key}",
            )
        except PaymentUnavailable:
            logger.warning("refund of payment %s failed; it stays due", payment.pk)
            continue
        now = timezone.now()
        refunded += Payment.objects.filter(pk=payment.pk, status=PStatus.REFUNDING).update(
            status=PStatus.REFUNDED, refund_id=refund.refund_id, refunded_at=now, updated_at=now
        )
    return refunded


def payments_desk_refund_record(*, payment_ids: Iterable[int], staff: User) -> int:
    """Staff record that the desk handed back the money of these payments taken at the desk and
    due a refund (``refunding``, cash or card present); returns how many were recorded. Others
    are left as they are: a gateway's refunds are its own."""
    now = timezone.now()
    due = Payment.objects.filter(id__in=list(payment_ids), status=PStatus.REFUNDING, gateway__in=DESK_METHODS)
    ids = list(due.values_list("id", flat=True))
    recorded = Payment.objects.filter(id__in=ids, status=PStatus.REFUNDING).update(
        status=PStatus.REFUNDED,
        refund_id=Concat(Value("desk-"), Cast("id", CharField())),
        refunded_at=now,
        updated_at=now,
    )
    logger.info("desk refunds of payments %s recorded by %s", ids, staff.pk)
    return recorded


def payments_refund_due(*, older_than: timedelta = timedelta(0), batch_size: int = 200) -> int:
    """Housekeeping (``retry_refunds``): refund every payment left ``refunding``."""
    cutoff = timezone.now() - older_than
    total = 0
    while True:
        ids = list(
            Payment.objects.filter(status=PStatus.REFUNDING, updated_at__lte=cutoff)
            .exclude(gateway__in=DESK_METHODS)
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        done = payments_refund(payment_ids=ids)
        total += done
        if len(ids) < batch_size or not done:
            return total


def payment_link(*, payment: Payment, booking: Booking, now: datetime) -> None:
    """Inside the booking's transaction, after its seats and hold are locked: the payment paid
    for this booking. One conditional UPDATE (the protocol's implicit payment lock, after the
    booking's rows): it must still be ``charged`` and unused, else PaymentNotUsable and the
    booking rolls back."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Payment._meta.db_table} SET booking_id = %s, updated_at = %s"  # noqa: S608
            " WHERE id = %s AND hold_id = %s AND status = %s AND booking_id IS NULL",
            [
                booking.pk,
                connection.ops.adapt_datetimefield_value(now),
                payment.pk,
                booking.hold_id,
                PStatus.CHARGED,
            ],
        )
        linked = cursor.rowcount
    if not linked:
        raise PaymentNotUsable()

    def paid_for() -> None:  # committed: payment_settle has nothing left to refund
        payment.booking_id = booking.pk

    transaction.on_commit(paid_for)
