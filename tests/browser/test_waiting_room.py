"""The waiting room in headless Chromium: a buyer joins, sees their place, is let through at the
staff-set rate, lands on the seat map and holds a seat with the pass (real Redis, db 7)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import log_in
from tests.browser.factories import cinema_event
from tests.factories import UserFactory
from ticketing.models import Hold
from ticketing.services.waiting_room import waiting_room_join

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_buyer_waits_is_admitted_and_holds_a_seat(open_page, shots, queue_redis):
    # given: a show whose waiting room is open, 20 buyers a minute (one every 3 s), and one
    # buyer already through ahead of ours
    event = cinema_event()
    event.waiting_room_opens_at, event.waiting_room_admit_per_minute = (
        timezone.now() - timedelta(seconds=1),
        20,
    )
    event.save()  # mirrored into Redis as it commits
    first = waiting_room_join(event_id=event.pk, buyer=UserFactory(username="early"))
    assert first.status == "admitted"
    UserFactory(username="hana")
    page = open_page()
    # when: our buyer opens the event
    log_in(page, "hana", next_path=f"/events/{event.pk}")
    # then: the waiting room, with their place in line and the wait
    page.get_by_role("heading", name="Waiting room").wait_for()
    status = page.locator(".queue-status")
    status.get_by_text("You are number 1 in line.").wait_for()
    assert "Nobody is ahead of you" in status.inner_text()
    assert page.locator(".queue [role=status]").count() == 1  # the live region
    assert "Sales opened" in page.locator(".queue-opens").inner_text()
    shots(page, "waiting-room", readme="waiting-room")
    # and a few seconds later: admitted, on the seat map
    page.wait_for_selector("html[data-seatmap=ready] button.seat", timeout=15_000)
    shots(page, "admitted-seat-map")
    page.locator("button.seat.st-available").first.click()
    page.get_by_role("button", name="Hold 1 seat").click()
    page.locator("[role=timer]:visible").wait_for()
    assert Hold.objects.filter(buyer__username="hana", event=event).count() == 1
    shots(page, "held-with-the-pass")


def test_before_opening_the_page_says_when_and_how_many_wait(open_page, shots, queue_redis):
    event = cinema_event()
    opens = timezone.now() + timedelta(hours=2)
    event.waiting_room_opens_at, event.waiting_room_admit_per_minute = opens, 100
    event.save()  # mirrored into Redis as it commits
    for number in range(3):
        waiting_room_join(event_id=event.pk, buyer=UserFactory(username=f"fan{number}"))
    UserFactory(username="hana")
    page = open_page()
    log_in(page, "hana", next_path=f"/events/{event.pk}")
    page.locator(".queue-status").get_by_text("You are in the waiting room.").wait_for()
    text = page.locator(".queue").inner_text()
    assert "4 people are waiting" in text
    assert "Sales open" in text and "Opening in about 2 hours" in text
    shots(page, "before-opening")
