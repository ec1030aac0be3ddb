"""Reads of ticket types: what buyers are shown of an event's types, their names."""

from __future__ import annotations

from typing import Any

from ticketing.models import Event, TicketType
from ticketing.models.ticket_types import FULL

FULL_NAME = "Full price"


def ticket_types_of(*, event: Event) -> list[dict[str, Any]]:
    """What buyers are shown: ``full`` first (the event's prices), then the event's types on
    offer (retired ones are not). Reads ``event.prices`` and ``event.ticket_types`` (prefetched
    by the catalogue)."""
    full_prices = {price.category: str(price.amount) for price in event.prices.all()}
    types = [{"code": FULL, "name": FULL_NAME, "prices": full_prices, "max_per_booking": None}]
    for ticket_type in event.ticket_types.all():
        if not ticket_type.active:
            continue
        types.append(
            {
                "code": ticket_type.code,
                "name": ticket_type.name,
                "prices": dict(ticket_type.prices),
                "max_per_booking": ticket_type.max_per_booking,
            }
        )
    return types


def ticket_type_names(*, event_id: int) -> dict[str, str]:
    """Code to name of an event's types, ``full`` and retired ones included (one query): for
    the ticket page and the email."""
    names = dict(TicketType.objects.filter(event_id=event_id).values_list("code", "name"))
    return {FULL: FULL_NAME, **names}
