"""The season emails name each ticket's event and its date, as at the venue: the events of a
season often share a name (the same two teams), and only the date tells them apart."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.factories import UserFactory, hall_with_layout, on_sale_event
from ticketing.services.bookings import booking_create, bookings_cancel
from ticketing.services.seasons import season_create, season_hold_create
from venues.models import Seat, Venue

pytestmark = pytest.mark.django_db


def test_each_line_of_the_season_emails_names_its_events_date_at_the_venue(
    fake_gateway, mailoutbox, django_capture_on_commit_callbacks
):
    # given: a 2-match season in New York, the same two teams, a week either side of the change
    # to summer time; the later match created first (its id is the smaller)
    hall = hall_with_layout()
    Venue.objects.filter(pk=hall.venue_id).update(time_zone="America/New_York")
    later = on_sale_event(hall=hall, starts_at=datetime(2027, 3, 20, 23, 30, tzinfo=UTC))
    earlier = on_sale_event(hall=hall, starts_at=datetime(2027, 3, 6, 0, 30, tzinfo=UTC))
    assert earlier.name == later.name
    season = season_create(
        name="Season 2027",
        hall=hall,
        event_ids=[earlier.pk, later.pk],
        prices={"vip": "300.00", "standard": "100.00"},
    )
    buyer = UserFactory(email="sam@example.com")
    seat = Seat.objects.filter(section__hall=hall).order_by("id").first()
    row, number = seat.row_label, seat.number

    # when: the buyer books one seat for the season, then cancels before it starts
    with django_capture_on_commit_callbacks(execute=True):
        hold = season_hold_create(buyer=buyer, season=season, seat_ids=[seat.pk])
        booking = booking_create(buyer=buyer, hold_id=hold.pk)
    confirmed = mailoutbox[-1].body
    with django_capture_on_commit_callbacks(execute=True):
        bookings_cancel(booking_ids=[booking.pk], actor=buyer)
    cancelled = mailoutbox[-1].body

    # then: a line per event, in the order they are played, each with its local date and time
    where = f"section {seat.section.name}, row {row}, seat {number}"
    first = f"- {earlier.name}, Friday 5 March 2027, 19:30 EST: {where}"
    second = f"- {later.name}, Saturday 20 March 2027, 19:30 EDT: {where}"
    for body in (confirmed, cancelled):
        lines = [line for line in body.splitlines() if line.startswith("- ")]
        assert len(lines) == 2, body
        assert lines[0].startswith(first), body
        assert lines[1].startswith(second), body
    assert f"{booking.total} will be refunded" in cancelled  # cancelled before the season: in full
