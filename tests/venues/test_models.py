"""The database refuses what the layout service would never write."""

from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.factories import HallFactory, VenueFactory
from venues.models import Hall, Seat, Section, Venue, validate_time_zone

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


# --- The time zone ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Europe/Paris", "America/New_York", "UTC", "Asia/Kolkata"])
def test_an_iana_time_zone_is_valid(name):
    validate_time_zone(name)  # no error


@pytest.mark.parametrize(
    "name",
    ["Europe/Lyon", "CET+1", "", " ", "../../etc/passwd", "/usr/share/zoneinfo/UTC", "Paris"],
    ids=["unknown-city", "junk", "empty", "blank", "path", "absolute-path", "bare-city"],
)
def test_an_unknown_time_zone_gets_a_clear_error(name):
    with pytest.raises(ValidationError) as raised:
        validate_time_zone(name)
    assert raised.value.code == "invalid_time_zone"
    assert "Unknown time zone" in raised.value.messages[0]
    assert "IANA" in raised.value.messages[0]


def test_the_model_validates_its_time_zone():
    venue = VenueFactory.build(time_zone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError) as raised:
        venue.full_clean()
    assert set(raised.value.message_dict) == {"time_zone"}


def test_a_venue_is_in_utc_until_staff_say_otherwise():
    venue = VenueFactory()
    assert venue.time_zone == "UTC"
    assert venue.zone == ZoneInfo("UTC")
    assert VenueFactory(time_zone="Europe/Paris").zone == ZoneInfo("Europe/Paris")


def test_an_empty_time_zone_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Venue.objects.create(name="Nowhere", kind=Venue.Kind.ARENA, city="Lyon", time_zone="")
