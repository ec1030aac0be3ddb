"""The Season admin: its pages load, a season is created and changed through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from tests.factories import StaffFactory, hall_with_layout, on_sale_event
from ticketing.models import Season
from ticketing.services.seasons import season_create, season_hold_create
from venues.models import Seat

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


def _form(hall, events, **extra) -> dict:
    data = {
        "name": "Winter season",
        "hall": hall.pk,
        "status": "on_sale",
        "refund_rule": "none",
        "events": [e.pk for e in events],
        "prices-TOTAL_FORMS": "2",
        "prices-INITIAL_FORMS": "0",
        "prices-0-category": "vip",
        "prices-0-amount": "200.00",
        "prices-1-category": "standard",
        "prices-1-amount": "90.00",
    }
    return {**data, **extra}


def test_staff_create_a_season_in_the_admin(admin_client):
    hall = hall_with_layout()
    events = [on_sale_event(hall=hall, starts_in=timedelta(days=d)) for d in (7, 14)]
    assert admin_client.get(reverse("admin:ticketing_season_add")).status_code == 200
    response = admin_client.post(reverse("admin:ticketing_season_add"), _form(hall, events))
    assert response.status_code == 302, response.content.decode()[:2000]
    season = Season.objects.get()
    assert season.refund_rule == "none" and season.events.count() == 2
    assert {p.category: str(p.amount) for p in season.prices.all()} == {"vip": "200.00", "standard": "90.00"}
    assert admin_client.get(reverse("admin:ticketing_season_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:ticketing_season_change", args=[season.pk])).status_code == 200


def test_the_admin_refuses_another_halls_event(admin_client):
    hall = hall_with_layout()
    response = admin_client.post(reverse("admin:ticketing_season_add"), _form(hall, [on_sale_event()]))
    assert response.status_code == 200 and not Season.objects.exists()


def test_events_cannot_change_once_the_season_has_holds(admin_client, buyer):
    hall = hall_with_layout()
    first, second = (on_sale_event(hall=hall, starts_in=timedelta(days=d)) for d in (7, 14))
    season = season_create(name="S", hall=hall, event_ids=[first.pk], prices={"vip": "10", "standard": "5"})
    seat = Seat.objects.filter(section__hall=hall).order_by("id").first()
    season_hold_create(buyer=buyer, season=season, seat_ids=[seat.pk])
    data = _form(hall, [first, second])
    data.pop("hall")
    response = admin_client.post(
        reverse("admin:ticketing_season_change", args=[season.pk]), data, follow=True
    )
    assert list(season.events.all()) == [first]
    assert any("can no longer change" in str(m) for m in response.context["messages"])
