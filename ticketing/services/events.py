"""Event services: create, update, open and close sales."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone

from config.errors import EventNotOnSale, Invalid
from ticketing.locking import lock_event, lock_hall_for_event
from ticketing.models import Event, EventPrice, Season
from ticketing.services.inventory import inventory_create
from ticketing.services.ticket_types import ticket_types_set, ticket_types_validate
from ticketing.services.waiting_room import waiting_room_validate
from venues.models import Hall, Seat

ALLOWED_TRANSITIONS = {
    Event.Status.DRAFT: {Event.Status.ON_SALE},
    Event.Status.ON_SALE: {Event.Status.CLOSED},
    Event.Status.CLOSED: {Event.Status.ON_SALE},
    Event.Status.CANCELLED: set(),  # for good: event_cancel
}


def hall_categories(*, hall: Hall) -> set[str]:
    return set(Seat.objects.filter(section__hall=hall).values_list("category", flat=True).distinct())


def event_ensure_on_sale(*, event: Event, now: datetime) -> None:
    """Raise EventNotOnSale unless the event is on sale and has not started."""
    if event.status != Event.Status.ON_SALE:
        raise EventNotOnSale(f"This event is {event.get_status_display().lower()}, not on sale.")
    if event.starts_at <= now:
        raise EventNotOnSale("This event has already started.")


def season_ensure_on_sale(*, season_id: int, now: datetime) -> list[Event]:
    """Raise EventNotOnSale unless the season is on sale and every one of its events is on sale
    and has not started (a season is sold whole, before its first event). Returns the events,
    by id. One statement: the events, the season's status beside each."""
    status = Season.objects.filter(pk=season_id).values("status")
    events = list(
        Event.objects.filter(seasons=season_id).annotate(season_status=Subquery(status)).order_by("id")
    )
    if not events or events[0].season_status != Season.Status.ON_SALE:
        raise EventNotOnSale("This season is not on sale.")
    for event in events:
        event_ensure_on_sale(event=event, now=now)
    return events


def event_kind_validate(*, kind: str, title: str, home_team: str, away_team: str) -> None:
    """A match needs both teams, a show a title; raise Invalid otherwise."""
    if kind not in Event.Kind.values:
        raise Invalid("Unknown event kind.", fields={"kind": [f"One of {Event.Kind.values}."]})
    if kind == Event.Kind.MATCH and not (home_team.strip() and away_team.strip()):
        raise Invalid(
            "A match needs a home team and an away team.",
            fields={"home_team": ["Required for a match."], "away_team": ["Required for a match."]},
        )
    if kind == Event.Kind.SHOW and not title.strip():
        raise Invalid("A show needs a title.", fields={"title": ["Required for a show."]})


def event_prices_validate(*, prices: Mapping[str, Any], categories: set[str]) -> dict[str, Decimal]:
    """Prices for known categories only, amounts from 0; return them as Decimal cents."""
    unknown = sorted(set(prices) - categories)
    if unknown:
        message = f"This hall has no seat category {', '.join(unknown)}."
        raise Invalid(message, fields={"prices": [message]})
    out = {}
    for category, amount in prices.items():
        try:
            value = Decimal(str(amount))
        except ArithmeticError:
            value = Decimal(-1)
        if not value.is_finite() or value < 0 or value >= Decimal("100000000"):
            message = f"The price of {category} must be an amount from 0."
            raise Invalid(message, fields={"prices": [message]})
        out[category] = value.quantize(Decimal("0.01"))
    return out


def _ensure_priced(categories: set[str], prices: Mapping[str, Decimal]) -> None:
    missing = sorted(categories - set(prices))
    if missing:
        message = f"Set a price for {', '.join(missing)} before opening sales."
        raise Invalid(message, fields={"prices": [message]})


def event_create(
    *,
    kind: str,
    hall: Hall,
    starts_at: datetime,
    title: str = "",
    home_team: str = "",
    away_team: str = "",
    prices: Mapping[str, Any] | None = None,
    status: str = Event.Status.DRAFT,
    hold_seconds: int | None = None,
    max_seats_per_buyer: int | None = None,
    waiting_room_opens_at: datetime | None = None,
    waiting_room_admit_per_minute: int | None = None,
    ticket_types: Sequence[Mapping[str, Any]] | None = None,
) -> Event:
    """Create an event, its prices, its ticket types and its whole inventory (one INSERT ... SELECT).

    Locks the hall row so that its layout cannot change while the inventory is copied. A
    waiting room (both of its fields) is checked by ``waiting_room_validate``.
    """
    event_kind_validate(kind=kind, title=title, home_team=home_team, away_team=away_team)
    waiting_room_validate(
        opens_at=waiting_room_opens_at,
        admit_per_minute=waiting_room_admit_per_minute,
        event=None,
        now=timezone.now(),
    )
    if status not in (Event.Status.DRAFT, Event.Status.ON_SALE):
        raise Invalid("A new event is a draft or on sale.", fields={"status": ["draft or on_sale"]})
    with transaction.atomic():
        lock_hall_for_event(hall=hall)
        categories = hall_categories(hall=hall)
        if not categories:
            message = "This hall has no seat layout yet."
            raise Invalid(message, fields={"hall": [message]})
        clean_prices = event_prices_validate(prices=prices or {}, categories=categories)
        if status == Event.Status.ON_SALE:
            _ensure_priced(categories, clean_prices)
        clean_types = ticket_types_validate(ticket_types=ticket_types or [], categories=categories)
        event = Event.objects.create(
            kind=kind,
            hall=hall,
            starts_at=starts_at,
            title=title.strip(),
            home_team=home_team.strip(),
            away_team=away_team.strip(),
            status=status,
            hold_seconds=hold_seconds,
            max_seats_per_buyer=max_seats_per_buyer,
            waiting_room_opens_at=waiting_room_opens_at,
            waiting_room_admit_per_minute=waiting_room_admit_per_minute,
        )
        EventPrice.objects.bulk_create(
            EventPrice(event=event, category=category, amount=amount)
            for category, amount in clean_prices.items()
        )
        if clean_types:
            ticket_types_set(event=event, ticket_types=clean_types)
        inventory_create(event=event)
    return event


EVENT_UPDATE_FIELDS = {
    "kind",
    "title",
    "home_team",
    "away_team",
    "starts_at",
    "hold_seconds",
    "max_seats_per_buyer",
    "waiting_room_opens_at",
    "waiting_room_admit_per_minute",
}


def event_update(*, event: Event, **fields: Any) -> Event:
    """Change an event's details, add or change prices, and optionally its status.

    ``prices`` is merged: categories given are set, others keep their price. The hall never
    changes once seats exist. A status change goes through ``event_set_status``. A waiting room
    set, changed or removed is checked by ``waiting_room_validate``; every save is mirrored into
    the waiting room's Redis after commit (``ticketing.apps``). ``ticket_types``, when given,
    replaces the event's ticket types (``ticket_types_set``).
    """
    prices = fields.pop("prices", None)
    ticket_types = fields.pop("ticket_types", None)
    status = fields.pop("status", None)
    if status is not None and status != event.status:
        event_status_validate(status=status)  # before any write
    if "hall" in fields and getattr(fields.pop("hall"), "pk", None) != event.hall_id:
        raise Invalid("An event's hall cannot change.", fields={"hall": ["Cannot change."]})
    unknown = set(fields) - EVENT_UPDATE_FIELDS
    if unknown:
        raise Invalid("Unknown fields.", fields={name: ["Unknown field."] for name in sorted(unknown)})
    fields = {name: value.strip() if isinstance(value, str) else value for name, value in fields.items()}
    names = ("kind", "title", "home_team", "away_team")
    event_kind_validate(**{name: fields.get(name, getattr(event, name)) for name in names})
    if {"waiting_room_opens_at", "waiting_room_admit_per_minute"} & set(fields):
        waiting_room_validate(
            opens_at=fields.get("waiting_room_opens_at", event.waiting_room_opens_at),
            admit_per_minute=fields.get("waiting_room_admit_per_minute", event.waiting_room_admit_per_minute),
            event=event,
            now=timezone.now(),
        )
    clean_prices = None
    if prices is not None:
        clean_prices = event_prices_validate(prices=prices, categories=hall_categories(hall=event.hall))
    clean_types = None
    if ticket_types is not None:
        clean_types = ticket_types_validate(
            ticket_types=ticket_types, categories=hall_categories(hall=event.hall)
        )
    with transaction.atomic():
        for name, value in fields.items():
            setattr(event, name, value)
        # Always saved: ``updated_at`` is part of the seat map's ETag, and prices are on the map.
        event.save(update_fields=[*fields, "updated_at"])
        if clean_prices:
            EventPrice.objects.bulk_create(
                [EventPrice(event=event, category=c, amount=amount) for c, amount in clean_prices.items()],
                update_conflicts=True,
                unique_fields=["event", "category"],
                update_fields=["amount"],
            )
        if clean_types is not None:
            ticket_types_set(event=event, ticket_types=clean_types)
        if status is not None and status != event.status:
            event_set_status(event=event, status=status)
    return event


def event_status_validate(*, status: str) -> None:
    """A status ``event_set_status`` can move to: known, and not ``cancelled`` (that is
    ``event_cancel``: one meaning for cancelling an event). Raises Invalid."""
    if status not in Event.Status.values:
        raise Invalid("Unknown status.", fields={"status": [f"One of {Event.Status.values}."]})
    if status == Event.Status.CANCELLED:
        message = (
            "An event is cancelled with POST /events/{id}/cancel/, which also cancels and refunds"
            " its bookings."
        )
        raise Invalid(message, fields={"status": [message]})


def event_set_status(*, event: Event, status: str) -> Event:
    """Move an event along draft → on_sale ⇄ closed.

    Cancelling is not a status change here: it is ``event_cancel`` (services/event_cancel.py,
    ``POST /events/{id}/cancel/``, the admin's "Cancel events and refund" action), which also
    releases the holds and cancels and refunds the bookings. Asked for here, it is refused with
    ``invalid`` saying so: one meaning for cancelling an event.
    Locks the event row (``lock_event``); under the lock the transition is re-checked against
    the current status; going on sale needs a price for every seat category of the hall.
    """
    event_status_validate(status=status)
    with transaction.atomic():
        current = lock_event(event=event)
        if status not in ALLOWED_TRANSITIONS.get(current.status, set()):
            message = f"An event cannot go from {current.status} to {status}."
            raise Invalid(message, fields={"status": [message]})
        if status == Event.Status.ON_SALE:
            prices = dict(EventPrice.objects.filter(event_id=event.pk).values_list("category", "amount"))
            _ensure_priced(hall_categories(hall=event.hall), prices)
        event.status = status
        event.save(update_fields=["status", "updated_at"])
    return event
