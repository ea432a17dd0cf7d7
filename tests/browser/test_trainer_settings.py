"""A trainer connects Google and saves how it syncs; screenshots of the remaining pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from db.models import Role
from integrations.processes.demo import DEMO_PEOPLE
from tests.support.browser import demo_email, log_in, screenshot, text, wait_until_idle
from tests.support.stack import Stack

pytestmark = pytest.mark.browser


def open_page(page: Page, key: str, lang: str = "he") -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(text(f"page.{key}", lang), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text(f"page.{key}", lang))


def switch_language(page: Page, lang: str) -> None:
    name = "English" if lang == "en" else "עברית"
    page.get_by_test_id("stSidebar").get_by_role("radiogroup").get_by_role(
        "radio", name=name
    ).click()


def test_a_trainer_saves_sync_settings_and_they_stay(stack: Stack, context: BrowserContext) -> None:
    yossi = next(p.email for p in DEMO_PEOPLE if p.email.startswith("yossi"))
    page = context.new_page()
    log_in(page, stack, account=yossi)
    open_page(page, "google_connection")
    page.get_by_role("button", name=text("google.connect", "he")).click()
    expect(page).to_have_url(re.compile("^" + re.escape(stack.emulator_url) + "/o/oauth2/"))
    page.get_by_role("button", name=yossi).click()
    expect(page).to_have_url(re.compile(re.escape(stack.public_url) + "/google_connection"))
    open_page(page, "sync_settings")
    page.get_by_text(text("settings.frequency.hourly", "he"), exact=True).click()
    page.get_by_role("button", name=text("settings.save", "he")).click()
    expect(page.get_by_text(text("settings.saved", "he"))).to_be_visible()
    page.reload()
    expect(page.get_by_role("radio", name=text("settings.frequency.hourly", "he"))).to_be_checked()
    wait_until_idle(page)
    screenshot(page, "sync-settings-he.png")
    switch_language(page, "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(text("page.sync_settings", "en"))
    wait_until_idle(page)
    screenshot(page, "sync-settings-en.png")
    switch_language(page, "he")
    expect(page.get_by_role("heading", level=1)).to_have_text(text("page.sync_settings", "he"))


def test_screenshots_of_users_and_notifications_in_both_languages(
    stack: Stack, context: BrowserContext
) -> None:
    page = context.new_page()
    log_in(page, stack, account=demo_email(Role.MANAGER))
    for lang in ("he", "en"):
        if lang == "en":
            switch_language(page, "en")
        for key in ("users", "notifications"):
            open_page(page, key, lang)
            wait_until_idle(page)
            screenshot(page, f"{key}-{lang}.png")
    switch_language(page, "he")
    expect(page.get_by_role("heading", level=1)).to_have_text(text("page.notifications", "he"))
