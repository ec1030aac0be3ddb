"""Emails to buyers, sent after the transaction that caused them commits.

``booking_confirmed_notify`` and ``booking_cancelled_notify`` are called inside the service's
transaction and only register a ``transaction.on_commit`` callback: a rolled-back booking sends
nothing, and the mail server is never contacted while a row lock is held. The callback reads
the booking again (committed state) and sends through Django's email framework: the console
backend in the demo, locmem in the tests, SMTP in production (``EMAIL_*`` settings).
A failure to send is logged, never raised: the booking is made either way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from ticketing.models import Booking
from ticketing.services.tickets import ticket_qr_svg

logger = logging.getLogger("ticketing.notifications")


def ticket_page_url(code: str) -> str:
    return settings.TICKETING_PUBLIC_URL.rstrip("/") + reverse("ticket-page", args=[code])


def _booking_load(booking_id: int) -> Booking | None:
    return (
        Booking.objects.select_related("buyer", "event__hall__venue")
        .prefetch_related("tickets__event_seat__seat__section")
        .filter(pk=booking_id)
        .first()
    )


def _send(booking_id: int, kind: str) -> None:
    booking = _booking_load(booking_id)
    if booking is None or not booking.buyer.email:
        return
    tickets = [
        {"ticket": ticket, "url": ticket_page_url(ticket.code)}
        for ticket in booking.tickets.all()
        if kind == "cancelled" or ticket.status == ticket.Status.ACTIVE
    ]
    context = {"booking": booking, "event": booking.event, "tickets": tickets}
    subject = {
        "confirmed": f"Your tickets for {booking.event.name}",
        "cancelled": f"Booking {booking.pk} for {booking.event.name} is cancelled",
    }[kind]
    body = render_to_string(f"ticketing/tickets/email_{kind}.txt", context)
    message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [booking.buyer.email])
    if kind == "confirmed":
        for item in tickets:
            ticket = item["ticket"]
            message.attach(
                f"ticket-{ticket.pk}.svg", ticket_qr_svg(ticket.code, standalone=True), "image/svg+xml"
            )
    try:
        message.send()
    except Exception:
        logger.exception("could not send the %s email of booking %s", kind, booking_id)


def booking_confirmed_notify(*, booking_ids: Iterable[int]) -> None:
    """After commit: email each buyer their tickets (a QR code attached per ticket)."""
    for booking_id in list(booking_ids):
        transaction.on_commit(lambda booking_id=booking_id: _send(booking_id, "confirmed"))


def booking_cancelled_notify(*, booking_ids: Iterable[int]) -> None:
    """After commit: tell each buyer their booking was cancelled (and refunded)."""
    for booking_id in list(booking_ids):
        transaction.on_commit(lambda booking_id=booking_id: _send(booking_id, "cancelled"))
