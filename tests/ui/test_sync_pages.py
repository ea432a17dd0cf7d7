"""The sync settings page (trainer) and the manual sync page (staff, managers)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from db.engine import get_engine
from db.models import (
    GoogleCalendarSyncSettings,
    IntegrationCredential,
    RunOutcome,
    SyncRun,
    SyncTrigger,
    Trainer,
    User,
    utcnow,
)
from integrations import worker
from tests.ui.conftest import EMAILS

CALENDARS = [
    {"id": "dana@gmail.com", "summary": "Dana", "access_role": "owner", "primary": True},
    {
        "id": "studio@group.calendar.google.com",
        "summary": "Studio",
        "access_role": "writer",
        "primary": False,
    },
    {
        "id": "holidays@group.calendar.google.com",
        "summary": "Holidays",
        "access_role": "reader",
        "primary": False,
    },
]


def _trainer_id(store: str, email: str) -> str:
    with Session(get_engine(store)) as session:
        trainer_id = session.exec(select(User.trainer_id).where(User.email == email)).one()
    assert trainer_id is not None
    return trainer_id


def _connect(store: str, email: str) -> str:
    trainer_id = _trainer_id(store, email)
    with Session(get_engine(store)) as session:
        session.add(
            IntegrationCredential(
                trainer_id=trainer_id,
                integration="google_calendar",
                account_email="dana@gmail.com",
                calendars=CALENDARS,
            )
        )
        session.add(
            GoogleCalendarSyncSettings(
                trainer_id=trainer_id,
                default_calendar_id="dana@gmail.com",
                import_calendar_ids=["dana@gmail.com"],
            )
        )
        session.commit()
    return trainer_id


def test_sync_settings_ask_to_connect_first(app_as: Callable[..., AppTest]) -> None:
    at = app_as(EMAILS["trainer"]).run()
    at.switch_page("pages/sync_settings.py").run()
    assert "Connect your Google account first" in at.info[0].value


def test_sync_settings_offer_only_writable_calendars_and_save_with_a_toast(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    trainer_id = _connect(demo_store, EMAILS["trainer"])
    at = app_as(EMAILS["trainer"]).run()
    at.switch_page("pages/sync_settings.py").run()
    assert not at.exception
    default = at.selectbox(key="sync_settings_default")
    assert default.options == ["Dana ★", "Studio"]  # "Holidays" is read-only
    assert len(at.radio(key="sync_settings_direction").options) == 3
    at.radio(key="sync_settings_frequency").set_value("hourly")
    at.radio(key="sync_settings_direction").set_value("from_google")
    at.selectbox(key="sync_settings_default").set_value("studio@group.calendar.google.com")
    at.multiselect(key="sync_settings_import").set_value(
        ["dana@gmail.com", "holidays@group.calendar.google.com"]
    )
    at.button[0].click().run()
    assert not at.exception
    with Session(get_engine(demo_store)) as session:
        saved = session.get(GoogleCalendarSyncSettings, trainer_id)
    assert saved is not None
    assert (saved.sync_frequency.value, saved.sync_direction.value) == ("hourly", "from_google")
    assert saved.default_calendar_id == "studio@group.calendar.google.com"
    assert saved.import_calendar_ids == ["dana@gmail.com", "holidays@group.calendar.google.com"]
    assert any("Settings saved" in toast.value for toast in at.toast)


def test_each_choice_is_explained_in_hebrew_too(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    _connect(demo_store, EMAILS["trainer"])
    at = app_as(EMAILS["trainer"], lang="he").run()
    at.switch_page("pages/sync_settings.py").run()
    assert at.title[0].value == "הגדרות סנכרון"
    assert "דו-כיווני (מומלץ)" in at.radio(key="sync_settings_direction").options


@pytest.mark.parametrize("role", ["staff", "manager"])
def test_staff_start_a_sync_of_all_trainers_and_watch_it_finish(
    app_as: Callable[..., AppTest], demo_store: str, role: str
) -> None:
    connected = _connect(demo_store, EMAILS["trainer"])
    worker.huey.flush()
    at = app_as(EMAILS[role]).run()
    at.switch_page("pages/manual_sync.py").run()
    at.button(key="manual_sync_start").click().run()
    assert not at.exception
    progress = at.dataframe[0].value
    states = dict(zip(progress["Name"], progress["State"], strict=True))
    assert sorted(states.values()) == ["Google not connected", "Google not connected", "Waiting"]
    assert worker.huey.pending_count() == 1  # one sync queued, for the one connected trainer
    # The worker runs it (here: writes the run it would write), and the page follows.
    with Session(get_engine(demo_store)) as session:
        session.add(
            SyncRun(
                trainer_id=connected,
                trigger=SyncTrigger.MANUAL,
                outcome=RunOutcome.SUCCESS,
                started_at=utcnow(),
                fetched=12,
                pushed=3,
                duration_ms=900,
            )
        )
        session.commit()
        name = session.get(Trainer, connected).name  # type: ignore[union-attr]
    at.run()
    progress = at.dataframe[0].value
    row = progress[progress["Name"] == name].iloc[0]
    assert (row["State"], row["Read from Google"], row["Sent to Google"]) == ("Done", 12, 3)
    assert any("All finished" in s.value for s in at.success)
    worker.huey.flush()


def test_failed_syncs_can_be_retried_from_the_page(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    connected = _connect(demo_store, EMAILS["trainer"])
    worker.huey.flush()
    at = app_as(EMAILS["staff"]).run()
    at.switch_page("pages/manual_sync.py").run()
    at.button(key="manual_sync_start").click().run()
    worker.huey.flush()
    with Session(get_engine(demo_store)) as session:
        session.add(
            SyncRun(
                trainer_id=connected,
                trigger=SyncTrigger.MANUAL,
                outcome=RunOutcome.FAILED,
                started_at=utcnow(),
                error="Google answered 503",
            )
        )
        session.commit()
    at.run()
    assert "Google answered 503" in list(at.dataframe[0].value["Error"])
    at.button(key="manual_sync_retry").click().run()
    assert worker.huey.pending_count() == 1
    worker.huey.flush()


def test_a_trainer_cannot_open_manual_sync(app_as: Callable[..., AppTest]) -> None:
    at = app_as(EMAILS["trainer"]).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/manual_sync.py")
