"""The venues admin: writes go through the venue, hall and layout services."""

import json

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import HallFactory, StaffFactory, VenueFactory, hall_with_layout, on_sale_event
from venues.models import Hall, Seat, Venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


def url(model, view, *args) -> str:
    return reverse(f"admin:venues_{model._meta.model_name}_{view}", args=args)


def halls_formset(*forms, initial=0) -> dict:
    data = {
        "halls-TOTAL_FORMS": str(len(forms)),
        "halls-INITIAL_FORMS": str(initial),
        "halls-MIN_NUM_FORMS": "0",
        "halls-MAX_NUM_FORMS": "1000",
    }
    for index, form in enumerate(forms):
        data.update({f"halls-{index}-{key}": value for key, value in form.items()})
    return data


def test_adding_a_venue_with_a_hall(admin_client):
    data = {
        "name": "  Arena  ",
        "kind": "arena",
        "city": "Nantes",
        "address": "",
        "time_zone": "Europe/Paris",
        **halls_formset({"name": "Floor"}),
    }
    response = admin_client.post(url(Venue, "add"), data)
    assert response.status_code == 302
    venue = Venue.objects.get()
    assert venue.name == "Arena"  # normalised by venue_create
    assert venue.time_zone == "Europe/Paris"
    assert list(venue.halls.values_list("name", flat=True)) == ["Floor"]


def test_renaming_a_hall_inline(admin_client):
    hall = HallFactory(name="Old")
    venue = hall.venue
    data = {
        "name": venue.name,
        "kind": venue.kind,
        "city": venue.city,
        "address": "",
        "time_zone": venue.time_zone,
        **halls_formset({"id": str(hall.pk), "venue": str(venue.pk), "name": "New"}, initial=1),
    }
    assert admin_client.post(url(Venue, "change", venue.pk), data).status_code == 302
    hall.refresh_from_db()
    assert hall.name == "New"


def _venue_form(venue, **changes) -> dict:
    fields = {name: getattr(venue, name) for name in ("name", "kind", "city", "address", "time_zone")}
    return {**fields, **changes, **halls_formset()}


def test_the_venue_form_shows_and_changes_its_time_zone(admin_client):
    venue = VenueFactory(time_zone="Europe/Paris")
    page = admin_client.get(url(Venue, "change", venue.pk)).content.decode()
    assert 'name="time_zone"' in page and 'value="Europe/Paris"' in page
    response = admin_client.post(url(Venue, "change", venue.pk), _venue_form(venue, time_zone="Asia/Tokyo"))
    assert response.status_code == 302
    venue.refresh_from_db()
    assert venue.time_zone == "Asia/Tokyo"


def test_an_unknown_time_zone_is_refused_on_the_form(admin_client):
    venue = VenueFactory(time_zone="Europe/Paris")
    response = admin_client.post(url(Venue, "change", venue.pk), _venue_form(venue, time_zone="Europe/Lyon"))
    assert response.status_code == 200  # the form again, with the error
    assert "time_zone" in response.context["adminform"].form.errors
    assert "Unknown time zone" in response.content.decode()
    venue.refresh_from_db()
    assert venue.time_zone == "Europe/Paris"


def test_a_venue_with_halls_cannot_be_deleted(admin_client):
    hall = HallFactory()
    response = admin_client.post(url(Venue, "delete", hall.venue_id), {"post": "yes"})
    assert response.status_code == 200  # the "cannot delete, protected" page
    assert Venue.objects.filter(pk=hall.venue_id).exists()


def test_a_venue_without_halls_is_deleted(admin_client):
    venue = VenueFactory()
    assert admin_client.post(url(Venue, "delete", venue.pk), {"post": "yes"}).status_code == 302
    assert not Venue.objects.filter(pk=venue.pk).exists()


def test_the_hall_page_shows_sections_and_seat_counts(admin_client):
    hall = hall_with_layout(sections=2, rows=3, seats=4)
    response = admin_client.get(url(Hall, "change", hall.pk))
    assert response.status_code == 200
    assert response.context["original"].seats_total == 24
    content = response.content.decode()
    assert "Section 1" in content and "Section 2" in content
    assert url(Hall, "layout", hall.pk) in content


def test_replacing_a_layout_from_the_admin(admin_client):
    hall = HallFactory()
    assert admin_client.get(url(Hall, "layout", hall.pk)).status_code == 200
    layout = {
        "sections": [{"name": "Stalls", "rows": [{"label": "A", "seats": 8}, {"label": "B", "seats": 9}]}]
    }
    response = admin_client.post(url(Hall, "layout", hall.pk), {"text": json.dumps(layout)})
    assert response.status_code == 302
    assert Seat.objects.filter(section__hall=hall).count() == 17
    assert "17 seats" in " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_replacing_a_layout_from_an_uploaded_file(admin_client):
    hall = HallFactory()
    upload = SimpleUploadedFile(
        "layout.json", json.dumps([{"name": "S", "rows": [{"label": "A", "seats": 3}]}]).encode()
    )
    assert admin_client.post(url(Hall, "layout", hall.pk), {"file": upload}).status_code == 302
    assert Seat.objects.filter(section__hall=hall).count() == 3


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("{not json", "not valid JSON"),
        ("", "Upload a file or paste a layout"),
        (json.dumps({"sections": [{"name": "S", "rows": []}]}), "sections[0].rows"),
    ],
)
def test_an_invalid_layout_is_shown_and_nothing_changes(admin_client, text, error):
    hall = hall_with_layout()
    response = admin_client.post(url(Hall, "layout", hall.pk), {"text": text})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert Seat.objects.filter(section__hall=hall).count() == 10


def test_a_layout_in_use_is_refused_in_the_admin(admin_client):
    event = on_sale_event()
    layout = json.dumps({"sections": [{"name": "S", "rows": [{"label": "A", "seats": 3}]}]})
    response = admin_client.post(url(Hall, "layout", event.hall_id), {"text": layout})
    assert response.status_code == 200
    assert "used by events" in response.content.decode()
    assert Seat.objects.filter(section__hall=event.hall).count() == 10


def test_a_hall_used_by_events_cannot_be_deleted(admin_client):
    event = on_sale_event()
    response = admin_client.post(url(Hall, "delete", event.hall_id), {"post": "yes"})
    assert response.status_code == 200
    assert Hall.objects.filter(pk=event.hall_id).exists()


def test_deleting_a_hall_summarises_and_deletes_its_layout(admin_client):
    hall = hall_with_layout()
    confirm = admin_client.get(url(Hall, "delete", hall.pk))
    assert "10 seats" in confirm.content.decode()
    assert admin_client.post(url(Hall, "delete", hall.pk), {"post": "yes"}).status_code == 302
    assert not Hall.objects.filter(pk=hall.pk).exists()
    assert not Seat.objects.filter(section__hall_id=hall.pk).exists()


def test_sections_and_seats_are_read_only(admin_client):
    hall = hall_with_layout()
    seat = Seat.objects.filter(section__hall=hall).first()
    assert admin_client.get(url(Seat, "changelist")).status_code == 200
    assert admin_client.get(url(Seat, "change", seat.pk)).status_code == 200
    assert admin_client.get(url(Seat, "add")).status_code == 403
    assert admin_client.post(url(Seat, "delete", seat.pk), {"post": "yes"}).status_code == 403
