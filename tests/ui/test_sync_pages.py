"""The sync settings page (trainer) and the manual sync page (staff, managers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from db.engine import get_engine
from db.models import (
    ConnectionStatus,
    GoogleCalendarSyncSettings,
    IntegrationCredential,
    Lease,
    RunOutcome,
    SyncRun,
    SyncTrigger,
    Trainer,
    utcnow,
)
from integrations.crm import accounts
from integrations.messages import MESSAGES
from integrations.processes import worker
from tests.support.apptest import EMAILS, run_fragments
from tests.support.sync_rows import connect_google as _connect
from tests.support.sync_rows import record_run as _record_run


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
                finished_at=utcnow(),
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
    # Two of the three never connected Google: nothing was synced for them, so not "all done".
    assert not at.success
    assert [w.value.split(": ", 1)[1] for w in at.warning] == [
        "1 of 3 synced. 2 have not connected Google, so nothing was synced for them."
    ]
    worker.huey.flush()


def test_failed_syncs_can_be_retried_from_the_page(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    connected = _connect(demo_store, EMAILS["trainer"])
    worker.huey.flush()
    at = app_as(EMAILS["staff"]).run()
    at.switch_page("pages/manual_sync.py").run()
    at.button(key="manual_sync_start").click().run()
    # The queued sync "ran" and failed: a consumer taking the task takes its waiting mark too.
    worker.huey.flush()
    with Session(get_engine(demo_store)) as session:
        mark = session.get(Lease, worker.SYNC_PENDING_LEASE.format(trainer_id=connected))
        assert mark is not None
        session.delete(mark)
        session.add(
            SyncRun(
                trainer_id=connected,
                trigger=SyncTrigger.MANUAL,
                outcome=RunOutcome.FAILED,
                started_at=utcnow(),
                finished_at=utcnow(),
                error="Google answered 503",
                error_kind="transient",
            )
        )
        session.commit()
    at.run()
    assert "Temporary failure" in list(at.dataframe[0].value["Error"])
    at.button(key="manual_sync_retry").click().run()
    assert worker.huey.pending_count() == 1
    worker.huey.flush()


def test_a_trainer_cannot_open_manual_sync(app_as: Callable[..., AppTest]) -> None:
    at = app_as(EMAILS["trainer"]).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/manual_sync.py")


def _start_sync_for_everyone(at: AppTest) -> None:
    at.switch_page("pages/manual_sync.py").run()
    at.button(key="manual_sync_start").click().run()
    worker.huey.flush()


def test_auto_sync_is_explained_whichever_way_the_toggle_stands(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    """The line under the toggle once read "Off: ..." while the toggle was on."""
    _connect(demo_store, EMAILS["trainer"])
    at = app_as(EMAILS["trainer"]).run()
    at.switch_page("pages/sync_settings.py").run()
    assert at.toggle(key="sync_settings_auto").value is True
    explanation = at.caption[0].value
    assert explanation.startswith("On: syncs by itself") and "Off: nothing syncs" in explanation


def test_removing_every_calendar_to_bring_in_is_refused_beside_it_and_keeps_the_choices(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    trainer_id = _connect(demo_store, EMAILS["trainer"])
    at = app_as(EMAILS["trainer"]).run()
    at.switch_page("pages/sync_settings.py").run()
    at.radio(key="sync_settings_frequency").set_value("hourly")
    at.multiselect(key="sync_settings_import").set_value([])
    at.button[0].click().run()
    assert not at.exception
    assert not any("Settings saved" in toast.value for toast in at.toast)
    assert [e.value for e in at.error] == [
        "Choose at least one calendar to bring in: with none, Google's events cannot come "
        'here. To only send your sessions to Google, choose "From the CRM to Google".'
    ]
    # Nothing saved, nothing the trainer entered lost.
    with Session(get_engine(demo_store)) as session:
        saved = session.get(GoogleCalendarSyncSettings, trainer_id)
        assert saved is not None
        assert (saved.import_calendar_ids, saved.sync_frequency.value) == (
            ["dana@gmail.com"],
            "realtime",
        )
    assert at.multiselect(key="sync_settings_import").value == []
    assert at.radio(key="sync_settings_frequency").value == "hourly"
    # Sending only to Google reads no calendar: then an empty list is fine.
    at.radio(key="sync_settings_direction").set_value("to_google")
    at.button[0].click().run()
    assert not at.error
    assert any("Settings saved" in toast.value for toast in at.toast)
    with Session(get_engine(demo_store)) as session:
        saved = session.get(GoogleCalendarSyncSettings, trainer_id)
        assert saved is not None
        assert (saved.sync_direction.value, saved.import_calendar_ids) == ("to_google", [])


def test_an_empty_calendar_list_speaks_hebrew(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    _connect(demo_store, EMAILS["trainer"])
    at = app_as(EMAILS["trainer"], lang="he").run()
    at.switch_page("pages/sync_settings.py").run()
    at.multiselect(key="sync_settings_import").set_value([])
    at.button[0].click().run()
    assert at.multiselect(key="sync_settings_import").placeholder == "בחרו יומנים"
    assert at.error[0].value.startswith("בחרו לפחות יומן אחד לייבוא")


@pytest.mark.parametrize(("lang", "saved"), [("en", "Settings saved."), ("he", "ההגדרות נשמרו.")])
def test_saving_says_so_in_a_toast_in_the_pages_language(
    app_as: Callable[..., AppTest], demo_store: str, lang: str, saved: str
) -> None:
    _connect(demo_store, EMAILS["trainer"])
    at = app_as(EMAILS["trainer"], lang=lang).run()
    at.switch_page("pages/sync_settings.py").run()
    at.button[0].click().run()
    assert [toast.value for toast in at.toast] == [saved]


def test_a_finished_sync_with_a_failure_warns_with_the_count_and_when_the_last_run_ended(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = _connect(demo_store, EMAILS["trainer"])
    yossi = _connect(demo_store, "yossi@demo.newym.co.il")
    worker.huey.flush()
    at = app_as(EMAILS["staff"]).run()
    _start_sync_for_everyone(at)
    now = utcnow()
    ended = now + timedelta(minutes=7)  # unlike "now", which moved on every refresh
    _record_run(demo_store, dana, RunOutcome.SUCCESS, started_at=now, finished_at=now)
    _record_run(
        demo_store,
        yossi,
        RunOutcome.FAILED,
        started_at=now,
        finished_at=ended,
        error="Google answered 503",
        error_kind="transient",
    )
    at.run()
    assert not at.exception
    assert not at.success
    at_time = ended.astimezone(ZoneInfo("Asia/Jerusalem")).strftime("%H:%M")
    assert [w.value for w in at.warning] == [
        f"Finished at {at_time}, but 1 of 3 failed. See below what to do."
    ]
    assert at.button(key="manual_sync_retry").label == "Retry the one that failed"


def test_the_progress_table_keeps_numbers_as_numbers_while_some_are_missing(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    """A "—" among numbers made the grid's Arrow conversion fail (a traceback every 2 s) and
    fall back to text."""
    dana = _connect(demo_store, EMAILS["trainer"])
    worker.huey.flush()
    at = app_as(EMAILS["staff"]).run()
    _start_sync_for_everyone(at)
    _record_run(
        demo_store,
        dana,
        RunOutcome.SUCCESS,
        started_at=utcnow(),
        finished_at=utcnow(),
        fetched=4,
        duration_ms=1250,
    )
    at.run()
    progress = at.dataframe[0].value
    for column in ("Read from Google", "Changed here", "Sent to Google", "Conflicts", "Seconds"):
        assert progress[column].dtype.kind in "if", column  # numbers, missing ones empty
    assert sorted(progress["Seconds"].dropna()) == [1.2]
    assert progress["Seconds"].isna().sum() == 2  # the two trainers without Google


def test_a_failed_trainer_is_explained_in_hebrew_with_what_to_do(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = _connect(demo_store, EMAILS["trainer"])
    worker.huey.flush()
    at = app_as(EMAILS["staff"], lang="he").run()
    _start_sync_for_everyone(at)
    raw = "Google refused to refresh the access token (invalid_grant): Token has been revoked."
    _record_run(
        demo_store,
        dana,
        RunOutcome.FAILED,
        started_at=utcnow(),
        finished_at=utcnow(),
        error=raw,
        error_kind="needs_reauth",
    )
    at.run()
    assert not at.exception
    errors = list(at.dataframe[0].value["שגיאה"].dropna())
    assert errors == ["נדרש חיבור מחדש"]  # the kind, in Hebrew; not Google's English text
    with Session(get_engine(demo_store)) as session:
        name = session.get(Trainer, dana).name  # type: ignore[union-attr]
    explained = [m.value for m in at.markdown if name in m.value]
    assert len(explained) == 1
    assert "נדרש חיבור מחדש" in explained[0]
    assert 'לחבר מחדש את Google בדף "חיבור ל-Google"' in explained[0]
    (details,) = [e for e in at.expander if e.label == "פרטים טכניים (לצוות התמיכה)"]
    assert [c.value for c in details.code] == [raw]


def test_a_trainer_whose_google_needs_reconnecting_is_not_called_unconnected(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    """Staff must tell a broken connection (the trainer has to reconnect) from one never made."""
    trainer_id = _connect(demo_store, EMAILS["trainer"])
    with Session(get_engine(demo_store)) as session:
        credential = session.exec(
            select(IntegrationCredential).where(IntegrationCredential.trainer_id == trainer_id)
        ).one()
        credential.status = ConnectionStatus.NEEDS_REAUTH
        session.add(credential)
        session.commit()
    worker.huey.flush()
    at = app_as(EMAILS["staff"], lang="he").run()
    at.switch_page("pages/manual_sync.py").run()
    at.button(key="manual_sync_start").click().run()
    assert not at.exception
    progress = at.dataframe[0].value
    states = sorted(state.strip("\u2067\u2069") for state in progress["מצב"])  # RTL isolates
    assert states == ["Google לא מחובר", "Google לא מחובר", "נדרש חיבור מחדש"], states
    assert worker.huey.pending_count() == 0  # nothing queued that could only fail
    assert "אבל 1 מתוך 3 נכשל." in at.warning[0].value  # one failed: the singular verb
    problems = " ".join(m.value for m in at.markdown)
    assert "חיבור מחדש" in problems
    assert not [b for b in at.button if b.key == "manual_sync_retry"]


def test_staff_whose_access_is_turned_off_stop_seeing_the_sync_they_follow(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    """The progress refreshes by itself without the login gate: it looks the person up again
    on every run, so an open page stops showing trainers once their access is turned off."""
    _connect(demo_store, EMAILS["trainer"])
    worker.huey.flush()
    at = app_as(EMAILS["staff"]).run()
    _start_sync_for_everyone(at)
    assert at.dataframe, "the progress is drawn before access is turned off"
    with Session(get_engine(demo_store)) as session:
        accounts.deactivate_by_email(EMAILS["staff"], session=session)
    run_fragments(at)
    assert not at.exception, at.exception
    assert not at.dataframe
    assert [e.value for e in at.error] == [MESSAGES["shell.access_off"]["en"]]
    worker.huey.flush()


@pytest.mark.parametrize("kind", ["quota_exceeded", "needs_reauth"])
def test_no_retry_is_offered_beside_a_failure_that_a_retry_cannot_mend(
    app_as: Callable[..., AppTest], demo_store: str, kind: str
) -> None:
    """The explanation says retrying now fails again: a retry button beside it would only
    queue a sync that fails the same way."""
    dana = _connect(demo_store, EMAILS["trainer"])
    worker.huey.flush()
    at = app_as(EMAILS["staff"]).run()
    _start_sync_for_everyone(at)
    _record_run(
        demo_store,
        dana,
        RunOutcome.FAILED,
        started_at=utcnow(),
        finished_at=utcnow(),
        error="Google said no",
        error_kind=kind,
    )
    at.run()
    assert not at.exception
    assert "fails again" in " ".join(m.value for m in at.markdown)
    assert not [b for b in at.button if b.key == "manual_sync_retry"]
