"""The health page's error log speaks the reader's language: what a line says is a sentence
chosen by the error kind or event stored with it, while the English text the engine logged stays
folded away in the technical details and in the CSV."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import streamlit as st
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from db.engine import get_engine
from db.models import Integration, LogLevel, RunOutcome, Trainer, utcnow
from integrations.core import audit
from integrations.core.retry import ErrorKind
from integrations.messages import MESSAGES
from tests.support.apptest import EMAILS
from tests.support.audit_events import recorded_events as _recorded_events
from tests.support.health_rows import connect, sync_run

PAGE = "pages/health.py"
#: Events whose message is already data a person reads as it is (an address, Google's code).
DATA_MESSAGES = {"user_activated", "user_deactivated", "google_consent_refused"}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    st.cache_data.clear()
    yield
    st.cache_data.clear()


@pytest.fixture
def failures(demo_store: str) -> dict[str, str]:
    """What the sync engine writes when Dana's syncs fail: a run ended by Google's rate limit
    (with its log line), a run closed with no line of its own, a change Google did not take,
    and a realtime channel it would not open."""
    now = utcnow()
    with Session(get_engine(demo_store), expire_on_commit=False) as session:
        dana = session.exec(select(Trainer).where(Trainer.email.startswith("dana"))).one()  # type: ignore[attr-defined]
        connect(session, dana.id, at=now - timedelta(days=2))
        limited = sync_run(
            session, dana.id, now - timedelta(minutes=40), RunOutcome.FAILED,
            error_kind="rate_limited", error="Google answered 429 rateLimitExceeded",
        )  # fmt: skip
        quota = sync_run(
            session, dana.id, now - timedelta(minutes=30), RunOutcome.FAILED,
            error_kind="quota_exceeded", error="Google answered 403 quotaExceeded", logged=False,
        )  # fmt: skip
        audit.record(
            session, "push_failed", "patch of 'Yoga' failed: Google answered 403 forbidden",
            level=LogLevel.WARNING, trainer_id=dana.id,
            integration=Integration.GOOGLE_CALENDAR, sync_run_id=limited.id,
            details={"event_id": "e1", "kind": ErrorKind.FORBIDDEN.value},
        )  # fmt: skip
        audit.record(
            session, "channel_failed", "could not open a push channel: Google answered 500",
            level=LogLevel.WARNING, trainer_id=dana.id,
            integration=Integration.GOOGLE_CALENDAR,
        )  # fmt: skip
        session.commit()
    return {"limited": limited.id, "quota": quota.id}


def health_page(app_as: Callable[..., AppTest], lang: str) -> AppTest:
    at = app_as(EMAILS["manager"], lang).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _messages(at: AppTest, lang: str) -> list[str]:
    column = {"en": "Message", "he": "הודעה"}[lang]
    return [str(m).strip("\u2066\u2067\u2068\u2069") for m in at.dataframe[-1].value[column]]


def test_a_hebrew_manager_reads_each_failure_as_a_hebrew_sentence(
    app_as: Callable[..., AppTest], failures: dict[str, str]
) -> None:
    at = health_page(app_as, "he")
    messages = _messages(at, "he")
    assert MESSAGES["health.says.kind.rate_limited"]["he"] in messages
    assert MESSAGES["health.says.kind.quota_exceeded"]["he"] in messages  # the run's own row
    assert MESSAGES["health.says.kind.forbidden"]["he"] in messages
    assert MESSAGES["health.says.event.channel_failed"]["he"] in messages
    assert not [m for m in messages if "Google answered" in m or "push channel" in m]


def test_the_logged_english_text_stays_in_the_technical_details(
    app_as: Callable[..., AppTest], failures: dict[str, str]
) -> None:
    at = health_page(app_as, "he")
    assert "פרטים טכניים (כפי שנרשמו)" in [e.label for e in at.expander]
    logged = "\n".join(c.value for c in at.code)
    assert "Google answered 429 rateLimitExceeded" in logged
    assert "could not open a push channel: Google answered 500" in logged
    assert "push_failed" in logged  # with its event code, for searching and support


def test_the_drill_down_says_in_hebrew_why_the_run_failed(
    app_as: Callable[..., AppTest], failures: dict[str, str]
) -> None:
    at = health_page(app_as, "he")
    at.selectbox(key="health_drill_run_he").set_value(failures["limited"]).run()
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert MESSAGES["health.says.kind.rate_limited"]["he"] in error
    assert "Google answered" not in error
    lines = _messages(at, "he")
    assert MESSAGES["health.says.kind.forbidden"]["he"] in lines
    assert "Google answered 429 rateLimitExceeded" in [c.value for c in at.code]


def test_in_english_the_same_lines_read_as_english_sentences(
    app_as: Callable[..., AppTest], failures: dict[str, str]
) -> None:
    messages = _messages(health_page(app_as, "en"), "en")
    assert MESSAGES["health.says.kind.rate_limited"]["en"] in messages
    assert MESSAGES["health.says.event.channel_failed"]["en"] in messages


def test_every_error_kind_and_every_logged_event_has_a_sentence_in_both_languages() -> None:
    """A new kind or event without a sentence would show its English text to a Hebrew reader."""
    assert [k for k in ErrorKind if f"health.says.kind.{k.value}" not in MESSAGES] == []
    missing = sorted(
        e for e in _recorded_events() - DATA_MESSAGES if f"health.says.event.{e}" not in MESSAGES
    )
    assert missing == []
    says = [entry for key, entry in MESSAGES.items() if key.startswith("health.says.")]
    assert all(entry.get("he") and entry.get("en") for entry in says)
