"""End-to-end tests of the buyer web client in real headless Chromium.

Playwright (the Python package) drives Debian's ``chromium`` through ``executable_path``; no
browser download is needed. Without Chromium the tests are skipped with a message, unless
``REQUIRE_BROWSER=1`` (CI sets it): then they fail, so CI can never go green without them.

Screenshots of every step go to ``artifacts/browser/<test>/``; with ``UPDATE_SCREENSHOTS=1`` the
ones named for the README are also copied to ``docs/screenshots/``.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# The live server listens on 127.0.0.1 (not "localhost", which may resolve to ::1 first).
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
README_SHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "buyer-pass-123"  # tests.factories.UserFactory's password
# axe-core, pinned in tests/browser/axe/package-lock.json and installed there by `make install`
AXE_JS = ROOT / "tests" / "browser" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


def _unavailable(reason: str):
    message = f"Browser tests need Chromium and Playwright: {reason}"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"{message} (REQUIRE_BROWSER=1, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(f"{message}. Install Debian's `chromium` (or set CHROMIUM_PATH) to run them.")


def require_chromium() -> str:
    """Debian's Chromium for Playwright, or a skip (a failure under REQUIRE_BROWSER=1)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the `playwright` package is not installed")
    executable = chromium_path()
    if not executable:
        _unavailable("no `chromium` executable on PATH")
    return executable


@pytest.fixture(scope="package")
def browser():
    """One Chromium for this package's tests, stopped after the last of them.

    Playwright's sync API keeps an event loop running in this thread while it is started, so
    Django would refuse the tests' own (synchronous) ORM calls: allow them here, and only here.
    """
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class Shots:
    """Numbered screenshots of one test's steps."""

    folder: Path
    count: int = 0
    saved: list[Path] = field(default_factory=list)

    def __call__(self, page, name: str, *, readme: str | None = None, full_page: bool = False) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        if full_page:
            page.evaluate("window.scrollTo(0, 0)")  # else the sticky top bar lands mid-page
            # Rows of seats off screen are skipped by the browser (content-visibility: auto) and
            # a full-page capture does not bring them back: draw them for the picture.
            page.evaluate(
                "document.querySelectorAll('.seat-row')"
                ".forEach((row) => row.style.contentVisibility = 'visible')"
            )
        page.screenshot(path=str(path), full_page=full_page)
        self.saved.append(path)
        if readme and os.environ.get("UPDATE_SCREENSHOTS") == "1":
            README_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, README_SHOTS / f"{readme}.png")
        return path


@pytest.fixture
def shots(request) -> Shots:
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return Shots(folder)


@pytest.fixture
def open_page(browser, live_server):
    """open_page(viewport=...) → a page in a fresh browser context (its own storage and session).

    Uncaught JavaScript errors fail the test; so do console errors other than the browser's
    own "Failed to load resource" lines for the 4xx answers the tests provoke on purpose.
    """
    contexts = []
    pages = []
    errors: list[str] = []
    in_flight: set = set()

    def factory(*, viewport=None, **options):
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        context.on("page", watch)  # so are the pages a test opens with page.context.new_page()
        page = context.new_page()
        page.base_url = live_server.url + "/"
        return page

    def watch(page):
        page.base_url = live_server.url + "/"
        pages.append(page)
        page.on("request", lambda request: in_flight.add(request))
        page.on("requestfinished", lambda request: in_flight.discard(request))
        page.on("requestfailed", lambda request: in_flight.discard(request))
        page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
        page.on(
            "console",
            lambda msg: (
                errors.append(f"console: {msg.text}")
                if msg.type == "error" and "Failed to load resource" not in msg.text
                else None
            ),
        )

    yield factory
    # Stop the pages' polling and let their last requests finish before the test database is
    # flushed, so that the live server never answers for data that is being deleted.
    pages = [page for page in pages if not page.is_closed()]
    for page in pages:
        set_visibility(page, "hidden")
    for _ in range(100):
        if not in_flight:
            break
        pages[0].wait_for_timeout(50)
    for context in contexts:
        context.close()
    assert not errors, errors


@pytest.fixture
def axe():
    """axe(page) → the axe-core violations of the page as it is now (every impact).

    The page must come from ``open_page(bypass_csp=True)``: axe is injected as an inline script,
    which the client's CSP (``script-src 'self'``) refuses otherwise. Finite animations (a toast
    fading in) are let finish first, so that colours are measured as they end up.
    """
    if not AXE_JS.exists():
        _unavailable(f"axe-core is not installed ({AXE_JS.relative_to(ROOT)}; `make install` runs npm)")

    def run(page) -> list[dict]:
        page.wait_for_function(
            """() => document.getAnimations()
                .filter((a) => a.effect.getComputedTiming().iterations !== Infinity)
                .every((a) => a.playState !== "running")"""
        )
        page.add_script_tag(path=str(AXE_JS))
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        return result["violations"]

    return run


def describe_violations(violations: list[dict]) -> str:
    """One paragraph per violation: rule, impact, message, and each element with axe's summary."""
    lines = []
    for violation in violations:
        rule = f"{violation['id']} ({violation['impact']})"
        lines.append(f"{rule}: {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"  {' > '.join(map(str, node['target']))}: {node['html'][:300]}")
            lines.append(f"    {summary}")
    return "\n".join(lines)


def set_visibility(page, state: str) -> None:
    """Pretend the tab was hidden or shown again (a headless tab is always 'visible')."""
    page.evaluate(
        """state => {
            Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        state,
    )


def log_in(page, username: str, *, next_path: str = "/") -> None:
    """Log in through the form, as a buyer does."""
    page.goto(f"{page.base_url}#/login?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()


def seat(page, seat_id: int):
    return page.locator(f'button.seat[data-id="{seat_id}"]')


def seat_status(page, seat_id: int) -> str | None:
    classes = seat(page, seat_id).get_attribute("class") or ""
    match = re.search(r"\bst-(\w+)", classes)
    return match.group(1) if match else None


def wait_for_status(page, seat_pk: int, status: str, timeout_s: float = 5.0) -> float:
    """Wait until the seat shows `status` on this page; returns the time.monotonic() it did."""
    page.wait_for_function(
        "([id, status]) => document.querySelector(`button.seat[data-id='${id}']`)"
        "?.classList.contains(`st-${status}`)",
        arg=[seat_pk, status],
        polling=25,
        timeout=timeout_s * 1000,
    )
    return time.monotonic()
