"""Fixtures of the extras' tests: layouts for best available, gate staff, the fake gateway."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from tests.conftest import client_for
from tests.factories import HallFactory, UserFactory, on_sale_event
from ticketing.models import EventSeat
from ticketing.payments import payment_gateway
from venues.services import layout_replace


def event_with_rows(*rows: int, sections: int = 1, categories: list[str] | None = None, **fields):
    """An on-sale event whose hall has ``sections`` sections with rows of the given lengths.

    Rows are A, B, C...; ``categories`` per row (default: all standard).
    """
    categories = categories or ["standard"] * len(rows)
    hall = HallFactory()
    layout_replace(
        hall=hall,
        sections=[
            {
                "name": f"Section {s + 1}",
                "rows": [
                    {"label": chr(ord("A") + r), "seats": n, "category": categories[r]}
                    for r, n in enumerate(rows)
                ],
            }
            for s in range(sections)
        ],
    )
    prices = {category: "10.00" for category in set(categories)}
    return on_sale_event(hall=hall, prices=prices, **fields)


def seat_id(event, label: str, section: str = "Section 1") -> int:
    """The event-seat id of e.g. ``"A3"`` (row A, seat 3)."""
    return EventSeat.objects.get(
        event=event, seat__section__name=section, seat__row_label=label[0], seat__number=int(label[1:])
    ).id


def labels(ids) -> list[str]:
    rows = EventSeat.objects.filter(id__in=list(ids)).values_list("seat__row_label", "seat__number")
    return sorted(f"{row}{number}" for row, number in rows)


@pytest.fixture
def gate_user(db):
    user = UserFactory(username="gatekeeper")
    user.groups.add(Group.objects.get_or_create(name="gate")[0])
    return user


@pytest.fixture
def gate_client(gate_user):
    return client_for(gate_user)


@pytest.fixture
def fake_gateway():
    gateway = payment_gateway()
    gateway.calls.clear()
    yield gateway
    gateway.calls.clear()
