"""Flash messages are toasts over the page: nothing on the page moves when one comes or goes.

They used to be a banner above the content that pushed it down by ~58 px and pulled it back up
after 6 s, under the buyer's pointer.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in
from tests.browser.factories import cinema_event
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width, height", [(390, 844), (1280, 900)])
def test_a_flash_moves_nothing_when_it_comes_or_goes(open_page, shots, width, height):
    # given: a buyer who has just logged in on the event list, the "Welcome back" toast shown
    cinema_event()
    UserFactory(username="gail")
    page = open_page(viewport={"width": width, "height": height})
    log_in(page, "gail")
    card = page.locator(".event-card").first
    card.wait_for()
    toast = page.locator("#flash")
    page.get_by_role("status").filter(has_text="Welcome back, gail.").wait_for()
    welcome = card.bounding_box()
    shots(page, f"welcome-{width}")
    # when: it goes away by itself (6 s)
    page.get_by_role("status").filter(has_text="Welcome back").wait_for(state="detached", timeout=8000)
    assert not toast.get_by_role("button", name="Dismiss message").is_visible()
    before = card.bounding_box()
    # ...then a new one comes (logging out), and is closed with its button
    page.locator("#account").get_by_role("button", name="Log out").click()
    page.get_by_role("status").filter(has_text="You are logged out.").wait_for()
    during = card.bounding_box()
    shown = toast.bounding_box()
    shots(page, f"logged-out-{width}")
    toast.get_by_role("button", name="Dismiss message").click()
    assert toast.inner_text().strip() == ""
    after = card.bounding_box()
    # then: the card never moved
    print(f"{width} px: event card at {welcome}, {before}, {during}, {after}")
    assert welcome == before == during == after
    # ...and the toast was whole on screen, then closed to an invisible box of no height
    assert shown["x"] >= 0 and shown["x"] + shown["width"] <= width, shown
    assert shown["y"] >= 0 and shown["y"] + shown["height"] <= height, shown
    assert toast.bounding_box()["height"] == 0
