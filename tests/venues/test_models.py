"""The database refuses what the layout service would never write."""

import pytest
from django.db import IntegrityError, transaction

from tests.factories import HallFactory, VenueFactory
from venues.models import Hall, Seat, Section, Venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def section():
    return Section.objects.create(hall=HallFactory(), name="North", position=0)


def seat(section, **fields):
    return Seat(section=section, **{"row_label": "A", "row_index": 0, "number": 1, **fields})


def test_a_seat_cannot_exist_twice_in_a_row_of_a_section(section):
    seat(section).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Seat.objects.bulk_create([seat(section)])


def test_the_same_seat_number_in_another_row_or_section_is_fine(section):
    other = Section.objects.create(hall=section.hall, name="South", position=1)
    Seat.objects.bulk_create([seat(section), seat(section, row_label="B", row_index=1), seat(other)])
    assert Seat.objects.count() == 3


@pytest.mark.parametrize(
    "fields",
    [{"number": 0}, {"number": 10_001}, {"row_label": ""}, {"category": ""}],
    ids=["number-0", "number-too-big", "empty-row", "empty-category"],
)
def test_seat_check_constraints(section, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Seat.objects.bulk_create([seat(section, **fields)])


def test_section_names_are_unique_per_hall(section):
    with pytest.raises(IntegrityError), transaction.atomic():
        Section.objects.create(hall=section.hall, name="North", position=1)
    Section.objects.create(hall=HallFactory(), name="North", position=0)  # another hall: fine


def test_hall_names_are_unique_per_venue():
    venue = VenueFactory()
    Hall.objects.create(venue=venue, name="Screen 1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Hall.objects.create(venue=venue, name="Screen 1")


def test_venue_kind_is_checked_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Venue.objects.create(name="Nowhere", kind="barn", city="Lyon")


def test_venue_names_are_unique():
    VenueFactory(name="Arena")
    with pytest.raises(IntegrityError), transaction.atomic():
        Venue.objects.create(name="Arena", kind=Venue.Kind.ARENA, city="Lyon")
