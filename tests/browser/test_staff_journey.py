"""Staff run a manual sync of every trainer in the real app and watch it finish."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, expect
from sqlmodel import Session, col, func, select

from db.engine import get_engine
from db.models import ConnectionStatus, IntegrationCredential, Role, Trainer
from tests.support.browser import demo_email, log_in, screenshot, text, wait_until_idle
from tests.support.stack import Stack

pytestmark = pytest.mark.browser


def test_staff_sync_all_trainers_and_see_every_one_finish(
    stack: Stack, context: BrowserContext
) -> None:
    page = context.new_page()
    log_in(page, stack, account=demo_email(Role.STAFF))
    nav = page.get_by_test_id("stSidebarNav")
    nav.get_by_text(text("page.manual_sync", "he"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text("page.manual_sync", "he"))
    # Other journeys on this stack may have connected some of the demo trainers already, or
    # invited one more: the finish says how many were synced and that the rest have not
    # connected Google.
    with Session(get_engine(f"sqlite:///{stack.data_dir / 'newym.db'}")) as session:
        connected = session.exec(
            select(func.count(col(IntegrationCredential.id))).where(
                IntegrationCredential.status == ConnectionStatus.CONNECTED
            )
        ).one()
        trainers = session.exec(select(func.count(col(Trainer.id)))).one()
    page.get_by_role("button", name=text("manual.start", "he")).click()
    expect(page.get_by_test_id("stProgress")).to_be_visible()
    if connected == 0:
        finished = text("manual.finished_nothing", "he")
    elif connected == trainers:
        finished = text("manual.finished", "he").split("{")[0].strip()
    else:
        finished = f"{connected} מתוך {trainers} סונכרנו"
    expect(page.get_by_text(finished)).to_be_visible(timeout=60_000)
    expect(
        page.get_by_text(
            text("manual.progress", "he")
            .replace("{done}", str(trainers))
            .replace("{total}", str(trainers))
        )
    ).to_be_visible()
    wait_until_idle(page)
    screenshot(page, "manual-sync-he.png")
