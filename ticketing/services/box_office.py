"""Box office: staff sell seats to a walk-in buyer at the desk, paid in cash or by card present.

Through the same services, and so the same locks, as a buyer's purchase: ``hold_create`` then
``booking_confirm``, in one transaction, so a sale is whole or nothing (seats taken meanwhile:
no account, hold, payment or booking is left). The money is taken at the desk: the Payment row
records the method as its ``gateway`` (``cash`` or ``card_present``), ``charged``, with the
clerk in ``taken_by``; no gateway is called, and a refund of it is the desk's (``DESK_METHODS``
in services/payments.py: marked refunded without calling the gateway). Ticket types (reduced,
child...) are priced as a buyer's are, by ``booking_price``, and the desk takes that total.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import user_walk_in
from config.errors import Invalid, NotPermitted
from ticketing.models import Booking, Event, Hold, Payment
from ticketing.services.bookings import booking_confirm
from ticketing.services.holds import hold_create
from ticketing.services.payments import DESK_METHODS
from ticketing.services.ticket_types import booking_price


def payment_take_at_desk(
    *, hold: Hold, method: str, staff: User, now: datetime, amount: Decimal | None = None
) -> Payment | None:
    """Inside the sale's transaction: the money for ``hold`` taken at the desk, ``amount`` (the
    total at the ticket types, ``booking_price``) or else the hold's total; None when it is
    nothing. One INSERT of a ``charged`` payment; ``booking_confirm`` links it."""
    amount = hold.total if amount is None else amount
    if amount <= 0:
        return None
    reference = uuid.uuid4().hex
    return Payment.objects.create(
        buyer_id=hold.buyer_id,
        hold=hold,
        gateway=method,
        idempotency_key=f"desk-{hold.pk}-{reference}",
        charge_id=f"{method}-{reference[:16]}",
        amount=amount,
        currency=settings.TICKETING_CURRENCY,
        status=Payment.Status.CHARGED,
        created_at=now,
        updated_at=now,
        taken_by=staff,
    )


def box_office_sell(
    *,
    staff: User,
    event: Event,
    seat_ids: Sequence[int],
    method: str,
    email: str = "",
    ticket_types: Mapping[int, str] | None = None,
    now: datetime | None = None,
) -> Booking:
    """Sell ``seat_ids`` of ``event`` at the desk; return the booking with its tickets.

    One durable transaction: the walk-in's account (``user_walk_in``: the account of ``email``,
    else a new one), ``hold_create`` (its locks: the buyer row, then the seats SKIP LOCKED, and
    every check of a buyer's hold: on sale, ids of the event, available, the per-buyer limit),
    with ``ticket_types`` (event seat id -> type code, the others ``full``) ``booking_price`` (no
    lock: it reads the hold just made, so it runs after it, inside the transaction), the desk
    payment of that total (``payment_take_at_desk``), then ``booking_confirm`` with the price
    (its locks: the held seats, the hold, the payment link; it refuses a payment that is not the
    booking's total). The locks of the two steps are in LOCK_ORDER one after the other (user →
    seats → hold → payment). Any refusal (Invalid, SeatsUnavailable, EventNotOnSale,
    SeatLimitExceeded, TicketTypeLimitExceeded) rolls the whole sale back. Emails the tickets
    when there is an email (the booking's confirmation, after commit).
    """
    if not staff.is_staff:
        raise NotPermitted()
    if method not in DESK_METHODS:
        raise Invalid("Unknown payment method.", fields={"method": [f"One of {', '.join(DESK_METHODS)}."]})
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        buyer = user_walk_in(email=email)
        hold = hold_create(buyer=buyer, event=event, seat_ids=seat_ids, now=now)
        price = (
            booking_price(buyer=buyer, hold_id=hold.pk, ticket_types=ticket_types, now=now)
            if ticket_types
            else None
        )
        amount = price.total if price is not None else None
        payment = payment_take_at_desk(hold=hold, method=method, staff=staff, now=now, amount=amount)
        return booking_confirm(buyer=buyer, hold_id=hold.pk, payment=payment, price=price, now=now)
