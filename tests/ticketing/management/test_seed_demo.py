"""seed_demo: the documented demo data, and running it twice changes nothing."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from ticketing.models import Event, EventPrice, EventSeat, Season, SeasonEvent, SeasonPrice
from venues.models import Hall, Seat, Section, Venue

pytestmark = pytest.mark.django_db

MODELS = [User, Venue, Hall, Section, Seat, Event, EventPrice, EventSeat, Season, SeasonEvent, SeasonPrice]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_is_idempotent():
    output = seed()
    first = counts()
    seed()
    assert counts() == first
    assert "staff" in output and "alice" in output and "bob" in output


def test_seed_demo_creates_the_documented_demo():
    seed()
    # one staff user and two buyers whose printed passwords work
    assert User.objects.get(username="staff").is_staff
    for username, password in [
        ("staff", "staff-demo-pass"),
        ("alice", "alice-demo-pass"),
        ("bob", "bob-demo-pass"),
    ]:
        assert User.objects.get(username=username).check_password(password)
    assert not User.objects.get(username="alice").is_staff
    # a stadium with at least 4 sections, about 2,000 seats, vip and standard
    stadium = Hall.objects.get(venue__kind=Venue.Kind.STADIUM, venue__name="Palais des Sports")
    assert stadium.sections.count() >= 4
    assert 1500 <= Seat.objects.filter(section__hall=stadium).count() <= 2500
    assert set(Seat.objects.filter(section__hall=stadium).values_list("category", flat=True)) == {
        "vip",
        "standard",
    }
    # a cinema with two halls
    assert Hall.objects.filter(venue__name="Lumière Cinema").count() == 2
    # at least 3 matches and 3 shows on sale, every category priced, inventory complete
    on_sale = Event.objects.filter(status=Event.Status.ON_SALE)
    assert on_sale.filter(kind=Event.Kind.MATCH).count() >= 3
    assert on_sale.filter(kind=Event.Kind.SHOW).count() >= 3
    for event in on_sale:
        categories = set(Seat.objects.filter(section__hall=event.hall_id).values_list("category", flat=True))
        assert set(event.prices.values_list("category", flat=True)) >= categories
        assert (
            EventSeat.objects.filter(event=event).count()
            == Seat.objects.filter(section__hall=event.hall_id).count()
        )


def test_seed_demo_venues_are_in_their_cities_zone_and_events_start_at_19_30_there():
    seed()
    assert set(Venue.objects.values_list("time_zone", flat=True)) == {"Europe/Paris"}  # Lyon, Paris
    for event in Event.objects.select_related("hall__venue"):
        local = timezone.localtime(event.starts_at, event.hall.venue.zone)
        assert (local.hour, local.minute) == (19, 30), (event.name, local)


README = Path(__file__).resolve().parents[3] / "README.md"


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_the_readme_import_layout_examples_work_on_a_fresh_demo():
    # given: a fresh demo database, as make demo seeds it (ids from 1)
    seed()
    examples = re.findall(r"manage\.py import_layout (\d+) (\S+)$", README.read_text(), re.MULTILINE)
    assert len(examples) == 2
    for hall_id, path in examples:
        # when: the README's command, typed as it is
        out = StringIO()
        call_command("import_layout", hall_id, str(README.parent / path), stdout=out)
        # then
        hall = Hall.objects.get(pk=hall_id)
        assert f"for {hall} (hall {hall_id})" in out.getvalue()
        assert Seat.objects.filter(section__hall=hall).exists()


def test_seed_demo_sells_a_season_of_the_three_home_matches():
    seed()
    season = Season.objects.get()
    matches = Event.objects.filter(kind=Event.Kind.MATCH, hall=season.hall)
    assert season.status == Season.Status.ON_SALE and matches.count() == 3
    assert set(season.events.values_list("id", flat=True)) == set(matches.values_list("id", flat=True))
    assert {p.category for p in season.prices.all()} == {"vip", "standard"}
