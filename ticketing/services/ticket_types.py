"""Ticket types: an event's kinds of ticket beside the full price, and the price of a booking.

An event always sells ``full`` (priced by its ``EventPrice`` rows); staff may add types
(reduced, child, member...), each with its own price per seat category and an optional limit
per booking. ``ticket_types_set`` replaces an event's types (the events API, the admin);
``booking_price`` prices a hold's seats at the types a buyer picked (``booking_create``).

Prices: a ``full`` seat costs the category price its hold captured (``Hold.prices``), as it
always did; a seat of another type costs that type's price for the seat's category when the
booking starts (``booking_price`` reads it once). That one quote is what the payment charges
and what the tickets and the booking's total record (``booking_confirm`` refuses a payment of
another amount), so the charge and the booking cannot disagree.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import User
from config.errors import HoldExpired, Invalid, NotFound, TicketTypeLimitExceeded
from ticketing.locking import hold_read
from ticketing.models import Event, EventSeat, TicketType
from ticketing.models.ticket_types import FULL

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,19}$")
MAX_TYPES = 20


@dataclass(frozen=True)
class TicketTypeSpec:
    """A validated ticket type, ready to be written."""

    code: str
    name: str
    prices: dict[str, str]
    max_per_booking: int | None


def _invalid(message: str) -> Invalid:
    return Invalid(message, fields={"ticket_types": [message]})


def ticket_types_validate(
    *, ticket_types: Sequence[Mapping[str, Any]], categories: set[str]
) -> list[TicketTypeSpec]:
    """Ticket types as staff give them: ``[{"code", "name", "prices", "max_per_booking"?}]``.

    Codes are short slugs (``[a-z0-9_-]``, 1-20 characters), unique, never ``full`` (the full
    price is the event's ``prices``); a name is required; prices are for the hall's categories
    only, amounts from 0 (a category left out cannot be sold at that type); the limit is 1-100
    or absent. Raises Invalid with ``fields.ticket_types``.
    """
    if len(ticket_types) > MAX_TYPES:
        raise _invalid(f"At most {MAX_TYPES} ticket types per event.")
    out, seen = [], set()
    for item in ticket_types:
        code = str(item.get("code", "")).strip()
        if not CODE_RE.match(code):
            raise _invalid(f"A ticket type code is 1-20 of a-z, 0-9, _ and -: {code!r} is not.")
        if code == FULL:
            raise _invalid("full is the event's own prices: it cannot be a ticket type.")
        if code in seen:
            raise _invalid(f"The ticket type {code} is given twice.")
        seen.add(code)
        name = str(item.get("name", "")).strip()
        if not name or len(name) > 60:
            raise _invalid(f"The ticket type {code} needs a name of at most 60 characters.")
        prices = item.get("prices") or {}
        if not isinstance(prices, Mapping):
            raise _invalid(f"The prices of {code} are an object: category to amount.")
        from ticketing.services.events import event_prices_validate  # events imports this module

        try:
            clean = event_prices_validate(prices=prices, categories=categories)
        except Invalid as error:
            raise _invalid(f"{code}: {error.detail}") from None
        limit = item.get("max_per_booking")
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100
        ):
            raise _invalid(f"The limit per booking of {code} is from 1 to 100, or none.")
        out.append(
            TicketTypeSpec(
                code=code,
                name=name,
                prices={category: str(amount) for category, amount in sorted(clean.items())},
                max_per_booking=limit,
            )
        )
    return out


def ticket_types_set(*, event: Event, ticket_types: Sequence[TicketTypeSpec]) -> None:
    """Inside the caller's transaction (``event_create``, ``event_update``): the event offers
    exactly ``ticket_types`` (the full price is not one of them), in this order. A type left out
    is retired, not deleted: a booking priced at it a moment before still books it, and every
    ticket's type keeps its name (``check_inventory``'s ``ticket_type_known``). Giving a retired
    code again offers it again. Two statements: one upsert, one UPDATE."""
    TicketType.objects.filter(event=event).exclude(code__in=[spec.code for spec in ticket_types]).update(
        active=False
    )
    TicketType.objects.bulk_create(
        [
            TicketType(
                event=event,
                code=spec.code,
                name=spec.name,
                prices=spec.prices,
                max_per_booking=spec.max_per_booking,
                position=position,
                active=True,
            )
            for position, spec in enumerate(ticket_types)
        ],
        update_conflicts=True,
        unique_fields=["event", "code"],
        update_fields=["name", "prices", "max_per_booking", "position", "active"],
    )


@dataclass(frozen=True)
class BookingPrice:
    """A hold's seats priced at the buyer's types: event seat id -> (type code, price)."""

    lines: dict[int, tuple[str, Decimal]]

    @property
    def total(self) -> Decimal:
        return sum((price for _, price in self.lines.values()), Decimal(0))


def booking_price(
    *, buyer: User, hold_id: int, ticket_types: Mapping[int, str], now: datetime | None = None
) -> BookingPrice:
    """Price the buyer's live hold at the types picked per event seat (the others ``full``).

    No lock, no write: three reads (the hold, its held seats with their categories, the event's
    types); the booking transaction checks the hold again under its locks. Raises NotFound (not
    the buyer's hold), HoldExpired (not live at ``now``), Invalid (``fields.ticket_types``, per
    seat id: not a seat of this hold, an unknown type, a type with no price for the seat's
    category), TicketTypeLimitExceeded (more seats of a type than its ``max_per_booking``).
    """
    now = now or timezone.now()
    hold = hold_read(buyer=buyer, hold_id=hold_id)
    if hold is None:
        raise NotFound("No such hold.")
    if not hold.is_live(now):
        raise HoldExpired()
    if hold.season_id is not None:  # a season sells at its season prices, one type for all
        message = "A season is sold at its season prices: ticket types are not used."
        raise Invalid(message, fields={"ticket_types": [message]})
    seats = dict(
        EventSeat.objects.filter(hold_id=hold.pk, status=EventSeat.Status.HELD).values_list(
            "id", "seat__category"
        )
    )
    types = {t.code: t for t in TicketType.objects.filter(event_id=hold.event_id, active=True)}
    problems: dict[str, list[str]] = {}
    for seat_id, code in ticket_types.items():
        if seat_id not in seats:
            problems[str(seat_id)] = ["Not a seat of this hold."]
        elif code != FULL and code not in types:
            problems[str(seat_id)] = [f"Unknown ticket type {code!r} for this event."]
        elif code != FULL and seats[seat_id] not in types[code].prices:
            problems[str(seat_id)] = [f"{types[code].name} is not sold for {seats[seat_id]} seats."]
    if problems:
        raise Invalid("Some ticket types cannot be used for these seats.", fields={"ticket_types": problems})
    for code, count in sorted(Counter(ticket_types.values()).items()):
        limit = types[code].max_per_booking if code in types else None
        if limit is not None and count > limit:
            raise TicketTypeLimitExceeded(code, limit)
    lines = {}
    for seat_id, category in seats.items():
        code = ticket_types.get(seat_id, FULL)
        amount = hold.prices.get(category, "0") if code == FULL else types[code].prices[category]
        lines[seat_id] = (code, Decimal(amount))
    return BookingPrice(lines=lines)
