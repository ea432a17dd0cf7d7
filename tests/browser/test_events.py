"""The events page in Debian's Chromium on make run's demo: the week grid reads right to left in
Hebrew and left to right in English; screenshots of both go to docs/screenshots/events-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from db.models import Role
from tests.support.browser import demo_email, log_in, screenshot, text
from tests.support.stack import Stack

pytestmark = pytest.mark.browser


def expect_week_grid(page: Page, lang: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text("page.events", lang))
    # Not wait_until_idle: the table waits unpainted in its tab until someone opens it.
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    grid = page.locator(".nyev")
    expect(grid).to_have_attribute("dir", "rtl" if lang == "he" else "ltr")
    expect(grid.locator(".nyev-week").first).to_be_visible()
    # Demo sessions are on the grid, each with its sync state spelled out in the legend.
    expect(grid.locator(".nyev-event").first).to_be_visible()
    expect(grid.locator(".nyev-legend")).to_contain_text(text("events.state.local_only", lang))
    # The date range and the filters have drawn themselves (not grey placeholders).
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)
    expect(page.get_by_test_id("stDateInput").get_by_role("group").first).to_be_visible()
    expect(page.get_by_test_id("stSelectbox").first.locator("input")).to_be_visible()


def test_a_trainer_reads_the_week_grid_in_hebrew_and_in_english(
    stack: Stack, context: BrowserContext
) -> None:
    """In Hebrew Sunday is the rightmost day of the grid; in English it is the leftmost."""
    page = context.new_page()
    page.set_viewport_size({"width": 1400, "height": 1500})
    log_in(page, stack, account=demo_email(Role.TRAINER))
    page.get_by_test_id("stSidebarNav").get_by_text(text("page.events", "he"), exact=True).click()
    expect_week_grid(page, "he")
    heads = page.locator(".nyev-week").first.locator(".nyev-head")
    sunday, saturday = heads.first.bounding_box(), heads.last.bounding_box()
    assert sunday is not None and saturday is not None
    assert sunday["x"] > saturday["x"]
    screenshot(page, "events-he.png")

    languages = page.get_by_test_id("stSidebar").get_by_role("radiogroup")
    languages.get_by_role("radio", name="English").click()
    expect_week_grid(page, "en")
    sunday, saturday = heads.first.bounding_box(), heads.last.bounding_box()
    assert sunday is not None and saturday is not None
    assert sunday["x"] < saturday["x"]
    screenshot(page, "events-en.png")

    # The choice is saved for the next login: leave Dana in Hebrew, as the other tests expect.
    languages.get_by_role("radio", name="עברית").click()
    expect_week_grid(page, "he")


def test_a_title_over_500_characters_pasted_into_the_booking_form_is_kept_and_explained(
    stack: Stack, context: BrowserContext
) -> None:
    """The browser used to cut the paste at 500 characters (or drop it for the default title)
    without a word; now the whole paste stays in the field and the Hebrew message says why the
    session was not booked, right under the title."""
    long_title = ("אימון כוח " * 60).strip()  # 599 characters
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    log_in(page, stack, account=demo_email(Role.TRAINER))
    page.get_by_test_id("stSidebarNav").get_by_text(text("page.events", "he"), exact=True).click()
    expect_week_grid(page, "he")
    page.get_by_text(text("events.new", "he")).click()
    title = page.locator(".st-key-events_new_title input")
    title.click()
    title.press("Control+A")
    page.evaluate("value => navigator.clipboard.writeText(value)", long_title)
    title.press("Control+V")
    page.get_by_role("button", name=text("events.create", "he")).click()
    message = text("events.invalid.title.too_long", "he").format(length=599, limit=500)
    expect(page.get_by_test_id("stAlert").filter(has_text=message)).to_be_visible()
    expect(title).to_have_value(long_title)
    expect(page.get_by_text(text("events.created", "he"))).to_have_count(0)


def test_after_booking_the_form_is_empty_again_for_the_next_session(
    stack: Stack, context: BrowserContext
) -> None:
    """Place and notes of one booking must not ride along into the next: the browser used to
    give the form its last values back once the page forgot them."""
    page = context.new_page()
    log_in(page, stack, account=demo_email(Role.TRAINER))
    page.get_by_test_id("stSidebarNav").get_by_text(text("page.events", "he"), exact=True).click()
    expect_week_grid(page, "he")
    page.get_by_text(text("events.new", "he")).click()
    page.locator(".st-key-events_new_title input").fill("אימון עם מקום")
    page.locator(".st-key-events_new_location input").fill("פארק הירקון")
    page.locator(".st-key-events_new_notes textarea").fill("להביא מזרן")
    page.get_by_role("button", name=text("events.create", "he")).click()
    expect(page.get_by_text(text("events.created", "he"))).to_be_visible()
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    if not page.locator(".st-key-events_new_location input").is_visible():
        page.get_by_text(text("events.new", "he")).click()
    expect(page.locator(".st-key-events_new_location input")).to_have_value("")
    expect(page.locator(".st-key-events_new_notes textarea")).to_have_value("")
    expect(page.locator(".st-key-events_new_title input")).to_have_value(
        text("events.default_title", "he")
    )
