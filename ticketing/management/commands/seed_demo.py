"""seed_demo: demo users, a stadium, a cinema with two halls, matches and shows on sale (with
ticket types), a season ticket for the three matches, and two empty halls to import a layout into.

Idempotent: everything is found by its name first and only created when missing, so running it
twice leaves the same data. ``--large`` adds a 40,000-seat stadium event.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from ticketing.models import Event, Season
from ticketing.services.events import event_create
from ticketing.services.seasons import season_create
from venues.models import Hall, Venue
from venues.services import layout_replace

SEASON_NAME = "Lyon VB home season"

USERS = [
    # username, password, is_staff
    ("staff", "staff-demo-pass", True),
    ("alice", "alice-demo-pass", False),
    ("bob", "bob-demo-pass", False),
]


#: The demo's cities and their IANA zones: events start at 19:30 local time there.
CITY_TIME_ZONES = {"Lyon": "Europe/Paris", "Paris": "Europe/Paris", "Marseille": "Europe/Paris"}


def _row_labels(count: int) -> list[str]:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: they read as 1 and 0
    return [
        letters[i] if i < len(letters) else letters[i // len(letters) - 1] + letters[i % len(letters)]
        for i in range(count)
    ]


def stadium_layout(sections: list[str], rows: int, seats: int, vip_rows: int) -> list[dict]:
    return [
        {
            "name": name,
            "rows": [
                {
                    "label": label,
                    "seats": seats,
                    "category": "vip" if index < vip_rows else "standard",
                    "accessible": [1, seats] if index == 0 else [],
                }
                for index, label in enumerate(_row_labels(rows))
            ],
        }
        for name in sections
    ]


def arena_layout(rows: int = 50, seats: int = 50) -> tuple[list[dict], dict[str, Decimal]]:
    """16 blocks around a court, placed on the hall's plan (x, y in seat widths), and its prices.

    Clockwise from the top: 5 blocks behind one side line, 3 behind the right end line, 5 behind
    the other side line, 3 behind the left end line; row A of each is nearest the court. The
    three middle blocks of each side line are the dearest (their first 5 rows "premium", the
    rest "category_1"), the other side-line blocks "category_2", the end blocks "category_3".
    """
    aisle = 4  # seat widths between two blocks
    width = seats + aisle
    placed = []
    for side, count in (("top", 5), ("right", 3), ("bottom", 5), ("left", 3)):
        for index in range(count):
            step = index - (count - 1) / 2  # from the middle of the side
            if side in ("top", "bottom"):
                x0 = step * width - seats / 2 if side == "top" else -step * width - seats / 2
                middle = abs(step) <= 1
                placed.append((side, x0, middle))
            else:
                y0 = step * width - rows / 2 if side == "right" else -step * width - rows / 2
                placed.append((side, y0, False))
    sections = []
    for number, (side, origin, middle) in enumerate(placed, start=1):
        rows_out = []
        for index, label in enumerate(_row_labels(rows)):
            if side in ("top", "bottom"):  # row A on the side line, the next rows further out
                x, y = origin, -(24 + index) if side == "top" else 24 + index
                category = ("premium" if index < 5 else "category_1") if middle else "category_2"
            else:  # an end stand, beyond the end line: its rows run along x too, stacked in y
                end_line = 2.5 * width + 8
                x = end_line if side == "right" else -end_line - seats
                y = origin + index
                category = "category_3"
            accessible = [1, seats] if index == 0 else []
            rows_out.append(
                {
                    "label": label,
                    "seats": seats,
                    "category": category,
                    "accessible": accessible,
                    "x": x,
                    "y": y,
                }
            )
        sections.append({"name": f"Block {number:02d}", "rows": rows_out})
    prices = {
        "premium": Decimal("120.00"),
        "category_1": Decimal("80.00"),
        "category_2": Decimal("55.00"),
        "category_3": Decimal("30.00"),
    }
    return sections, prices


def cinema_layout(rows: int, seats: int, vip_rows: int) -> list[dict]:
    labels = _row_labels(rows)
    return [
        {
            "name": "Stalls",
            "rows": [
                {
                    "label": label,
                    "seats": seats,
                    "category": "vip" if index >= rows - vip_rows else "standard",
                }
                for index, label in enumerate(labels)
            ],
        }
    ]


class Command(BaseCommand):
    help = "Create demo users, venues, layouts and events on sale (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--large", action="store_true", help="Also a 40,000-seat stadium event.")

    def handle(self, *args, large: bool = False, **options):
        self._users()
        stadium = self._hall(
            "Palais des Sports",
            Venue.Kind.STADIUM,
            "Lyon",
            "Main Bowl",
            stadium_layout(["North Stand", "East Stand", "South Stand", "West Stand"], 20, 25, 4),
        )
        cinema_kwargs = {"venue_name": "Lumière Cinema", "kind": Venue.Kind.CINEMA, "city": "Paris"}
        screen1 = self._hall(
            cinema_kwargs["venue_name"], cinema_kwargs["kind"], "Paris", "Screen 1", cinema_layout(12, 16, 2)
        )
        screen2 = self._hall(
            cinema_kwargs["venue_name"], cinema_kwargs["kind"], "Paris", "Screen 2", cinema_layout(10, 14, 2)
        )
        stadium_prices = {"vip": Decimal("80.00"), "standard": Decimal("35.00")}
        cinema_prices = {"vip": Decimal("16.50"), "standard": Decimal("11.00")}
        # Ticket types beside the full price (DESIGN.md, "Ticket types").
        stadium_types = [
            {"code": "reduced", "name": "Reduced", "prices": {"vip": "60.00", "standard": "25.00"}},
            {"code": "child", "name": "Child", "prices": {"standard": "15.00"}, "max_per_booking": 4},
        ]
        cinema_types = [
            {"code": "reduced", "name": "Reduced", "prices": {"vip": "12.50", "standard": "8.00"}},
            {"code": "child", "name": "Child", "prices": {"standard": "6.50"}, "max_per_booking": 4},
        ]
        matches = [
            self._event(stadium, days * 7, stadium_prices, stadium_types, home_team=home, away_team=away)
            for days, (home, away) in enumerate(
                [("Lyon VB", "Tours VB"), ("Lyon VB", "Montpellier HSC"), ("Lyon VB", "Paris Volley")],
                start=1,
            )
        ]
        # A season ticket for the three home matches: the same seat at each (DESIGN.md, "Season tickets").
        if not Season.objects.filter(name=SEASON_NAME).exists():
            season_create(
                name=SEASON_NAME,
                hall=stadium,
                event_ids=[match.pk for match in matches],
                prices={"vip": Decimal("200.00"), "standard": Decimal("90.00")},
            )
        for days, (hall, title) in enumerate(
            [(screen1, "The Last Rally"), (screen1, "Midnight at the Opera"), (screen2, "Set Point")], start=1
        ):
            self._event(hall, days * 3, cinema_prices, cinema_types, title=title)
        # Two halls with no seats and no events (ids 4 and 5 on a fresh database): the README's
        # import_layout examples lay them out.
        self._hall("Théâtre des Célestins", Venue.Kind.THEATRE, "Lyon", "Main", layout=None)
        self._hall("Cinéma Le Club", Venue.Kind.CINEMA, "Lyon", "Salle 1", layout=None)
        if large:
            started = time.monotonic()
            layout, arena_prices = arena_layout()
            big = self._hall("Grand Stade", Venue.Kind.STADIUM, "Marseille", "Bowl", layout)
            self._event(big, 30, arena_prices, None, home_team="France", away_team="Brazil")
            self.stdout.write(f"Large stadium ready in {time.monotonic() - started:.1f} s.")
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in with:"))
        for username, password, is_staff in USERS:
            self.stdout.write(f"  {username:6} / {password}{'   (staff)' if is_staff else ''}")

    def _users(self) -> None:
        for username, password, is_staff in USERS:
            if not User.objects.filter(username=username).exists():
                User.objects.create_user(
                    username=username,
                    password=password,
                    email=f"{username}@example.com",
                    is_staff=is_staff,
                    is_superuser=is_staff,
                )

    def _hall(self, venue_name, kind, city, hall_name, layout) -> Hall:
        with transaction.atomic():
            defaults = {"kind": kind, "city": city, "time_zone": CITY_TIME_ZONES[city]}
            venue, _ = Venue.objects.get_or_create(name=venue_name, defaults=defaults)
            hall, _ = Hall.objects.get_or_create(venue=venue, name=hall_name)
        if layout and not hall.sections.exists():
            seats = sum(row["seats"] for section in layout for row in section["rows"])
            self.stdout.write(f"Laying out {venue_name} – {hall_name} ({seats} seats)…")
            layout_replace(
                hall=hall,
                sections=layout,
                progress=lambda done, total: self.stdout.write(f"  {done}/{total} seats", ending="\r"),
            )
            self.stdout.write("")
        return hall

    def _event(self, hall: Hall, days: int, prices, ticket_types, **names) -> Event:
        existing = Event.objects.filter(hall=hall, **names).first()
        if existing:
            return existing
        kind = Event.Kind.MATCH if "home_team" in names else Event.Kind.SHOW
        zone = hall.venue.zone  # 19:30 at the venue, stored in UTC
        day = timezone.localdate(timezone.now(), zone) + timedelta(days=days)
        starts_at = datetime.combine(day, clock(19, 30), tzinfo=zone).astimezone(UTC)
        started = time.monotonic()
        event = event_create(
            kind=kind,
            hall=hall,
            starts_at=starts_at,
            prices=prices,
            ticket_types=ticket_types,
            status=Event.Status.ON_SALE,
            **names,
        )
        self.stdout.write(
            f"Event {event.name}: {event.seats.count()} seats in {time.monotonic() - started:.2f} s"
        )
        return event
