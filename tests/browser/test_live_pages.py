"""Open pages follow the data, in the real app with its worker and the Google emulator, without
a reload: the home page's Google card shows the first sync's end, the events grid shows an event
made in Google (by push) and each booking reaching Google, and a booking made while the page
refreshes itself is booked once, with one booking form on the page.

The trainer is new (invited here, so the journey is the same whichever browser tests ran before
on this stack). Her first sync is held back by the emulator (a delay on her events), so the home
page is open while it runs, on any machine, however busy.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlmodel import Session, col, select

from db.engine import get_engine
from db.models import CalendarEvent, Role, RunOutcome, SyncRun, User
from integrations.crm import accounts
from tests.support.browser import log_in, text
from tests.support.stack import Stack

pytestmark = pytest.mark.browser

EMAIL = "live.pages@demo.newym.co.il"
ZONE = ZoneInfo("Asia/Jerusalem")
#: A sync, the part's refresh (30 s while Google pushes) and a busy machine: generous bounds,
#: never measurements.
FOLLOW_TIMEOUT_MS = 60_000
BOOKINGS = 8
#: The part's refresh while a booking waits for Google (pages/_shell.LIVE_SECONDS); a toast
#: stays about 4 s, so each booking is pressed about when the refresh's second run starts.
TICK = 3.0


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


def _synced_once(stack: Stack, trainer_id: str) -> bool:
    with _store(stack) as session:
        runs = session.exec(select(SyncRun.outcome).where(SyncRun.trainer_id == trainer_id)).all()
    return RunOutcome.SUCCESS in runs


def _open(page: Page, key: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(text(f"page.{key}", "he"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text(f"page.{key}", "he"))


def _connect(page: Page, stack: Stack) -> None:
    _open(page, "google_connection")
    page.get_by_role("button", name=text("google.connect", "he")).click()
    expect(page).to_have_url(re.compile("^" + re.escape(stack.emulator_url) + "/o/oauth2/"))
    page.get_by_role("button", name=EMAIL).click()
    expect(page).to_have_url(re.compile(re.escape(stack.public_url) + "/google_connection"))
    connected = text("google.connected_as", "he").split("{")[0].strip()
    expect(page.get_by_text(connected)).to_be_visible()


def _under_way(page: Page) -> object:
    return page.get_by_text(re.compile("^🔄 "))


def _mark_open(page: Page) -> None:
    """A mark the page keeps only while it is not reloaded."""
    page.evaluate("window.openAllAlong = true")


def _still_open(page: Page) -> bool:
    return page.evaluate("window.openAllAlong === true") is True


def _connected(page: Page, stack: Stack) -> str:
    """Log the trainer in, connected to Google with one sync done (by the first test or here)."""
    trainer_id = _invite(stack)
    log_in(page, stack, other=EMAIL)
    if not _synced_once(stack, trainer_id):
        _connect(page, stack)
        _eventually(lambda: _synced_once(stack, trainer_id), "the first sync's end")
    return trainer_id


def test_the_home_page_shows_the_first_sync_end_without_a_reload(
    stack: Stack, context: BrowserContext
) -> None:
    trainer_id = _invite(stack)
    if _synced_once(stack, trainer_id):
        pytest.skip("this stack's trainer synced before (a rerun of this test alone)")
    page = context.new_page()
    log_in(page, stack, other=EMAIL)
    # Google answers her first listing of events 8 s late: the sync is still running when the
    # home page opens.
    httpx.post(
        f"{stack.emulator_url}/_emulator/faults",
        json={
            "kind": "delay",
            "seconds": 8,
            "times": 1,
            "method": "GET",
            "path": "/events$",
            "email": EMAIL,
        },
        timeout=10,
    ).raise_for_status()
    _connect(page, stack)
    _open(page, "my_integrations")
    expect(_under_way(page)).to_have_count(1)
    _mark_open(page)

    outcome = text("outcome.success", "he")
    expect(page.get_by_text(re.compile(re.escape(f"({outcome})") + "$"))).to_have_count(
        1, timeout=FOLLOW_TIMEOUT_MS
    )
    expect(_under_way(page)).to_have_count(0)
    assert _synced_once(stack, trainer_id)
    assert _still_open(page)


def test_an_event_made_in_google_shows_on_the_open_events_page(
    stack: Stack, context: BrowserContext
) -> None:
    page = context.new_page()
    _connected(page, stack)
    _open(page, "events")
    expect(page.locator(".nyev")).to_be_visible()
    _mark_open(page)

    # Today at noon is in the week shown, whatever the day and hour.
    noon = datetime.now(ZONE).replace(hour=12, minute=0, second=0, microsecond=0)
    title = f"פגישה מ-Google {time.monotonic_ns()}"
    httpx.post(
        f"{stack.emulator_url}/_emulator/calendar/events",
        json={
            "email": EMAIL,
            "event": {
                "summary": title,
                "start": {"dateTime": noon.isoformat()},
                "end": {"dateTime": (noon + timedelta(hours=1)).isoformat()},
            },
        },
        timeout=10,
    ).raise_for_status()
    expect(page.locator(".nyev")).to_contain_text(title, timeout=FOLLOW_TIMEOUT_MS)
    assert _still_open(page)


def test_bookings_made_while_the_page_refreshes_are_booked_once_with_one_form(
    stack: Stack, context: BrowserContext
) -> None:
    """Each booking shows its own "session booked" toast, reaches Google, and the grid follows
    it by its own timed runs. The next "book" is pressed once the toast is gone, about when
    such a run starts (6 s after the page's own run), a little before or after it in turn:
    the browser's timer of the run before fires while the booking's runs are under way."""
    page = context.new_page()
    trainer_id = _connected(page, stack)
    _open(page, "events")
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    page.get_by_text(text("events.new", "he")).click()
    expect(page.locator(".st-key-events_new_title input")).to_be_visible()
    _mark_open(page)
    book = page.get_by_role("button", name=text("events.create", "he"))
    #: The "book" buttons on the page, also in a folded section (see below).
    books = page.get_by_role("button", name=text("events.create", "he"), include_hidden=True)
    #: One booking form: one title field of its own and one "book" button.
    forms = page.locator(".st-key-events_new_title")
    booked = text("events.created", "he")
    stamp = time.monotonic_ns()
    titles = [f"אימון חי {stamp} {n}" for n in range(BOOKINGS)]
    for n, title in enumerate(titles):
        expect(forms).to_have_count(1)
        title_field = page.locator(".st-key-events_new_title input")
        if not title_field.is_visible():
            # The overlap warning above the forms (the sessions share an hour) opens a new
            # place for them, and the booking form's section folds: open it again.
            page.get_by_text(text("events.new", "he")).click()
        title_field.fill(title)
        book.click()
        expect(page.get_by_text(booked)).to_be_visible()
        # The page's own run just ended: its refresh runs about every 3 s from now.
        shown = time.monotonic()
        expect(forms).to_have_count(1)
        expect(books).to_have_count(1)
        # This booking's toast is gone before the next one is pressed, so each toast seen
        # is the next booking's own.
        expect(page.get_by_text(booked)).to_have_count(0)
        time.sleep(max(0.0, shown + 2 * TICK - 0.4 + 0.2 * (n % 4) - time.monotonic()))

    with _store(stack) as session:
        stored = session.exec(
            select(CalendarEvent.title).where(
                CalendarEvent.trainer_id == trainer_id, col(CalendarEvent.title).in_(titles)
            )
        ).all()
    assert sorted(stored) == sorted(titles)  # each booked once

    # The last booking reaches Google; the grid says so by itself.
    synced = text("events.state.synced", "he")
    last = page.locator(f'.nyev-event[aria-label*="{titles[-1]}"]')
    expect(last).to_have_count(1)
    expect(last).to_have_attribute(
        "aria-label", re.compile(re.escape(synced)), timeout=FOLLOW_TIMEOUT_MS
    )
    expect(forms).to_have_count(1)
    assert _still_open(page)
