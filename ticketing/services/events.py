"""Event services: create, update, open and close sales."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from config.errors import Conflict, Invalid
from ticketing.errors import EventNotOnSale
from ticketing.locking import lock_rows
from ticketing.models import Booking, Event, EventPrice
from ticketing.services.inventory import inventory_create
from venues.models import Hall, Seat

ALLOWED_TRANSITIONS = {
    Event.Status.DRAFT: {Event.Status.ON_SALE, Event.Status.CANCELLED},
    Event.Status.ON_SALE: {Event.Status.CLOSED, Event.Status.CANCELLED},
    Event.Status.CLOSED: {Event.Status.ON_SALE, Event.Status.CANCELLED},
    Event.Status.CANCELLED: set(),
}


class EventHasBookings(Conflict):
    code = "event_has_bookings"
    default_detail = "The event has confirmed bookings; cancel them first."


def hall_categories(*, hall: Hall) -> set[str]:
    return set(Seat.objects.filter(section__hall=hall).values_list("category", flat=True).distinct())


def event_ensure_on_sale(*, event: Event, now: datetime) -> None:
    """Raise EventNotOnSale unless the event is on sale and has not started."""
    if event.status != Event.Status.ON_SALE:
        raise EventNotOnSale(f"This event is {event.get_status_display().lower()}, not on sale.")
    if event.starts_at <= now:
        raise EventNotOnSale("This event has already started.")


def _validate_kind(kind: str, title: str, home_team: str, away_team: str) -> None:
    if kind not in Event.Kind.values:
        raise Invalid("Unknown event kind.", fields={"kind": [f"One of {Event.Kind.values}."]})
    if kind == Event.Kind.MATCH and not (home_team.strip() and away_team.strip()):
        raise Invalid(
            "A match needs a home team and an away team.",
            fields={"home_team": ["Required for a match."], "away_team": ["Required for a match."]},
        )
    if kind == Event.Kind.SHOW and not title.strip():
        raise Invalid("A show needs a title.", fields={"title": ["Required for a show."]})


def _validate_prices(prices: Mapping[str, Any], categories: set[str]) -> dict[str, Decimal]:
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
) -> Event:
    """Create an event, its prices and its whole inventory (one INSERT ... SELECT).

    Locks the hall row so that its layout cannot change while the inventory is copied.
    """
    _validate_kind(kind, title, home_team, away_team)
    if status not in (Event.Status.DRAFT, Event.Status.ON_SALE):
        raise Invalid("A new event is a draft or on sale.", fields={"status": ["draft or on_sale"]})
    with transaction.atomic():
        lock_rows(Hall.objects.filter(pk=hall.pk), no_key=True)
        categories = hall_categories(hall=hall)
        if not categories:
            message = "This hall has no seat layout yet."
            raise Invalid(message, fields={"hall": [message]})
        clean_prices = _validate_prices(prices or {}, categories)
        if status == Event.Status.ON_SALE:
            _ensure_priced(categories, clean_prices)
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
        )
        EventPrice.objects.bulk_create(
            EventPrice(event=event, category=category, amount=amount)
            for category, amount in clean_prices.items()
        )
        inventory_create(event=event)
    return event


def event_update(*, event: Event, **fields: Any) -> Event:
    """Change an event's details and prices (the hall never changes once seats exist)."""
    prices = fields.pop("prices", None)
    status = fields.pop("status", None)
    if "hall" in fields and fields.pop("hall").pk != event.hall_id:
        raise Invalid("An event's hall cannot change.", fields={"hall": ["Cannot change."]})
    allowed = {"kind", "title", "home_team", "away_team", "starts_at", "hold_seconds", "max_seats_per_buyer"}
    unknown = set(fields) - allowed
    if unknown:
        raise Invalid("Unknown fields.", fields={name: ["Unknown field."] for name in unknown})
    for name, value in fields.items():
        setattr(event, name, value)
    _validate_kind(event.kind, event.title, event.home_team, event.away_team)
    with transaction.atomic():
        event.save()
        if prices is not None:
            clean = _validate_prices(prices, hall_categories(hall=event.hall))
            for category, amount in clean.items():
                EventPrice.objects.update_or_create(
                    event=event, category=category, defaults={"amount": amount}
                )
        if status is not None and status != event.status:
            event_set_status(event=event, status=status)
    return event


def event_set_status(*, event: Event, status: str) -> Event:
    """Move an event along draft → on_sale ⇄ closed, or to cancelled (without bookings)."""
    if status not in ALLOWED_TRANSITIONS.get(event.status, set()):
        message = f"An event cannot go from {event.status} to {status}."
        raise Invalid(message, fields={"status": [message]})
    with transaction.atomic():
        if status == Event.Status.ON_SALE:
            prices = dict(event.prices.values_list("category", "amount"))
            _ensure_priced(hall_categories(hall=event.hall), prices)
        if status == Event.Status.CANCELLED and (
            Booking.objects.filter(event=event, status=Booking.Status.CONFIRMED).exists()
        ):
            raise EventHasBookings()
        event.status = status
        event.save(update_fields=["status", "updated_at"])
    return event
