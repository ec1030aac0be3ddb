"""Box office: staff sell seats to a walk-in buyer at the desk, paid in cash or by card present.

Through the same services, and so the same locks, as a buyer's purchase: ``hold_create`` then
``booking_confirm``, in one transaction, so a sale is whole or nothing (seats taken meanwhile:
no account, hold, payment or booking is left). The money is taken at the desk: the Payment row
records the method as its ``gateway`` (``cash`` or ``card_present``), ``charged``, with the
clerk in ``taken_by``; no gateway is called, and a refund of it is the desk's (``DESK_METHODS``
in services/payments.py: marked refunded without calling the gateway).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

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


def payment_take_at_desk(*, hold: Hold, method: str, staff: User, now: datetime) -> Payment | None:
    """Inside the sale's transaction: the money for ``hold`` taken at the desk (None for a free
    hold). One INSERT of a ``charged`` payment; ``booking_confirm`` links it."""
    if hold.total <= 0:
        return None
    reference = uuid.uuid4().hex
    return Payment.objects.create(
        buyer_id=hold.buyer_id,
        hold=hold,
        gateway=method,
        idempotency_key=f"desk-{hold.pk}-{reference}",
        charge_id=f"{method}-{reference[:16]}",
        amount=hold.total,
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
    now: datetime | None = None,
) -> Booking:
    """Sell ``seat_ids`` of ``event`` at the desk; return the booking with its tickets.

    One durable transaction: the walk-in's account (``user_walk_in``: the account of ``email``,
    else a new one), ``hold_create`` (its locks: the buyer row, then the seats SKIP LOCKED, and
    every check of a buyer's hold: on sale, ids of the event, available, the per-buyer limit),
    the desk payment (``payment_take_at_desk``), then ``booking_confirm`` (its locks: the held
    seats, the hold, the payment link). The locks of the two steps are in LOCK_ORDER one after
    the other (user → seats → hold → payment). Any refusal (Invalid, SeatsUnavailable,
    EventNotOnSale, SeatLimitExceeded) rolls the whole sale back. Emails the tickets when
    there is an email (the booking's confirmation, after commit).
    """
    if not staff.is_staff:
        raise NotPermitted()
    if method not in DESK_METHODS:
        raise Invalid("Unknown payment method.", fields={"method": [f"One of {', '.join(DESK_METHODS)}."]})
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        buyer = user_walk_in(email=email)
        hold = hold_create(buyer=buyer, event=event, seat_ids=seat_ids, now=now)
        payment = payment_take_at_desk(hold=hold, method=method, staff=staff, now=now)
        return booking_confirm(buyer=buyer, hold_id=hold.pk, payment=payment, now=now)
