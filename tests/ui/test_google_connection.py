"""The Google connection page (trainer): following a sync it asked for, and Google's return
address opened again with browser Back."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from db.engine import get_engine
from db.models import (
    ConnectionStatus,
    IntegrationCredential,
    OAuthState,
    RunOutcome,
    SyncRun,
    User,
    utcnow,
)
from integrations.google_calendar.connection import _hash_state
from integrations.processes import worker
from tests.support.apptest import EMAILS
from tests.support.sync_rows import connect_google as _connect
from tests.support.sync_rows import record_run as _record_run


def _open(at: AppTest) -> AppTest:
    at.run()
    return at.switch_page("pages/google_connection.py").run()


@pytest.mark.parametrize(
    ("outcome", "kind", "shown"),
    [
        (RunOutcome.SUCCESS, None, "success"),
        (RunOutcome.FAILED, "quota_exceeded", "error"),
    ],
)
def test_sync_now_follows_the_run_and_says_how_it_ended(
    app_as: Callable[..., AppTest],
    demo_store: str,
    outcome: RunOutcome,
    kind: str | None,
    shown: str,
) -> None:
    """The toast promises "this page shows the outcome": the page polls until the run ends."""
    trainer_id = _connect(demo_store, EMAILS["trainer"])
    worker.huey.flush()
    at = _open(app_as(EMAILS["trainer"]))
    at.button(key="google_sync_now").click().run()
    assert not at.exception
    assert any("Sync started" in toast.value for toast in at.toast)
    assert [i.value for i in at.info] == ["The sync is waiting for its turn…"]
    started = utcnow()
    _record_run(demo_store, trainer_id, RunOutcome.RUNNING, started_at=started)
    at.run()  # what the fragment's next poll sees
    assert "Syncing with Google…" in [i.value for i in at.info]
    ended = started + timedelta(minutes=3)
    with Session(get_engine(demo_store)) as session:
        session.execute(
            sa.update(SyncRun).values(outcome=outcome, finished_at=ended, error_kind=kind)
        )
        session.commit()
    at.run()
    assert not at.exception
    at_time = ended.astimezone(ZoneInfo("Asia/Jerusalem")).strftime("%H:%M")
    expected = (
        f"Sync finished at {at_time}."
        if shown == "success"
        else f"The sync failed at {at_time}: Daily quota used up."
    )
    assert [m.value for m in getattr(at, shown)] == [expected]
    assert not [i.value for i in at.info if "sync" in i.value.lower()]  # stopped following
    assert "google_follow_sync" not in at.session_state
    worker.huey.flush()


def test_sync_now_stops_following_a_sync_no_worker_takes(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    _connect(demo_store, EMAILS["trainer"])
    worker.huey.flush()
    at = _open(app_as(EMAILS["trainer"]))
    at.button(key="google_sync_now").click().run()
    at.session_state["google_follow_sync"] = utcnow() - timedelta(minutes=5)
    at.run()
    assert [i.value for i in at.info][-1].startswith("The sync is taking longer than usual")
    assert "google_follow_sync" not in at.session_state
    worker.huey.flush()


def _used_consent_link(store: str) -> str:
    """A consent link Dana already followed once (the state Google sent her back with)."""
    state = secrets.token_urlsafe(16)
    with Session(get_engine(store)) as session:
        user = session.exec(select(User).where(User.email == EMAILS["trainer"])).one()
        assert user.trainer_id is not None
        session.add(
            OAuthState(
                state_hash=_hash_state(state),
                user_id=user.id,
                trainer_id=user.trainer_id,
                code_verifier_encrypted="unused",
                expires_at=utcnow() + timedelta(minutes=10),
                used_at=utcnow(),
            )
        )
        session.commit()
    return state


def _back_onto_the_return_address(at: AppTest, state: str) -> AppTest:
    at.run()
    at.switch_page("pages/google_connection.py")
    at.query_params["state"] = state
    at.query_params["code"] = "already-exchanged"
    return at.run()


def test_back_onto_a_used_consent_link_says_nothing_alarming_when_connected(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    _connect(demo_store, EMAILS["trainer"])
    state = _used_consent_link(demo_store)
    at = _back_onto_the_return_address(app_as(EMAILS["trainer"]), state)
    assert not at.exception
    assert not at.error
    assert "Connected" in at.subheader[0].value
    assert dict(at.query_params) == {}  # the code left the address


def test_a_used_consent_link_still_says_so_when_not_connected(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    """Without a connection the trainer does need to press Connect again."""
    trainer_id = _connect(demo_store, EMAILS["trainer"])
    with Session(get_engine(demo_store)) as session:
        credential = session.exec(
            select(IntegrationCredential).where(IntegrationCredential.trainer_id == trainer_id)
        ).one()
        credential.status = ConnectionStatus.DISCONNECTED
        session.add(credential)
        session.commit()
    state = _used_consent_link(demo_store)
    at = _back_onto_the_return_address(app_as(EMAILS["trainer"]), state)
    assert [e.value for e in at.error] == [
        "This sign-in link was already used. Press Connect to start again."
    ]
