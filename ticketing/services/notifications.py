"""Emails to buyers, through an outbox written in the transaction that made them due.

``booking_confirmed_notify`` and ``booking_cancelled_notify`` are called inside the service's
transaction and insert ``Notification`` rows (one INSERT): a rolled-back booking owes nothing,
a committed one owes its email even if the process dies right after. ``notifications_send``
delivers them through Django's email framework (console backend in the demo, locmem in the
tests, SMTP in production), never inside a transaction and never while a row lock is held:
- TICKETING_NOTIFICATIONS_INLINE (default): the request sends its own right after commit;
- otherwise the ``send_notifications`` worker does, so that building an email (a QR code per
  ticket: a third of a booking request's time in the on-sale benchmark) costs the buyer nothing.
A failure is logged and retried by the worker (at most TICKETING_NOTIFICATION_MAX_ATTEMPTS in
all); the booking is made either way. Delivery is at least once: a sender that dies between
sending and recording it sends that email again when its lease has run out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from ticketing.locking import lock_batch_claim
from ticketing.models import Booking, Hold, Notification, Payment, Ticket, WaitlistEntry
from ticketing.models.payments import DESK_METHODS
from ticketing.models.ticket_types import FULL
from ticketing.selectors.ticket_types import ticket_type_names
from ticketing.services.tickets import ticket_qr_svg

logger = logging.getLogger("ticketing.notifications")

LEASE = timedelta(minutes=2)  # how long a sender may take over one batch before another retries it


def ticket_page_url(code: str) -> str:
    return settings.TICKETING_PUBLIC_URL.rstrip("/") + reverse("ticket-page", args=[code])


def _booking_load(booking_id: int) -> Booking | None:
    return (
        Booking.objects.select_related("buyer", "event__hall__venue", "season__hall__venue")
        .prefetch_related("tickets__event_seat__seat__section", "tickets__event_seat__event")
        .filter(pk=booking_id)
        .first()
    )


def _held_by_buyer(ticket: Ticket, booking: Booking) -> bool:
    """The booking's buyer's own ticket (not one given away by a transfer, nor its successor)."""
    return ticket.owner_id in (None, booking.buyer_id) and ticket.status != Ticket.Status.TRANSFERRED


def _send(booking_id: int, kind: str, ticket_id: int | None = None) -> None:
    """Build and send one email; raises what the mail backend raises."""
    if kind in (Notification.Kind.TICKET_GIVEN, Notification.Kind.TICKET_RECEIVED):
        _send_transfer(ticket_id, kind)
        return
    booking = _booking_load(booking_id)
    if booking is None:
        return
    if kind == "cancelled":
        _send_voided_to_new_owners(booking)
    if not booking.buyer.email:
        return
    tickets = [
        {"ticket": ticket, "url": ticket_page_url(ticket.code)}
        for ticket in booking.tickets.all()
        if _held_by_buyer(ticket, booking) and (kind == "cancelled" or ticket.status == ticket.Status.ACTIVE)
    ]
    if any(item["ticket"].ticket_type != FULL for item in tickets):  # named, beside the full price
        names = ticket_type_names(event_id=booking.event_id)
        for item in tickets:
            if item["ticket"].ticket_type != FULL:
                item["type_name"] = names.get(item["ticket"].ticket_type, item["ticket"].ticket_type)
    if booking.season_id is not None:  # one booking, tickets for several events
        subject, body = _season_email(booking, kind, tickets)
    else:
        subject, body = _event_email(booking, kind, tickets)
    message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [booking.buyer.email])
    if kind == "confirmed":
        for item in tickets:
            ticket = item["ticket"]
            message.attach(
                f"ticket-{ticket.pk}.svg", ticket_qr_svg(ticket.code, standalone=True), "image/svg+xml"
            )
    message.send()


def _send_voided_to_new_owners(booking: Booking) -> None:
    """With a cancellation's email: each account a ticket of the booking was transferred to is
    told that its ticket is void (the booking, and its refund, stay the buyer's)."""
    given = [t for t in booking.tickets.all() if t.owner_id not in (None, booking.buyer_id)]
    given = [t for t in given if t.status == Ticket.Status.VOID]
    owners = {user.pk: user for user in User.objects.filter(id__in={t.owner_id for t in given})}
    for owner_id, user in owners.items():
        if not user.email:
            continue
        tickets = [{"ticket": t, "url": ticket_page_url(t.code)} for t in given if t.owner_id == owner_id]
        # a season booking's tickets are of several events: each ticket names its own
        what = booking.event or booking.season
        context = {"booking": booking, "event": what, "tickets": tickets, "owner": user}
        with timezone.override(what.hall.venue.zone):
            body = render_to_string("ticketing/tickets/email_transfer_voided.txt", context)
        subject = f"Your ticket for {what.name} is void"
        EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]).send()


def _send_transfer(ticket_id: int | None, kind: str) -> None:
    """The email of a transfer: to the old owner (``given``, ``ticket_id`` the old ticket) or to
    the new one (``received``, the new ticket, its QR code attached)."""
    ticket = (
        Ticket.objects.select_related(
            "booking__buyer", "event_seat__event__hall__venue", "owner", "event_seat__seat__section"
        )
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        return
    if kind == Notification.Kind.TICKET_GIVEN:
        other = Ticket.objects.select_related("owner").filter(replaces=ticket).first()
        to, partner = ticket.owner or ticket.booking.buyer, other.owner if other else None
    else:
        previous = Ticket.objects.select_related("owner").filter(pk=ticket.replaces_id).first()
        to, partner = ticket.owner, (previous.owner or ticket.booking.buyer) if previous else None
    if to is None or not to.email:
        return
    event = ticket.event_seat.event  # a season booking has no event of its own
    context = {
        "ticket": ticket,
        "event": event,
        "to": to,
        "partner": partner,
        "url": ticket_page_url(ticket.code),
    }
    with timezone.override(event.hall.venue.zone):
        body = render_to_string(f"ticketing/tickets/email_{kind}.txt", context)
    subject = {
        Notification.Kind.TICKET_GIVEN: f"Your ticket for {event.name} was transferred",
        Notification.Kind.TICKET_RECEIVED: f"A ticket for {event.name} for you",
    }[kind]
    message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [to.email])
    if kind == Notification.Kind.TICKET_RECEIVED:
        message.attach(
            f"ticket-{ticket.pk}.svg", ticket_qr_svg(ticket.code, standalone=True), "image/svg+xml"
        )
    message.send()


def _send_inline(rows: list[Notification]) -> None:
    if rows and settings.TICKETING_NOTIFICATIONS_INLINE:
        ids = [row.pk for row in rows]
        transaction.on_commit(lambda: notifications_send(ids=ids))


def ticket_transferred_notify(*, old: Ticket, new: Ticket) -> None:
    """In the transfer's transaction: owe the old owner the news (``given``) and the new owner
    their ticket (``received``): one INSERT of two rows."""
    now = timezone.now()
    rows = Notification.objects.bulk_create(
        [
            Notification(
                kind=Notification.Kind.TICKET_GIVEN, booking_id=old.booking_id, ticket=old, created_at=now
            ),
            Notification(
                kind=Notification.Kind.TICKET_RECEIVED, booking_id=new.booking_id, ticket=new, created_at=now
            ),
        ]
    )
    _send_inline(rows)


def _season_email(booking: Booking, kind: str, tickets: list[dict]) -> tuple[str, str]:
    season = booking.season
    payment = getattr(booking, "payment", None) if kind == "cancelled" else None
    refund = None
    if payment is not None and payment.status in (payment.Status.REFUNDING, payment.Status.REFUNDED):
        refund = payment.amount if payment.refund_amount is None else payment.refund_amount
    # each line names its event and its date (the events of a season often share a name), in
    # the order they are played, then by seat
    tickets = sorted(
        tickets,
        key=lambda item: (
            item["ticket"].event_seat.event.starts_at,
            item["ticket"].event_seat.event_id,
            item["ticket"].event_seat_id,
        ),
    )
    context = {"booking": booking, "season": season, "tickets": tickets, "refund": refund}
    subject = {
        "confirmed": f"Your season tickets: {season.name}",
        "cancelled": f"Season booking {booking.pk} ({season.name}) is cancelled",
    }[kind]
    with timezone.override(season.hall.venue.zone):
        return subject, render_to_string(f"ticketing/tickets/email_season_{kind}.txt", context)


def _event_email(booking: Booking, kind: str, tickets: list[dict]) -> tuple[str, str]:
    context = {"booking": booking, "event": booking.event, "tickets": tickets}
    if kind == "cancelled":  # paid at the box office: refunded there (services/payments.py)
        context["refund_at_desk"] = Payment.objects.filter(booking=booking, gateway__in=DESK_METHODS).exists()
    subject = {
        "confirmed": f"Your tickets for {booking.event.name}",
        "cancelled": f"Booking {booking.pk} for {booking.event.name} is cancelled",
    }[kind]
    with timezone.override(booking.event.hall.venue.zone):  # times as at the venue
        return subject, render_to_string(f"ticketing/tickets/email_{kind}.txt", context)


def _send_waitlist_offer(entry_id: int) -> None:
    """The waiting-list offer: which seats are held for the buyer, until when, and where to book."""
    entry = WaitlistEntry.objects.select_related("buyer", "event__hall__venue").filter(pk=entry_id).first()
    hold = Hold.objects.filter(waitlist_entry_id=entry_id).prefetch_related("seats__seat__section").first()
    if entry is None or hold is None or not entry.buyer.email:
        return
    seats = sorted(hold.seats.all(), key=lambda seat: seat.id)
    url = settings.TICKETING_PUBLIC_URL.rstrip("/") + f"/#/events/{entry.event_id}"
    context = {"entry": entry, "event": entry.event, "hold": hold, "seats": seats, "url": url}
    with timezone.override(entry.event.hall.venue.zone):  # times as at the venue
        body = render_to_string("ticketing/tickets/email_waitlist_offer.txt", context)
    subject = f"Seats for {entry.event.name} are held for you"
    EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [entry.buyer.email]).send()


def _enqueue(kind: str, booking_ids: Iterable[int] = (), entry_ids: Iterable[int] = ()) -> None:
    now = timezone.now()
    rows = Notification.objects.bulk_create(
        [Notification(kind=kind, booking_id=booking_id, created_at=now) for booking_id in booking_ids]
        + [Notification(kind=kind, waitlist_entry_id=entry_id, created_at=now) for entry_id in entry_ids]
    )
    _send_inline(rows)


def booking_confirmed_notify(*, booking_ids: Iterable[int]) -> None:
    """In the caller's transaction: owe each buyer their tickets (a QR code attached per ticket)."""
    _enqueue(Notification.Kind.CONFIRMED, booking_ids)


def booking_cancelled_notify(*, booking_ids: Iterable[int]) -> None:
    """In the caller's transaction: owe each buyer the news that their booking was cancelled."""
    _enqueue(Notification.Kind.CANCELLED, booking_ids)


def waitlist_offer_notify(*, entry_ids: Iterable[int]) -> None:
    """In the offer's transaction: owe each waiting buyer the news that seats are held for them."""
    _enqueue(Notification.Kind.WAITLIST_OFFER, entry_ids=entry_ids)


def notifications_send(
    *, ids: Iterable[int] | None = None, batch_size: int = 50, now: datetime | None = None
) -> tuple[int, int]:
    """Send owed emails (only ``ids`` if given), one leased batch at a time; return how many
    were sent and how many failed this time.

    Per batch, one short transaction claims up to ``batch_size`` unsent rows that are not
    leased and have attempts left, in pk order with SKIP LOCKED (several senders take disjoint
    batches and never wait), and leases them for LEASE. The emails are then sent outside any
    transaction; each row is then marked sent, or its attempt and error recorded and its lease
    dropped so that the next run retries it.
    """
    pending = Notification.objects.filter(
        sent_at__isnull=True, attempts__lt=settings.TICKETING_NOTIFICATION_MAX_ATTEMPTS
    )
    if ids is not None:
        pending = pending.filter(id__in=list(ids))
    sent = failed = 0
    tried: set[int] = set()  # a row that failed waits for the next run, not the next batch
    while True:
        now_batch = now or timezone.now()
        with transaction.atomic():
            batch = lock_batch_claim(
                pending.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now_batch)).exclude(
                    id__in=tried
                ),
                limit=batch_size,
            )
            Notification.objects.filter(id__in=[row.id for row in batch]).update(
                claimed_until=now_batch + LEASE
            )
        if not batch:
            return sent, failed
        for row in batch:
            tried.add(row.id)
            try:
                if row.waitlist_entry_id:
                    _send_waitlist_offer(row.waitlist_entry_id)
                else:
                    _send(row.booking_id, row.kind, row.ticket_id)
            except Exception as error:  # any backend error: record it, retry later
                logger.exception("could not send the %s email %s", row.kind, row.pk)
                Notification.objects.filter(pk=row.pk).update(
                    attempts=row.attempts + 1, claimed_until=None, last_error=str(error)[:500]
                )
                failed += 1
            else:
                Notification.objects.filter(pk=row.pk).update(
                    sent_at=timezone.now(), attempts=row.attempts + 1, claimed_until=None
                )
                sent += 1
        if len(batch) < batch_size:
            return sent, failed
