"""Gate check-in: scan a ticket code, let the holder in once; and the check-in rule that every
cancel of a booking consults (``bookings_ensure_cancellable``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.errors import (
    AlreadyCheckedIn,
    Invalid,
    TicketCheckedIn,
    TicketRevoked,
    TicketTransferred,
    WrongEvent,
)
from ticketing.locking import lock_ticket
from ticketing.models import Ticket
from ticketing.services.tickets import ticket_code_verify

logger = logging.getLogger("ticketing.checkin")


def ticket_check_in(
    *, code: str, actor: User, event_id: int | None = None, now: datetime | None = None
) -> Ticket:
    """Admit the holder of ``code`` once.

    Before any lock: the code's signature (Invalid for a forged or damaged code, without a
    database read), and that it is for ``event_id`` when the gate says which event it serves.
    Locks the ticket row (FOR UPDATE, waits, bounded): two gates scanning the same ticket at the
    same instant are serialised, so exactly one of them admits it. The ticket is the last table
    of the lock order (after booking) and check-in holds no other lock. Every cancel locks the
    same ticket rows (``bookings_ensure_cancellable``) before it decides, so a scan and a cancel
    of one booking serialise on the ticket: the scan after a cancel finds it void, the cancel
    after a scan finds it checked in.
    Checks under the lock: the ticket exists (else Invalid), is active (else TicketTransferred:
    its owner gave it to another account, services/transfers.py; or TicketRevoked: its booking
    or event was cancelled), and was not scanned before (else AlreadyCheckedIn with the
    first scan's time). Writes ``checked_in_at``. Returns the ticket with its seat and event.
    """
    now = now or timezone.now()
    claims = ticket_code_verify(code)
    if event_id is not None and claims.event_id != event_id:
        raise WrongEvent(ticket_event=claims.event_id)
    with transaction.atomic():
        ticket = lock_ticket(code=code, booking_id=claims.booking_id)
        if ticket is None:
            raise Invalid("No such ticket.", fields={"code": ["Unknown ticket."]})
        if ticket.status == Ticket.Status.TRANSFERRED:
            raise TicketTransferred()  # its owner gave it away: the new owner has a new code
        if ticket.status != Ticket.Status.ACTIVE:
            raise TicketRevoked()
        if ticket.checked_in_at is not None:
            raise AlreadyCheckedIn(ticket.checked_in_at)
        Ticket.objects.filter(pk=ticket.pk).update(checked_in_at=now)
        ticket.checked_in_at = now
    logger.info("ticket %s checked in", ticket.pk, extra={"ticket_id": ticket.pk, "actor_id": actor.pk})
    return ticket


#: What a voided checked-in ticket's seat is blocked with (see ``bookings_ensure_cancellable``).
CHECKED_IN_VOID_REASON = "checked-in ticket voided"
#: The audit action of that seat's change, booked → blocked, which check_inventory looks for.
CHECKED_IN_VOID_ACTION = "void_checked_in"


def bookings_ensure_cancellable(
    *, tickets: Iterable[Ticket], actor: User, void_checked_in: bool = False
) -> frozenset[int]:
    """The check-in rule, the one every cancel of a booking consults: a booking a ticket of
    which was checked in at the gate is cancelled only by staff, on purpose.

    ``tickets``: every ticket of the bookings, locked by the cancel (``lock_bookings``: after
    the bookings' seats and the bookings, the rows ``ticket_check_in`` locks), so a scan racing
    the cancel either committed before (and is seen here) or waits and then finds its ticket void.
    Checks under the lock: if any ticket was checked in, the caller must be staff *and* say
    ``void_checked_in`` (the API's flag, the admin's own action, an event cancel), else
    TicketCheckedIn (409) and the caller's transaction rolls back.

    Returns the event-seat ids of the checked-in tickets. The caller does not return those seats
    to sale: it blocks them (``CHECKED_IN_VOID_REASON``) with the audit action
    ``CHECKED_IN_VOID_ACTION``. Someone was let in on that seat and may be sitting in it: selling
    it again would seat a second person there, so it stays blocked until staff unblock it, an
    explicit choice of their own (the booking's other seats are freed as in any cancel).
    """
    checked_in = frozenset(ticket.event_seat_id for ticket in tickets if ticket.checked_in_at is not None)
    if checked_in and not (void_checked_in and actor.is_staff):
        raise TicketCheckedIn()
    return checked_in
