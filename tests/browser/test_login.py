"""Logging in through the Google emulator in a real browser, as each demo person would.

One stack (started as `make run` starts it) serves the whole module; each test gets a fresh browser
context, so no login cookie is shared between people. A screenshot of each role's first page is
saved to docs/screenshots/<role>-<language>.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright

from db.models import Role
from integrations.demo import DEMO_PEOPLE
from pages._messages import MESSAGES
from tests.conftest import need
from tests.stack import ROOT, Stack, running_stack

pytestmark = pytest.mark.browser

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
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
# A Streamlit page needs 2-4 s to become interactive; the OIDC round trip adds a few more.
UI_TIMEOUT_MS = 30_000

ALL_PAGES = ("my_integrations", "google_connection", "trainers", "users", "notifications")
PAGES_BY_ROLE = {
    Role.TRAINER: ("my_integrations", "google_connection", "notifications"),
    Role.STAFF: ("trainers", "notifications"),
    Role.MANAGER: ("trainers", "users", "notifications"),
}


def text(key: str, lang: str) -> str:
    return MESSAGES[key][lang]


def demo_email(role: Role) -> str:
    return next(person.email for person in DEMO_PEOPLE if person.role is role)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    need(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    with running_stack(tmp_path_factory.mktemp("browser-stack")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Browser]:
    expect.set_options(timeout=UI_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile that can reach only this machine (no web fonts, no telemetry)."""
    fresh = browser.new_context(viewport={"width": 1400, "height": 900})
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


def wait_until_idle(page: Page) -> None:
    """The script has finished its run and any table has drawn itself."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)
    tables = page.get_by_test_id("stDataFrame")
    for index in range(tables.count()):
        # The grid paints on a canvas; its cells exist in the DOM once it has data to paint.
        expect(tables.nth(index).locator("[role=gridcell]").first).to_be_attached()


def expect_pages_of(page: Page, role: Role, lang: str) -> None:
    """The sidebar offers exactly the role's pages, in order, and none of the others."""
    navigation = page.get_by_test_id("stSidebarNav")
    allowed = PAGES_BY_ROLE[role]
    links = navigation.get_by_test_id("stSidebarNavLink")
    expect(links).to_have_count(len(allowed))
    expect(links).to_contain_text([text(f"page.{key}", lang) for key in allowed])
    for key in ALL_PAGES:
        if key not in allowed:
            expect(navigation.get_by_text(text(f"page.{key}", lang), exact=True)).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_have_text(text(f"page.{allowed[0]}", lang))


def expect_logged_in_as(page: Page, role: Role, lang: str) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(demo_email(role))).to_be_visible()
    expect(page.get_by_role("button", name=text("login.button", lang))).to_have_count(0)
    expect_pages_of(page, role, lang)
    expect(page.get_by_text(text("app.demo_banner", lang))).to_be_visible()
    direction = "rtl" if lang == "he" else "ltr"
    expect(page.get_by_test_id("stAppViewContainer")).to_have_css("direction", direction)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.STAFF, Role.TRAINER], ids=str)
def test_each_role_logs_in_and_sees_only_its_pages(
    role: Role, stack: Stack, context: BrowserContext
) -> None:
    """Choosing a demo account in the emulator logs that person in, in Hebrew, right to left,
    with only their role's pages; the login survives a full page load, and English works too."""
    page = context.new_page()
    log_in(page, stack, account=demo_email(role))
    expect_logged_in_as(page, role, "he")

    page.reload()
    expect_logged_in_as(page, role, "he")
    wait_until_idle(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{role.value}-he.png")

    languages = page.get_by_test_id("stSidebar").get_by_role("radiogroup")
    languages.get_by_role("radio", name="English").click()
    expect_logged_in_as(page, role, "en")
    wait_until_idle(page)
    page.screenshot(path=SCREENSHOTS / f"{role.value}-en.png")


def test_an_email_that_was_never_invited_sees_the_not_invited_page(
    stack: Stack, context: BrowserContext
) -> None:
    """Someone the emulator knows but the console does not gets the "not invited" page, no menu."""
    page = context.new_page()
    log_in(page, stack, other="stranger@example.com")
    expect(page.get_by_role("heading", name=text("not_invited.heading", "he"))).to_be_visible()
    expect(page.get_by_text("stranger@example.com")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNavLink")).to_have_count(0)
    wait_until_idle(page)
    page.screenshot(path=SCREENSHOTS / "not-invited-he.png")
