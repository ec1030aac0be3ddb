"""The time-to-interactive benchmark's measuring function, on a small event and a live server.

Chromium and Playwright as the browser tests find them (tests/browser/conftest.py): without them
the test is skipped, and with REQUIRE_BROWSER=1 it fails instead.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.browser.conftest import require_chromium
from tests.browser.factories import stadium_event
from tools.bench import tti

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chromium(monkeypatch) -> str:
    executable = require_chromium()
    monkeypatch.setenv("CHROMIUM_PATH", executable)
    return executable


def test_measure_reads_the_time_to_interactive_and_a_section_opening(chromium, live_server):
    # given: a four-stand stadium event (640 seats), served by the live server
    event = stadium_event()
    # when: one cold load at the desktop reference (nothing throttled), in a thread of its own
    # (Playwright's sync API runs an event loop in its thread; the test's ORM stays out of it)
    with ThreadPoolExecutor(max_workers=1) as pool:
        runs = pool.submit(
            tti.measure, base_url=live_server.url, event_id=event.pk, devices=[tti.DESKTOP], repeats=1,
            timeout_s=15,
        ).result()  # fmt: skip
    # then
    (run,) = runs["desktop"]
    assert 0 < run["seatmap_end_ms"] <= run["tti_ms"] < 15_000
    assert run["seatmap_bytes"] > 0 and run["seatmap_decoded_bytes"] > run["seatmap_bytes"] / 2
    assert run["bytes"] > run["seatmap_bytes"]
    assert run["section"] == "North Stand" and run["section_seats_rendered"] == 160
    assert 0 < run["section_switch_ms"] <= run["section_open_ms"]


def test_measure_reports_a_page_that_never_becomes_interactive(chromium, live_server):
    # given: no such event (the page shows "Event not found" and the API answers 404)
    # when / then
    with ThreadPoolExecutor(max_workers=1) as pool, pytest.raises(tti.PageFailed, match="404"):
        pool.submit(
            tti.measure, base_url=live_server.url, event_id=999_999, devices=[tti.DESKTOP], repeats=1,
            timeout_s=10,
        ).result()  # fmt: skip
