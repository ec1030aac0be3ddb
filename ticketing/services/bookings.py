"""Booking services: book a hold (paying for it), cancel bookings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.errors import (
    AccountDisabled,
    AlreadyCancelled,
    CancellationClosed,
    HoldExpired,
    Invalid,
    NotFound,
    PaymentNotUsable,
)
from ticketing.locking import lock_bookings, lock_for_booking
from ticketing.models import Booking, EventSeat, Payment, Ticket
from ticketing.services.checkin import (
    CHECKED_IN_VOID_ACTION,
    CHECKED_IN_VOID_REASON,
    bookings_ensure_cancellable,
)
from ticketing.services.events import event_ensure_on_sale
from ticketing.services.inventory import audit_rows, audit_write, prefetched_set, seats_book_write
from ticketing.services.notifications import booking_cancelled_notify, booking_confirmed_notify
from ticketing.services.payments import (
    payment_charge,
    payment_fits,
    payment_link,
    payment_settle,
    payments_mark_refund_due,
    payments_refund,
)
from ticketing.services.seasons import season_booking_write, season_bookings_cancel_locked
from ticketing.services.ticket_types import FULL, BookingPrice, booking_price
from ticketing.services.tickets import ticket_code_sign
from ticketing.services.waiting_room import waiting_room_seats_changed
from ticketing.services.waitlist import waitlist_offer_booked, waitlist_seats_freed

Status = EventSeat.Status
EVENT_CANCELLED_REASON = "event cancelled"


def ticket_code_new(*, booking: Booking, event_seat: EventSeat) -> str:
    """The ticket's code: signed, so a gate can verify it offline (services/tickets.py)."""
    return ticket_code_sign(event_id=booking.event_id, event_seat_id=event_seat.pk, booking_id=booking.pk)


def booking_confirm(
    *,
    buyer: User,
    hold_id: int,
    payment: Payment | None = None,
    price: BookingPrice | None = None,
    now: datetime | None = None,
) -> Booking:
    """The booking transaction: the buyer's live hold becomes a confirmed booking, one ticket a
    seat, paid by ``payment`` (``booking_create`` charges it before; None for a free hold or a
    caller that took payment elsewhere).

    Locks (``lock_for_booking``), in this order: the event seats still held by the hold (pk
    order, waiting, bounded), then the hold. Checks under the locks: the hold exists and
    belongs to ``buyer`` (else NotFound: another buyer's hold does not exist for this one); the
    account is active (else AccountDisabled, 401: the request may have been authenticated from
    its token alone, config/authentication.py); it
    is active and unexpired at ``now`` and still holds every one of its seats (else
    HoldExpired: expired, released or already booked; a seat taken over after expiry is no
    longer held by it); the event is on sale and has not started (EventNotOnSale).
    Then the payment is linked (``payment_link``: the protocol's implicit payment lock, after
    the booking's rows; PaymentNotUsable rolls the booking back, as does a payment whose amount
    is not the booking's total).
    ``price``: the seats priced at the buyer's ticket types (``booking_price``, before the
    charge); without it every ticket is ``full`` at the price the hold captured. The total is
    the sum of the tickets' prices.
    Writes: one INSERT of the Booking, one of the Tickets (unguessable codes, the prices the
    hold captured), one UPDATE of the seats, one of the hold, one INSERT of audit rows, the
    payment link, and the confirmation email queued (sent after commit); a waiting-list offer's
    entry becomes ``fulfilled`` (``waitlist_offer_booked``, after the tickets in LOCK_ORDER).
    Lock waits past the timeout raise OperationalError, rendered by the API as 503 busy.
    Returns the booking with its event and tickets (their seat and section) already loaded.
    """
    now = now or timezone.now()
    with transaction.atomic():
        seats, hold = lock_for_booking(buyer=buyer, hold_id=hold_id)
        if hold is None:
            raise NotFound("No such hold.")
        if not hold.buyer_active:
            raise AccountDisabled()
        if not hold.is_live(now) or len(seats) != hold.seat_count:
            raise HoldExpired()
        if hold.season_id is not None:  # one booking, a ticket per event and hall seat
            return season_booking_write(buyer=buyer, hold=hold, seats=seats, payment=payment, now=now)
        event_ensure_on_sale(event=hold.event, now=now)
        if price is None:
            lines = {seat.id: (FULL, Decimal(hold.prices.get(seat.seat.category, "0"))) for seat in seats}
        elif set(price.lines) == {seat.id for seat in seats}:
            lines = price.lines
        else:  # the hold lost a seat since it was priced
            raise HoldExpired()
        total = sum((amount for _, amount in lines.values()), Decimal(0))
        if payment is not None and not payment_fits(payment=payment, amount=total):
            raise PaymentNotUsable()
        booking = Booking.objects.create(
            buyer=buyer, event=hold.event, hold=hold, total=total, created_at=now
        )
        tickets = Ticket.objects.bulk_create(
            Ticket(
                booking=booking,
                event_seat=seat,
                code=ticket_code_new(booking=booking, event_seat=seat),
                ticket_type=lines[seat.id][0],
                price=lines[seat.id][1],
            )
            for seat in seats
        )
        seats_book_write(seats=seats, hold=hold, booking=booking, actor=buyer, now=now)
        waitlist_offer_booked(hold=hold, now=now)  # a waiting-list offer: its entry is fulfilled
        if payment is not None:
            payment_link(payment=payment, booking=booking, now=now)
        booking_confirmed_notify(booking_ids=[booking.pk])
        waiting_room_seats_changed(event=hold.event)  # the sold-out hint, after commit
    # The state just committed, attached: a caller renders the booking, its tickets and their
    # seats (section, row, number) without reading them back.
    for seat in seats:
        seat.status, seat.hold, seat.booking, seat.event = Status.BOOKED, None, booking, hold.event
    prefetched_set(booking, "tickets", tickets)
    return booking


def booking_create[T](
    *,
    buyer: User,
    hold_id: int,
    payment_token: str | None = None,
    ticket_types: Mapping[int, str] | None = None,
    now: datetime | None = None,
    transaction_runner: Callable[[Callable[[], Booking]], T] | None = None,
) -> Booking | T:
    """Book the buyer's live hold, paying for it: the one use case of a purchase.

    0. with ``ticket_types`` (event seat id -> type code, the others ``full``): ``booking_price``
       prices the seats (its refusals raise: invalid, ticket_type_limit_exceeded), and that
       price is what is charged and booked;
    1. ``payment_charge``, with no transaction open (the gateway is never called under a lock);
       its refusals (declined, hold expired, event not on sale, payment in progress) raise;
    2. ``booking_confirm`` (the booking transaction), which links the payment;
    3. ``payment_settle``, whatever happened: a charge that paid for no booking is refunded.
    ``transaction_runner``: how step 2 runs, for the API, which stores the answer under the
    request's Idempotency-Key in the same transaction (``idempotent``); it is given the step
    and returns what the caller returns.
    """
    price = (
        booking_price(buyer=buyer, hold_id=hold_id, ticket_types=ticket_types, now=now)
        if ticket_types
        else None
    )
    amount = price.total if price is not None else None
    payment = payment_charge(
        buyer=buyer, hold_id=hold_id, payment_token=payment_token, amount=amount, now=now
    )
    try:

        def confirm() -> Booking:
            return booking_confirm(buyer=buyer, hold_id=hold_id, payment=payment, price=price, now=now)

        return confirm() if transaction_runner is None else transaction_runner(confirm)
    finally:
        payment_settle(payment=payment)


def bookings_cancel(
    *,
    booking_ids: Iterable[int],
    actor: User,
    void_checked_in: bool = False,
    event_cancelled: bool = False,
    now: datetime | None = None,
) -> list[Booking]:
    """Cancel bookings: void their tickets, free their seats at once, refund the payments after
    commit and email the buyers. The one way a booking is cancelled, for one booking (the API,
    the admin) or a batch (the event cancel).

    Locks (``lock_bookings``), in this order: the bookings' booked event seats (pk order,
    waiting, bounded), the bookings, then their tickets (the rows a gate scan locks).
    Checks under the locks: every booking is still confirmed (else AlreadyCancelled) and its
    event has not started at ``now`` (else CancellationClosed), and no ticket was checked in at
    the gate unless staff void it on purpose with ``void_checked_in`` (else TicketCheckedIn):
    ``bookings_ensure_cancellable``. Any refusal cancels nothing. Permission (owner or staff) is
    the caller's job.
    ``event_cancelled`` (the event cancel's batches, ``actor`` is staff): bookings cancelled
    meanwhile are left out, a started event may be cancelled (staff abandon a match), and
    checked-in tickets are voided and refunded too, since the event did not happen.
    A checked-in ticket's seat is not returned to sale: it is blocked (see the check-in rule).
    Writes: one UPDATE of the bookings, one of their tickets, one of the seats freed, one of the
    seats blocked, one INSERT of audit rows (``cancel``; ``void_checked_in``), the freed seats
    offered to the waiting list (``waitlist_seats_freed``, under these locks), the payments
    marked ``refunding`` (refunded through the gateway after the outermost commit), the emails.
    Returns the cancelled bookings, with their event.
    """
    now = now or timezone.now()
    wanted = sorted(set(booking_ids))
    with transaction.atomic():
        locked = lock_bookings(booking_ids=wanted, confirmed_only=event_cancelled)
        bookings = locked.bookings
        if bookings and all(booking.season_id for booking in bookings):  # seasons: a part stays
            return season_bookings_cancel_locked(
                locked=locked, actor=actor, void_checked_in=void_checked_in, now=now
            )
        if any(booking.season_id for booking in bookings):
            raise Invalid("Cancel season bookings apart from event bookings.")
        if not event_cancelled:
            if any(booking.status == Booking.Status.CANCELLED for booking in bookings):
                raise AlreadyCancelled()
            if any(booking.event.starts_at <= now for booking in bookings):
                raise CancellationClosed()
        if not bookings:
            return []
        checked_in = bookings_ensure_cancellable(
            tickets=locked.tickets, actor=actor, void_checked_in=void_checked_in or event_cancelled
        )
        by_id = {booking.id: booking for booking in bookings}
        ids = list(by_id)
        seats = [seat for seat in locked.seats if seat.booking_id in by_id]
        freed = [seat for seat in seats if seat.id not in checked_in]
        occupied = [seat for seat in seats if seat.id in checked_in]
        Booking.objects.filter(id__in=ids).update(status=Booking.Status.CANCELLED, cancelled_at=now)
        Ticket.objects.filter(booking_id__in=ids, status=Ticket.Status.ACTIVE).update(
            status=Ticket.Status.VOID
        )
        EventSeat.objects.filter(id__in=[seat.id for seat in freed]).update(
            status=Status.AVAILABLE, booking=None
        )
        if occupied:
            EventSeat.objects.filter(id__in=[seat.id for seat in occupied]).update(
                status=Status.BLOCKED, booking=None, block_reason=CHECKED_IN_VOID_REASON
            )
        reason = EVENT_CANCELLED_REASON if event_cancelled else ""
        audit_write(
            [
                row
                for seat in seats
                for row in audit_rows(
                    seats=[seat],
                    to_status=Status.BLOCKED if seat.id in checked_in else Status.AVAILABLE,
                    action=CHECKED_IN_VOID_ACTION if seat.id in checked_in else "cancel",
                    now=now,
                    actor=actor,
                    booking=by_id[seat.booking_id],
                    reason=reason,
                )
            ]
        )
        # the freed seats still locked: offered to the event's waiting list (services/waitlist.py)
        waitlist_seats_freed(seats=freed, now=now)
        due = payments_mark_refund_due(booking_ids=ids, now=now)
        if due:
            transaction.on_commit(lambda: payments_refund(payment_ids=due))
        booking_cancelled_notify(booking_ids=ids)
        for event in {booking.event_id: booking.event for booking in bookings}.values():
            waiting_room_seats_changed(event=event)  # the sold-out hint, after commit
    for booking in bookings:
        booking.status, booking.cancelled_at = Booking.Status.CANCELLED, now
    return bookings
