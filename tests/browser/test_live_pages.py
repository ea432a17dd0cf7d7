"""An open page follows the data, in the real app with its worker and the Google emulator: a
trainer's home page, opened while a booking waits for Google, shows it synced once a sync has
pushed it, without a reload.

The trainer is new (invited here, so the journey is the same whichever browser tests ran before
on this stack) and syncs hourly: nothing pushes the booking until she asks, so the page is open
before the sync starts, on any machine, however busy.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlmodel import Session, select

from db.engine import get_engine
from db.models import Role, RunOutcome, SyncRun, User
from integrations import accounts
from tests.browser.conftest import log_in, text, wait_until_idle
from tests.stack import Stack

pytestmark = pytest.mark.browser

EMAIL = "live.pages@demo.newym.co.il"
BOOKED = "אימון שמחכה ל-Google"
#: The sync, the page's refresh and a busy machine together: generous, never a measurement.
FOLLOW_TIMEOUT_MS = 60_000


def _store(stack: Stack) -> Session:
    return Session(get_engine(f"sqlite:///{stack.data_dir / 'newym.db'}"))


def _invite(stack: Stack) -> str:
    with _store(stack) as session:
        user = session.exec(select(User).where(User.email == EMAIL)).first()
        if user is None:
            user = accounts.add_user(EMAIL, Role.TRAINER, session=session, name="נטע חי")
        assert user.trainer_id is not None
        return user.trainer_id


def _eventually(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout:.0f}s: {what}")


def _first_sync_ended(stack: Stack, trainer_id: str) -> bool:
    with _store(stack) as session:
        runs = session.exec(select(SyncRun.outcome).where(SyncRun.trainer_id == trainer_id)).all()
    return bool(runs) and RunOutcome.RUNNING not in runs


def _open(page: Page, key: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(text(f"page.{key}", "he"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text(f"page.{key}", "he"))


def test_the_home_page_shows_a_booking_reach_google_without_a_reload(
    stack: Stack, context: BrowserContext
) -> None:
    trainer_id = _invite(stack)
    page = context.new_page()
    log_in(page, stack, other=EMAIL)

    # Connect Google; the first sync runs by itself. Then sync hourly: a booking waits.
    _open(page, "google_connection")
    page.get_by_role("button", name=text("google.connect", "he")).click()
    expect(page).to_have_url(re.compile("^" + re.escape(stack.emulator_url) + "/o/oauth2/"))
    page.get_by_role("button", name=EMAIL).click()
    expect(page).to_have_url(re.compile(re.escape(stack.public_url) + "/google_connection"))
    connected = text("google.connected_as", "he").split("{")[0].strip()
    expect(page.get_by_text(connected)).to_be_visible()
    _eventually(lambda: _first_sync_ended(stack, trainer_id), "the first sync's end")
    _open(page, "sync_settings")
    page.get_by_text(text("settings.frequency.hourly", "he"), exact=True).click()
    page.get_by_role("button", name=text("settings.save", "he")).click()
    expect(page.get_by_text(text("settings.saved", "he"))).to_be_visible()
    _open(page, "events")
    page.get_by_text(text("events.new", "he")).click()
    page.locator(".st-key-events_new_title input").fill(BOOKED)
    page.get_by_role("button", name=text("events.create", "he")).click()
    expect(page.get_by_text(text("events.created", "he"))).to_be_visible()

    # The home page, opened now, shows the booking waiting for Google.
    _open(page, "my_integrations")
    wait_until_idle(page)
    cells = page.get_by_test_id("stDataFrame").locator("[role=gridcell]")
    waiting, synced = text("events.state.pending", "he"), text("events.state.synced", "he")
    expect(cells.filter(has_text=BOOKED)).to_have_count(1)
    expect(cells.filter(has_text=waiting)).to_have_count(1)
    page.evaluate("window.openSinceBooking = true")  # gone if the page is ever reloaded

    # The trainer asks for a sync in another tab; the open home page follows by itself.
    other = context.new_page()
    other.goto(f"{stack.public_url}/google_connection")
    other.get_by_role("button", name=text("google.sync_now", "he")).click()
    expect(cells.filter(has_text=synced)).to_have_count(1, timeout=FOLLOW_TIMEOUT_MS)
    expect(cells.filter(has_text=waiting)).to_have_count(0)
    expect(page.get_by_text(f"🔄 {text('live.pushing', 'he')}")).to_have_count(0)
    assert page.evaluate("window.openSinceBooking") is True
