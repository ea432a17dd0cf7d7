"""Logging in through the Google emulator in a real browser, as each demo person would.

One stack (started as `make run` starts it) serves every browser test; each test gets a fresh
browser context, so no login cookie is shared between people. A screenshot of each role's first
page is saved to docs/screenshots/<role>-<language>.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from db.models import Role
from tests.support.browser import demo_email, log_in, screenshot, text, wait_until_idle
from tests.support.stack import Stack

pytestmark = pytest.mark.browser

ALL_PAGES = (
    "my_integrations",
    "google_connection",
    "sync_settings",
    "trainers",
    "events",
    "manual_sync",
    "users",
    "health",
    "notifications",
)
PAGES_BY_ROLE = {
    Role.TRAINER: (
        "my_integrations",
        "google_connection",
        "sync_settings",
        "events",
        "notifications",
    ),
    Role.STAFF: ("trainers", "events", "manual_sync", "notifications"),
    Role.MANAGER: ("trainers", "events", "manual_sync", "users", "health", "notifications"),
}


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
    screenshot(page, f"{role.value}-he.png")

    languages = page.get_by_test_id("stSidebar").get_by_role("radiogroup")
    languages.get_by_role("radio", name="English").click()
    expect_logged_in_as(page, role, "en")
    wait_until_idle(page)
    screenshot(page, f"{role.value}-en.png")

    # The choice is saved for the next login: leave the stack's people in Hebrew, as found.
    languages.get_by_role("radio", name="עברית").click()
    expect_logged_in_as(page, role, "he")


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
    screenshot(page, "not-invited-he.png")

    page.get_by_test_id("stSidebar").get_by_role("radiogroup").get_by_role(
        "radio", name="English"
    ).click()
    expect(page.get_by_role("heading", name=text("not_invited.heading", "en"))).to_be_visible()
    expect(page.get_by_test_id("stAppViewContainer")).to_have_css("direction", "ltr")
    wait_until_idle(page)
    screenshot(page, "not-invited-en.png")


@pytest.mark.parametrize(
    ("role", "home"), [(Role.STAFF, "trainers"), (Role.TRAINER, "my_integrations")], ids=str
)
def test_each_roles_home_page_opens_at_its_own_address(
    role: Role, home: str, stack: Stack, context: BrowserContext
) -> None:
    """A bookmark of the home page's own address (`/trainers`, `/my_integrations`) opens that
    page, not Streamlit's "Page not found" over the default page."""
    page = context.new_page()
    log_in(page, stack, account=demo_email(role))
    expect_logged_in_as(page, role, "he")
    page.goto(f"{stack.public_url}/{home}")
    expect(page.get_by_role("heading", level=1)).to_have_text(text(f"page.{home}", "he"))
    wait_until_idle(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.get_by_test_id("stSidebarNavLink")).to_have_count(len(PAGES_BY_ROLE[role]))
