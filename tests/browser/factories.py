"""Events with realistic names for the browser tests (and their screenshots)."""

from __future__ import annotations

from decimal import Decimal

from tests.factories import HallFactory, VenueFactory, on_sale_event
from ticketing.management.commands.seed_demo import cinema_layout, stadium_layout
from ticketing.models import Event, EventSeat
from venues.models import Venue
from venues.services import layout_replace

STANDS = ["North Stand", "East Stand", "South Stand", "West Stand"]


def stadium_event(
    *, sections: list[str] = STANDS, rows: int = 10, seats: int = 16, vip_rows: int = 2, **fields
) -> Event:
    venue = VenueFactory(name="Palais des Sports", kind=Venue.Kind.STADIUM)
    hall = HallFactory(venue=venue, name="Main Bowl")
    layout_replace(hall=hall, sections=stadium_layout(sections, rows, seats, vip_rows))
    return on_sale_event(hall=hall, **fields)


def cinema_event(**fields) -> Event:
    venue = VenueFactory(name="Lumière Cinema", kind=Venue.Kind.CINEMA, city="Paris")
    hall = HallFactory(venue=venue, name="Screen 1")
    layout_replace(hall=hall, sections=cinema_layout(8, 12, 2))
    defaults = {
        "kind": Event.Kind.SHOW,
        "title": "The Last Rally",
        "home_team": "",
        "away_team": "",
        "prices": {"vip": Decimal("16.50"), "standard": Decimal("11.00")},
    }
    return on_sale_event(hall=hall, **{**defaults, **fields})


def seat_id(event: Event, section: str, row: str, number: int) -> int:
    return EventSeat.objects.get(
        event=event, seat__section__name=section, seat__row_label=row, seat__number=number
    ).pk
