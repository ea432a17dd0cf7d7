"""The manager's health page in Debian's Chromium, on a stack of its own (its seeded runs, errors
and broken connections would change what the other journeys see): tiles, six charts, the open
alerts and the error log, right to left in Hebrew and left to right in English. Screenshots go to
docs/screenshots/health-he.png and health-en.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import Session, select

from db.engine import get_engine
from db.models import (
    ConnectionStatus,
    LogLevel,
    Role,
    RunOutcome,
    SyncFrequency,
    Trainer,
    utcnow,
)
from integrations.monitoring import alerts
from tests.support.browser import (
    CHROMIUM,
    demo_email,
    local_context,
    log_in,
    screenshot,
    text,
)
from tests.support.ci import need
from tests.support.health_rows import channel, connect, log_line, sync_run
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def health_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    need(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    with running_stack(tmp_path_factory.mktemp("health-stack")) as running:
        yield running


@pytest.fixture(scope="module")
def chromium(browser: Browser, health_stack: Stack) -> Browser:
    """The session's one Chromium (a second sync Playwright driver cannot start beside it)."""
    return browser


@pytest.fixture
def tall_context(chromium: Browser) -> Iterator[BrowserContext]:
    """Tall enough for the whole page in one screenshot."""
    with local_context(chromium, height=2700) as fresh:
        yield fresh


def seed_health(stack: Stack) -> None:
    """A week of Dana's syncs ending in three failures, Yossi's connection revoked, Noa syncing
    daily; auto sync off, so the stack's worker does not try these made-up connections."""
    now = utcnow()
    url = f"sqlite:///{stack.data_dir / 'newym.db'}"
    with Session(get_engine(url), expire_on_commit=False) as session:
        ids = {t.email.split("@")[0]: t.id for t in session.exec(select(Trainer)).all()}
        connect(session, ids["dana"], at=now - timedelta(days=8), auto_sync=False)
        connect(
            session,
            ids["yossi"],
            at=now - timedelta(days=8),
            status=ConnectionStatus.NEEDS_REAUTH,
            auto_sync=False,
        )
        connect(
            session,
            ids["noa"],
            at=now - timedelta(days=8),
            frequency=SyncFrequency.DAILY,
            auto_sync=False,
        )
        for step in range(7 * 24 * 3, 2, -1):  # every 20 minutes for a week
            started = now - timedelta(minutes=20 * step + 7)
            failed = step % 47 == 0
            sync_run(
                session,
                ids["dana"],
                started,
                RunOutcome.FAILED if failed else RunOutcome.SUCCESS,
                duration_ms=500 + (step * 137) % 1400 + (2600 if step % 31 == 0 else 0),
                error_kind="rate_limited" if step % 2 else "transient",
                http_requests=2 + step % 7,
                rate_limited=2 if failed or step % 53 == 0 else 0,
            )
        for minutes in (40, 25, 10):
            sync_run(
                session, ids["dana"], now - timedelta(minutes=minutes), RunOutcome.FAILED,
                error_kind="quota_exceeded", error="Google answered 403 quotaExceeded",
                http_requests=1,
            )  # fmt: skip
        for days in range(7, 0, -1):
            sync_run(session, ids["noa"], now - timedelta(days=days, hours=2), duration_ms=2100)
        log_line(
            session, now - timedelta(hours=3), "could not open a push channel: Google answered "
            "400 pushWebhookBadDomain", level=LogLevel.WARNING, trainer_id=ids["dana"],
            event="channel_failed",
        )  # fmt: skip
        channel(
            session, ids["dana"], created_at=now - timedelta(days=5),
            expires_at=now + timedelta(days=2), last_notified_at=now - timedelta(hours=1),
        )  # fmt: skip
        alerts.check_alerts(session, now)


def open_health(page: Page, lang: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(text("page.health", lang), exact=True).click()
    expect_health(page, lang)


def expect_health(page: Page, lang: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text("page.health", lang))
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(6)
    expect(page.get_by_text(text("alert.rule.needs_reauth", lang))).to_be_visible()
    expect(page.get_by_text(text("alert.rule.sync_failing", lang))).to_be_visible()
    expect(page.get_by_text(text("health.log", lang), exact=True)).to_be_visible()
    # The level filter's chips follow the language too (a choice is kept by its label).
    expect(page.get_by_test_id("stMultiSelect")).to_contain_text(text("health.level.error", lang))
    direction = "rtl" if lang == "he" else "ltr"
    expect(page.get_by_test_id("stAppViewContainer")).to_have_css("direction", direction)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)


def test_the_manager_reads_the_health_page_and_its_alerts_in_hebrew_and_english(
    health_stack: Stack, tall_context: BrowserContext
) -> None:
    seed_health(health_stack)
    page = tall_context.new_page()
    log_in(page, health_stack, account=demo_email(Role.MANAGER))
    open_health(page, "he")
    page.wait_for_timeout(1000)  # plotly animates its first draw
    screenshot(page, "health-he.png")

    languages = page.get_by_test_id("stSidebar").get_by_role("radiogroup")
    languages.get_by_role("radio", name="English").click()
    expect_health(page, "en")
    page.wait_for_timeout(1000)
    screenshot(page, "health-en.png")
