"""A fault injected in Google reaches the manager as an alert, in English, in the real app.

Noa connects Google; then Google starts refusing her access (an injected 401, as when a person
removes the app's access in their Google account). The manager syncs him by hand, sees the run
fail, finds the alert on the health page and in the notifications; Noa sees the Reconnect banner
and reconnects. Screenshots: google-connection-en, manual-sync-en, health-alert-en.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from db.engine import get_engine
from db.models import Role, User
from integrations.processes.demo import DEMO_PEOPLE
from tests.support.browser import (
    demo_email,
    local_context,
    log_in,
    screenshot,
    text,
    wait_until_idle,
)
from tests.support.stack import Stack

pytestmark = pytest.mark.browser

NOA = next(p for p in DEMO_PEOPLE if p.email.startswith("noa@"))


def in_english(page: Page) -> None:
    """The choice is saved for the person's next login (`back_in_hebrew` restores it)."""
    page.get_by_test_id("stSidebar").get_by_role("radiogroup").get_by_role(
        "radio", name="English"
    ).click()
    expect(page.get_by_test_id("stAppViewContainer")).to_have_css("direction", "ltr")


def open_page(page: Page, key: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(text(f"page.{key}", "en"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text(f"page.{key}", "en"))
    settled(page)


def settled(page: Page) -> None:
    """The script has finished its run (some tables here may rightly be empty)."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)


def through_consent(page: Page, stack: Stack, button: str) -> None:
    page.get_by_role("button", name=text(button, "en")).click()
    expect(page).to_have_url(re.compile("^" + re.escape(stack.emulator_url) + "/o/oauth2/"))
    page.get_by_role("button", name=NOA.email).click()
    expect(page).to_have_url(re.compile(re.escape(stack.public_url) + "/google_connection"))
    connected = text("google.connected_as", "en").split("{")[0].strip()
    expect(page.get_by_text(connected)).to_be_visible()


@pytest.fixture
def back_in_hebrew(stack: Stack) -> Iterator[None]:
    """The journey reads English; whatever happens in it, leave its people in Hebrew, as the
    other journeys on this stack expect to find them (a person's language is kept)."""
    yield
    with Session(get_engine(f"sqlite:///{stack.data_dir / 'newym.db'}")) as session:
        for email in (NOA.email, demo_email(Role.MANAGER)):
            person = session.exec(select(User).where(User.email == email)).one()
            person.locale = "he"
            session.add(person)
        session.commit()


@pytest.fixture
def faults(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.emulator_url, timeout=10) as control:
        yield control
        control.delete("/_emulator/faults").raise_for_status()


def test_the_manager_sees_an_alert_raised_by_a_fault_in_google(
    stack: Stack, browser: Browser, faults: httpx.Client, back_in_hebrew: None
) -> None:
    with local_context(browser) as noas, local_context(browser, height=1100) as managers:
        trainer = noas.new_page()
        log_in(trainer, stack, account=NOA.email)
        in_english(trainer)
        open_page(trainer, "google_connection")
        through_consent(trainer, stack, "google.connect")
        # The first sync runs by itself; the card shows its outcome once it is done.
        success = f"({text('outcome.success', 'en')})"
        for _ in range(30):
            if trainer.get_by_text(success).count():
                break
            trainer.wait_for_timeout(1000)
            trainer.reload()
            wait_until_idle(trainer)
        expect(trainer.get_by_text(success)).to_be_visible()
        screenshot(trainer, "google-connection-en.png")

        # Google stops accepting Noa's access token, refreshed or not.
        faults.post(
            "/_emulator/faults",
            json={
                "kind": "error",
                "status": 401,
                "reason": "authError",
                "times": 5,
                "email": NOA.email,
            },
        ).raise_for_status()

        manager = managers.new_page()
        log_in(manager, stack, account=demo_email(Role.MANAGER))
        in_english(manager)
        open_page(manager, "manual_sync")
        manager.get_by_text(text("manual.all", "en"), exact=True).click()
        picker = manager.get_by_test_id("stMultiSelect")
        picker.click()
        manager.get_by_role("option", name=re.compile(re.escape(NOA.name))).click()
        manager.keyboard.press("Escape")
        manager.get_by_role("button", name=text("manual.start", "en")).click()
        failed = text("manual.finished_failed", "en").split("{")[0].strip()  # "Finished at"
        expect(manager.get_by_text(failed)).to_be_visible(timeout=60_000)
        expect(manager.get_by_text("but 1 of 1 failed")).to_be_visible()
        expect(
            manager.get_by_test_id("stDataFrame").locator("[role=gridcell]", has_text="Failed")
        ).to_be_attached()
        # Google refuses her access: only Noa can mend it, so no retry is offered beside it.
        expect(manager.get_by_role("button", name=text("manual.retry.one", "en"))).to_have_count(0)
        wait_until_idle(manager)
        screenshot(manager, "manual-sync-en.png")

        # The health page lists the open alert; the notifications say it too.
        alert = manager.get_by_text(f"{text('alert.rule.needs_reauth', 'en')}: {NOA.name}")
        open_page(manager, "health")
        for _ in range(20):
            if alert.count():
                break
            manager.wait_for_timeout(1000)
            manager.reload()
            settled(manager)
        expect(alert).to_be_visible()
        screenshot(manager, "health-alert-en.png")
        expect(manager.get_by_test_id("stSidebar")).not_to_contain_text(
            text("shell.no_unread", "en")
        )
        open_page(manager, "notifications")
        expect(manager.get_by_test_id("stMain")).to_contain_text(NOA.name)

        # Noa is asked to reconnect, and does.
        trainer.reload()
        settled(trainer)
        expect(trainer.get_by_text(text("google.needs_reauth", "en"))).to_be_visible()
        faults.delete("/_emulator/faults").raise_for_status()
        through_consent(trainer, stack, "google.reconnect")
        expect(trainer.get_by_text(text("google.needs_reauth", "en"))).to_have_count(0)
