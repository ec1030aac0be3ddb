"""A small world with one of everything, seen from four callers: anonymous, buyer, other, staff.

Shared by the tests of the API plumbing and contract (tests/config/, where the ``world`` fixture
is registered) and by any test that needs a populated product.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from tests.factories import (
    HallFactory,
    StaffFactory,
    UserFactory,
    VenueFactory,
    hall_with_layout,
    on_sale_event,
)
from ticketing.models import Booking, Event, EventSeat, Hold
from ticketing.services.bookings import booking_confirm
from ticketing.services.holds import hold_create


@dataclass
class World:
    buyer: User
    other: User
    staff: User
    event: Event  # on sale, 3 sections x 2 rows x 5 seats
    draft: Event
    hold: Hold  # the buyer's live hold
    other_hold: Hold
    booking: Booking  # the buyer's confirmed booking
    other_booking: Booking
    empty_hall_id: int  # a hall with no layout and no events: layout PUT and DELETE succeed
    spare_venue_id: int  # a venue with no halls: DELETE succeeds
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        token = self.tokens.get(role)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def free_seat_ids(self) -> list[int]:
        return list(
            EventSeat.objects.filter(event=self.event, status=EventSeat.Status.AVAILABLE)
            .order_by("id")
            .values_list("id", flat=True)
        )


def access_token(user: User) -> str:
    return str(RefreshToken.for_user(user).access_token)


def make_world() -> World:
    buyer, other, staff = UserFactory(), UserFactory(), StaffFactory()
    event = on_sale_event(
        hall=hall_with_layout(sections=3, rows=2, seats=5),
        ticket_types=[
            {"code": "reduced", "name": "Reduced", "prices": {"vip": "40.00", "standard": "20.00"}},
            {"code": "child", "name": "Child", "prices": {"standard": "10.00"}, "max_per_booking": 1},
        ],
    )
    draft = on_sale_event(status=Event.Status.DRAFT, starts_in=timedelta(days=30))
    seats = list(EventSeat.objects.filter(event=event).order_by("id").values_list("id", flat=True))
    booking = booking_confirm(
        buyer=buyer, hold_id=hold_create(buyer=buyer, event=event, seat_ids=seats[:2]).pk
    )
    other_booking = booking_confirm(
        buyer=other, hold_id=hold_create(buyer=other, event=event, seat_ids=seats[2:4]).pk
    )
    hold = hold_create(buyer=buyer, event=event, seat_ids=seats[4:6])
    other_hold = hold_create(buyer=other, event=event, seat_ids=seats[6:8])
    world = World(
        buyer=buyer,
        other=other,
        staff=staff,
        event=event,
        draft=draft,
        hold=hold,
        other_hold=other_hold,
        booking=booking,
        other_booking=other_booking,
        empty_hall_id=HallFactory().pk,
        spare_venue_id=VenueFactory().pk,
    )
    world.tokens = {"buyer": access_token(buyer), "other": access_token(other), "staff": access_token(staff)}
    assert timezone.now() < hold.expires_at
    return world
