"""What every browser test shares: one stack started as `make run` starts it, Debian's Chromium,
fresh contexts that reach only this machine, and the steps a person takes to log in."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright

from db.models import Role
from integrations.messages import MESSAGES
from integrations.processes.demo import DEMO_PEOPLE
from tests.support.ci import need
from tests.support.stack import ROOT, Stack, running_stack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SCREENSHOTS = ROOT / "docs" / "screenshots"
#: The README's screenshots are taken by `make screenshots` (SCREENSHOTS=1), never by `make test`,
#: so that a test run leaves the checkout as it found it.
WRITE_SCREENSHOTS = os.environ.get("SCREENSHOTS") == "1"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
# A Streamlit page needs 2-4 s to become interactive; the OIDC round trip adds a few more.
UI_TIMEOUT_MS = 30_000


def text(key: str, lang: str) -> str:
    return MESSAGES[key][lang]


def demo_email(role: Role) -> str:
    return next(person.email for person in DEMO_PEOPLE if person.role is role)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    need(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    with running_stack(tmp_path_factory.mktemp("browser-stack")) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for every browser test: Playwright's sync API allows one driver at a time."""
    need(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    expect.set_options(timeout=UI_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def local_context(browser: Browser, height: int = 900) -> Iterator[BrowserContext]:
    """A fresh profile that can reach only this machine (no web fonts, no telemetry)."""
    fresh = browser.new_context(viewport={"width": 1400, "height": height})
    fresh.set_default_timeout(UI_TIMEOUT_MS)

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            route.abort()

    fresh.route("**/*", only_local)
    try:
        yield fresh
    finally:
        fresh.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    with local_context(browser) as fresh:
        yield fresh


def log_in(
    page: Page, stack: Stack, *, account: str | None = None, other: str | None = None
) -> None:
    """From the app's login screen through the emulator's account chooser and back."""
    page.goto(stack.public_url)
    page.get_by_role("button", name=text("login.button", "he")).click()
    expect(page).to_have_url(re.compile("^" + re.escape(stack.emulator_url) + "/o/oauth2/"))
    if account is not None:
        page.get_by_role("button", name=account).click()
    else:
        assert other is not None
        page.locator("input[name=other_email]").fill(other)
        page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile("^" + re.escape(stack.public_url) + "/"))


def screenshot(page: Page, name: str) -> None:
    """Save docs/screenshots/`name` when screenshots are asked for (`make screenshots`)."""
    if WRITE_SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / name)


def wait_until_idle(page: Page) -> None:
    """The script has finished its run and any table has drawn itself."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)
    tables = page.get_by_test_id("stDataFrame")
    for index in range(tables.count()):
        # The grid paints on a canvas; its cells exist in the DOM once it has data to paint.
        expect(tables.nth(index).locator("[role=gridcell]").first).to_be_attached()
