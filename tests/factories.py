"""factory_boy factories for test data."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import User
from ticketing.models import Event
from ticketing.services.events import event_create
from venues.models import Hall, Venue
from venues.services import layout_replace


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"buyer{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "buyer-pass-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue

    name = factory.Sequence(lambda n: f"Venue {n}")
    kind = Venue.Kind.STADIUM
    city = "Lyon"


class HallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hall

    venue = factory.SubFactory(VenueFactory)
    name = factory.Sequence(lambda n: f"Hall {n}")


def simple_layout(*, sections: int = 1, rows: int = 2, seats: int = 5, vip_rows: int = 1) -> list[dict]:
    """``sections`` × ``rows`` × ``seats``; the first ``vip_rows`` rows of each are vip."""
    return [
        {
            "name": f"Section {s + 1}",
            "rows": [
                {
                    "label": chr(ord("A") + r),
                    "seats": seats,
                    "category": "vip" if r < vip_rows else "standard",
                }
                for r in range(rows)
            ],
        }
        for s in range(sections)
    ]


def hall_with_layout(**layout) -> Hall:
    hall = HallFactory()
    layout_replace(hall=hall, sections=simple_layout(**layout))
    return hall


def on_sale_event(*, hall: Hall | None = None, starts_in: timedelta = timedelta(days=7), **fields) -> Event:
    """An on-sale match with prices for vip and standard (a 2×5 hall unless given)."""
    hall = hall or hall_with_layout()
    defaults = {
        "kind": Event.Kind.MATCH,
        "home_team": "Lyon VB",
        "away_team": "Tours VB",
        "starts_at": timezone.now() + starts_in,
        "prices": {"vip": Decimal("80.00"), "standard": Decimal("35.00")},
        "status": Event.Status.ON_SALE,
    }
    return event_create(hall=hall, **{**defaults, **fields})
