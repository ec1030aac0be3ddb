"""Gate check-in: scan a ticket code, let the holder in once."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.errors import Conflict, Invalid
from ticketing.locking import lock_rows
from ticketing.models import Ticket
from ticketing.services.tickets import ticket_code_verify

logger = logging.getLogger("ticketing.checkin")


class AlreadyCheckedIn(Conflict):
    code = "already_checked_in"

    def __init__(self, checked_in_at: datetime) -> None:
        super().__init__(
            "This ticket was already scanned.", checked_in_at=checked_in_at.isoformat().replace("+00:00", "Z")
        )


class TicketRevoked(Conflict):
    code = "ticket_revoked"
    default_detail = "This ticket was cancelled; it does not give entry."


class WrongEvent(Conflict):
    code = "wrong_event"
    default_detail = "This ticket is for another event."


def ticket_check_in(
    *, code: str, actor: User, event_id: int | None = None, now: datetime | None = None
) -> Ticket:
    """Admit the holder of ``code`` once.

    Before any lock: the code's signature (Invalid for a forged or damaged code, without a
    database read), and that it is for ``event_id`` when the gate says which event it serves.
    Locks the ticket row (FOR UPDATE, waits, bounded): two gates scanning the same ticket at the
    same instant are serialised, so exactly one of them admits it. The ticket is the last table
    of the lock order (after booking) and check-in holds no other lock.
    Checks under the lock: the ticket exists (else Invalid), is active (else TicketRevoked: its
    booking or event was cancelled), and was not scanned before (else AlreadyCheckedIn with the
    first scan's time). Writes ``checked_in_at``. Returns the ticket with its seat and event.
    """
    now = now or timezone.now()
    claims = ticket_code_verify(code)
    if event_id is not None and claims.event_id != event_id:
        raise WrongEvent(ticket_event=claims.event_id)
    with transaction.atomic():
        tickets = lock_rows(
            Ticket.objects.filter(code=code, booking_id=claims.booking_id).select_related(
                "booking__event", "event_seat__seat__section"
            )
        )
        if not tickets:
            raise Invalid("No such ticket.", fields={"code": ["Unknown ticket."]})
        ticket = tickets[0]
        if ticket.status != Ticket.Status.ACTIVE:
            raise TicketRevoked()
        if ticket.checked_in_at is not None:
            raise AlreadyCheckedIn(ticket.checked_in_at)
        Ticket.objects.filter(pk=ticket.pk).update(checked_in_at=now)
        ticket.checked_in_at = now
    logger.info("ticket %s checked in", ticket.pk, extra={"ticket_id": ticket.pk, "actor_id": actor.pk})
    return ticket
