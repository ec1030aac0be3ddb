"""Ticket transfer: the owner of a ticket gives it to another account before the event starts.

The rules (DESIGN.md §7, "Ticket transfer"): the old ticket ends ``transferred`` (its code is
refused at the gate with ``409 ticket_transferred``) and the seat gets a new active ticket in
the same booking, with a new signed code, owned by the other account; both are emailed. The
booking stays the buyer's: its refund and its cancellation are theirs, a cancel voids the
transferred ticket too (its owner is emailed), and the seat counts toward the buyer's per-event
limit, not the new owner's.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_find
from config.errors import (
    AlreadyCheckedIn,
    Invalid,
    NotFound,
    TicketRevoked,
    TicketTransferred,
    TransferClosed,
)
from ticketing.locking import lock_ticket_for_transfer
from ticketing.models import Booking, Event, EventSeat, Ticket
from ticketing.services.inventory import audit_rows, audit_write
from ticketing.services.notifications import ticket_transferred_notify
from ticketing.services.tickets import ticket_code_sign

#: The audit action of a transfer: the seat stays booked (booked → booked), the ticket changes.
TRANSFER_ACTION = "transfer"


def transfer_recipient(*, to: str) -> User:
    """The account ``to`` names (username, or email when no username matches), active; Invalid
    with ``fields.to`` when there is none or the email names several accounts."""
    found = user_find(name_or_email=to)
    if not found:
        raise Invalid("No account has this username or email.", fields={"to": ["No such account."]})
    if len(found) > 1:
        message = "Several accounts have this email; give the username."
        raise Invalid(message, fields={"to": [message]})
    return found[0]


def ticket_transfer(*, ticket_id: int, actor: User, to: str, now: datetime | None = None) -> Ticket:
    """Give the ticket ``ticket_id`` of ``actor`` to the account ``to`` names; return the new ticket.

    Before any lock: the recipient (``transfer_recipient``: Invalid).
    Locks (``lock_ticket_for_transfer``), in this order: the ticket's booking (FOR NO KEY
    UPDATE, waits, bounded), then the ticket (FOR UPDATE, waits, bounded): the row a gate scan
    locks, so a transfer and a scan of one ticket serialise and exactly one of them wins; and a
    second transfer of the same ticket waits and then finds it transferred.
    Checks under the locks: the ticket exists and ``actor`` holds it (its owner, or the booking's
    buyer when it has none; else NotFound, as another buyer's booking); it was not transferred
    already (TicketTransferred) nor voided by a cancel (TicketRevoked); it was not checked in
    (AlreadyCheckedIn, with the scan's time); the event is not cancelled and has not started at
    ``now`` (TransferClosed); the recipient is not ``actor`` (Invalid, ``fields.to``).
    Writes: one UPDATE of the old ticket (``transferred``: the one-active-ticket-per-seat index
    lets the new one in), one INSERT of the new ticket (code generation = the seat's tickets in
    the booking so far, read under the booking's lock), one audit row (booked → booked,
    ``transfer``, the actor, both ticket ids in ``reason``), two emails queued (one INSERT).
    """
    now = now or timezone.now()
    recipient = transfer_recipient(to=to)
    with transaction.atomic():
        ticket = lock_ticket_for_transfer(ticket_id=ticket_id)
        if ticket is None or (ticket.owner_id or ticket.booking.buyer_id) != actor.pk:
            raise NotFound("No such ticket.")
        if ticket.status == Ticket.Status.TRANSFERRED:
            raise TicketTransferred("This ticket was already transferred.")
        if ticket.status != Ticket.Status.ACTIVE or ticket.booking.status != Booking.Status.CONFIRMED:
            raise TicketRevoked("This ticket was cancelled; it cannot be transferred.")
        if ticket.checked_in_at is not None:
            raise AlreadyCheckedIn(ticket.checked_in_at)
        event = ticket.event_seat.event  # its own event (a season booking spans several)
        if event.status == Event.Status.CANCELLED or event.starts_at <= now:
            raise TransferClosed()
        if recipient.pk == actor.pk:
            message = "This ticket is already yours."
            raise Invalid(message, fields={"to": [message]})
        generation = Ticket.objects.filter(
            booking_id=ticket.booking_id, event_seat_id=ticket.event_seat_id
        ).count()
        Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.TRANSFERRED)
        new = Ticket.objects.create(
            booking_id=ticket.booking_id,
            event_seat_id=ticket.event_seat_id,
            code=ticket_code_sign(
                event_id=event.pk,
                event_seat_id=ticket.event_seat_id,
                booking_id=ticket.booking_id,
                generation=generation,
            ),
            price=ticket.price,
            ticket_type=ticket.ticket_type,
            owner=recipient,
            replaces=ticket,
        )
        seat = ticket.event_seat
        audit_write(
            audit_rows(
                seats=[seat],
                from_status=EventSeat.Status.BOOKED,
                to_status=EventSeat.Status.BOOKED,
                action=TRANSFER_ACTION,
                now=now,
                actor=actor,
                booking=ticket.booking,
                reason=f"ticket {ticket.pk} of user {actor.pk} → ticket {new.pk} of user {recipient.pk}",
            )
        )
        ticket.status = Ticket.Status.TRANSFERRED
        ticket_transferred_notify(old=ticket, new=new)
    new.booking, new.event_seat, new.owner = ticket.booking, seat, recipient
    return new
