"""The trainer's Google Calendar journey in the real app, in Debian's Chromium, on make run's demo:
connect through the consent page, see Google's events arrive, book a session on the events page
and see it reach Google, and see a change made in Google arrive by push notification within
seconds.

The demo's data is built around today (sessions on working days, Google's events a few days
ahead), so how many rows come before the dentist's appointment depends on the weekday. The home
page shows the whole week (`table(every_row=True)`): the grid draws on a canvas and puts only the
rows it shows in the DOM, so the journey checks first that every upcoming session is drawn.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlmodel import Session, select

from db.engine import get_engine
from db.models import Role, User
from integrations.crm import accounts
from integrations.crm.trainers import list_upcoming_sessions
from tests.support.browser import demo_email, log_in, screenshot, text, wait_until_idle
from tests.support.stack import Stack

pytestmark = pytest.mark.browser


def emulator_events(stack: Stack, email: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{stack.emulator_url}/_emulator/calendar/events", params={"email": email}, timeout=10
    )
    answer.raise_for_status()
    return [e for e in answer.json()["items"] if e.get("status") != "cancelled"]


def eventually(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout:.0f}s: {what}")


def open_page(page: Page, key: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(text(f"page.{key}", "he"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text(f"page.{key}", "he"))


def upcoming_titles(page: Page) -> str:
    wait_until_idle(page)
    return " | ".join(
        page.get_by_test_id("stDataFrame").locator("[role=gridcell]").all_inner_texts()
    )


def drawn_rows(page: Page) -> int:
    """The rows of the home page's table that the grid drew (three columns a row)."""
    wait_until_idle(page)
    return page.get_by_test_id("stDataFrame").locator("[role=gridcell]").count() // 3


def upcoming_in_store(stack: Stack, email: str) -> int:
    with Session(get_engine(f"sqlite:///{stack.data_dir / 'newym.db'}")) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        actor = accounts.actor_for(user)
        assert actor.trainer_id is not None
        return len(list_upcoming_sessions(actor, actor.trainer_id, session=session))


def test_a_trainer_connects_google_and_both_calendars_agree(
    stack: Stack, context: BrowserContext
) -> None:
    email = demo_email(Role.TRAINER)
    page = context.new_page()
    log_in(page, stack, account=email)
    open_page(page, "google_connection")
    page.get_by_role("button", name=text("google.connect", "he")).click()

    # Google's consent page, in the same tab, then straight back to the connection page.
    expect(page).to_have_url(re.compile("^" + re.escape(stack.emulator_url) + "/o/oauth2/"))
    page.get_by_role("button", name=email).click()
    expect(page).to_have_url(re.compile(re.escape(stack.public_url) + "/google_connection"))
    expect(
        page.get_by_text(text("google.connected_as", "he").split("{")[0].strip())
    ).to_be_visible()
    assert "code=" not in page.url  # the code is cleared from the address bar
    wait_until_idle(page)
    screenshot(page, "google-connection-he.png")

    # The first sync runs by itself: Google's events appear here, our sessions appear there.
    eventually(
        lambda: any(
            e["summary"].startswith("אימון") or "training" in e["summary"]
            for e in emulator_events(stack, email)
        ),
        "the CRM's sessions in Google",
    )

    def google_event_shown() -> bool:
        open_page(page, "my_integrations")
        return "רופא שיניים" in upcoming_titles(page)

    eventually(google_event_shown, "Google's dentist appointment in the CRM")
    # Whatever the weekday, the trainer sees the whole week (at least 14 demo rows on any day
    # and hour), not the first ten rows of it.
    assert upcoming_in_store(stack, email) > 10
    assert drawn_rows(page) == upcoming_in_store(stack, email)

    # Book a session on the events page: it reaches Google within seconds.
    open_page(page, "events")
    page.get_by_text(text("events.new", "he")).click()
    page.locator(".st-key-events_new_title input").fill("אימון דפדפן")
    page.get_by_role("button", name=text("events.create", "he")).click()
    expect(page.get_by_text(text("events.created", "he"))).to_be_visible()
    eventually(
        lambda: any(e["summary"] == "אימון דפדפן" for e in emulator_events(stack, email)),
        "the booked session in Google",
        timeout=20,
    )
    open_page(page, "my_integrations")

    # Change an event "in Google": a push notification brings it here within seconds.
    dentist = next(e for e in emulator_events(stack, email) if e["summary"] == "רופא שיניים")
    httpx.patch(
        f"{stack.emulator_url}/_emulator/calendar/events/{dentist['id']}",
        json={"email": email, "changes": {"summary": "רופא שיניים (נדחה)"}},
        timeout=10,
    ).raise_for_status()

    def change_shown() -> bool:
        page.reload()
        return "רופא שיניים (נדחה)" in upcoming_titles(page)

    eventually(change_shown, "the change made in Google, by push", timeout=20)
    screenshot(page, "trainer-synced-he.png")
