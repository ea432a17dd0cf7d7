"""Open pages follow the sync by themselves: the trainer's home page, the trainers' overview and
the events grid ask the browser to refresh their sync state every few seconds while a sync is
queued or running or a booking waits for Google, slowly while Google pushes the trainer's
changes, and not at all when nothing is under way; the refresh that finds the sync over reruns
the page once, so it shows the final state and stops asking."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from streamlit.testing.v1 import AppTest, local_script_runner

from db.engine import get_engine
from db.models import CalendarEvent, Lease, RunOutcome, SyncRun, SyncState, WebhookChannel, utcnow
from integrations import accounts
from integrations.worker import SYNC_PENDING_LEASE
from pages._live import LISTENING_SECONDS
from pages._messages import MESSAGES
from pages._shell import LIVE_SECONDS
from tests.ui.conftest import EMAILS, run_fragments
from tests.ui.test_sync_pages import _connect, _record_run, _trainer_id

Runner = local_script_runner.LocalScriptRunner


@contextmanager
def refreshes() -> Iterator[list[float]]:
    """The refresh intervals (a fragment's `run_every`) that the runs in the block send to the
    browser, read from the messages AppTest itself collects."""
    asked: list[float] = []
    collected = Runner.forward_msgs

    def recording(runner: local_script_runner.LocalScriptRunner) -> list[object]:
        messages = collected(runner)
        asked.extend(
            m.auto_rerun.interval for m in messages if m.WhichOneof("type") == "auto_rerun"
        )
        return list(messages)

    with mock.patch.object(Runner, "forward_msgs", recording):
        yield asked


def _queue_sync(store: str, trainer_id: str) -> None:
    """The "sync waiting" mark `enqueue_sync` takes when it queues a sync."""
    with Session(get_engine(store)) as session:
        session.add(
            Lease(
                name=SYNC_PENDING_LEASE.format(trainer_id=trainer_id),
                owner="queued:manual:test",
                expires_at=utcnow() + timedelta(minutes=5),
            )
        )
        session.commit()


def _book(store: str, trainer_id: str, title: str, state: SyncState) -> str:
    """A session tomorrow, as the booking form leaves it (pending: on its way to Google)."""
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    with Session(get_engine(store)) as session:
        event = CalendarEvent(
            trainer_id=trainer_id,
            title=title,
            start_at=start,
            end_at=start + timedelta(hours=1),
            sync_state=state,
        )
        session.add(event)
        session.commit()
        return event.id


def _listen(store: str, trainer_id: str) -> None:
    with Session(get_engine(store)) as session:
        session.add(
            WebhookChannel(
                trainer_id=trainer_id,
                calendar_id="dana@gmail.com",
                channel_id="live-channel",
                token_encrypted="unused",
                expires_at=utcnow() + timedelta(days=6),
            )
        )
        session.commit()


def _under_way(store: str, trainer_id: str, what: str) -> None:
    if what == "queued":
        _queue_sync(store, trainer_id)
    elif what == "running":
        _record_run(store, trainer_id, RunOutcome.RUNNING, started_at=utcnow())
    else:
        _book(store, trainer_id, "Booked just now", SyncState.PENDING)


def _sync_ends(store: str) -> None:
    """The worker finishes: the run ends and every booking reached Google."""
    with Session(get_engine(store)) as session:
        session.execute(
            sa.update(SyncRun)
            .where(sa.column("outcome") == RunOutcome.RUNNING)
            .values(outcome=RunOutcome.SUCCESS, finished_at=utcnow())
        )
        session.execute(
            sa.update(CalendarEvent)
            .where(sa.column("sync_state") == SyncState.PENDING)
            .values(sync_state=SyncState.SYNCED)
        )
        session.execute(sa.delete(Lease))
        session.commit()


def _captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


@pytest.mark.parametrize("what", ["queued", "running", "pending"])
def test_the_home_page_refreshes_itself_while_a_sync_is_under_way(
    app_as: Callable[..., AppTest], demo_store: str, what: str
) -> None:
    dana = _connect(demo_store, EMAILS["trainer"])
    _under_way(demo_store, dana, what)
    at = app_as(EMAILS["trainer"])
    with refreshes() as asked:
        at.run()
    assert not at.exception
    assert at.title[0].value == "My integrations"
    assert asked == [LIVE_SECONDS]
    shown = {
        "queued": "The sync is waiting for its turn…",
        "running": "Syncing with Google…",
        "pending": "Sending changes to Google…",
    }[what]
    assert f"🔄 {shown}" in _captions(at)


def test_an_idle_home_page_asks_for_no_refresh_and_one_google_pushes_to_refreshes_slowly(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = _connect(demo_store, EMAILS["trainer"])
    _book(demo_store, dana, "Synced long ago", SyncState.SYNCED)
    at = app_as(EMAILS["trainer"])
    with refreshes() as asked:
        at.run()
    assert asked == []
    assert not [c for c in _captions(at) if c.startswith("🔄")]
    _listen(demo_store, dana)
    with refreshes() as asked:
        at.run()
    assert asked == [LISTENING_SECONDS]


def test_the_home_page_shows_the_first_sync_end_and_the_booking_in_google_by_itself(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    """The first sync runs and a booking waits for Google: the page's own refresh (no reload)
    shows the sync's end and the booking synced, then reruns the page to stop polling."""
    dana = _connect(demo_store, EMAILS["trainer"])
    started = utcnow()
    _record_run(demo_store, dana, RunOutcome.RUNNING, started_at=started)
    _book(demo_store, dana, "Booked just now", SyncState.PENDING)
    at = app_as(EMAILS["trainer"]).run()
    table = at.dataframe[0].value
    assert dict(zip(table["Session"], table["Sync"], strict=True))["Booked just now"].endswith(
        "Waiting to sync"
    )
    _sync_ends(demo_store)
    with refreshes() as asked:
        run_fragments(at)
    assert not at.exception
    assert asked == []  # the refresh found nothing under way: the page reran and stopped asking
    assert at.title[0].value == "My integrations"  # the whole page, not only the fragment
    assert any(c.startswith("Last sync:") and c.endswith("(Succeeded)") for c in _captions(at))
    table = at.dataframe[0].value
    assert dict(zip(table["Session"], table["Sync"], strict=True))["Booked just now"].endswith(
        "Synced"
    )
    assert not [c for c in _captions(at) if c.startswith("🔄")]


def test_a_refresh_while_still_under_way_redraws_only_the_part_and_keeps_polling(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = _connect(demo_store, EMAILS["trainer"])
    _record_run(demo_store, dana, RunOutcome.RUNNING, started_at=utcnow())
    at = app_as(EMAILS["trainer"]).run()
    assert "Never synced" not in _captions(at)  # a running run is the last sync
    _book(demo_store, dana, "Came from Google", SyncState.SYNCED)
    run_fragments(at)
    assert not at.exception
    assert not at.title  # still following: only the fragment ran
    assert "Came from Google" in list(at.dataframe[0].value["Session"])
    assert "🔄 Syncing with Google…" in _captions(at)


def test_the_trainers_overview_follows_any_trainers_sync(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = _connect(demo_store, EMAILS["trainer"])
    at = app_as(EMAILS["manager"])
    with refreshes() as asked:
        at.run()
    assert at.title[0].value == "Trainers"
    assert asked == []
    _record_run(demo_store, dana, RunOutcome.RUNNING, started_at=utcnow())
    with refreshes() as asked:
        at.run()
    assert asked == [LIVE_SECONDS]
    _sync_ends(demo_store)
    with refreshes() as asked:
        run_fragments(at)
    assert not at.exception
    assert asked == []
    outcomes = dict(
        zip(at.dataframe[0].value["Name"], at.dataframe[0].value["Outcome"], strict=True)
    )
    assert "Succeeded" in outcomes.values()


def test_the_events_grid_follows_a_booking_until_it_reaches_google(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = _trainer_id(demo_store, EMAILS["trainer"])
    at = app_as(EMAILS["trainer"]).run()
    with refreshes() as asked:
        at.switch_page("pages/events.py").run()
    assert at.title[0].value == "Events"
    assert asked == []
    _connect(demo_store, EMAILS["trainer"])
    _queue_sync(demo_store, dana)
    _book(demo_store, dana, "Booked just now", SyncState.PENDING)
    with refreshes() as asked:
        at.run()
    assert asked == [LIVE_SECONDS]
    assert "Booked just now" in at.get("html")[0].value  # in the week's grid
    _sync_ends(demo_store)
    with refreshes() as asked:
        run_fragments(at)
    assert not at.exception
    assert asked == []
    table = at.dataframe[0].value
    assert dict(zip(table["Session"], table["Sync"], strict=True))["Booked just now"].endswith(
        "Synced"
    )


@pytest.mark.parametrize(
    ("email", "page"),
    [
        (EMAILS["trainer"], None),
        (EMAILS["trainer"], "pages/events.py"),
        (EMAILS["staff"], None),
    ],
)
def test_a_person_whose_access_is_turned_off_stops_seeing_the_refreshing_part(
    app_as: Callable[..., AppTest], demo_store: str, email: str, page: str | None
) -> None:
    """The refresh skips the login gate: it looks the person up again on every run."""
    dana = _connect(demo_store, EMAILS["trainer"])
    _record_run(demo_store, dana, RunOutcome.RUNNING, started_at=utcnow())
    at = app_as(email).run()
    if page is not None:
        at.switch_page(page).run()
    assert at.dataframe or at.get("html"), "the part is drawn before access is turned off"
    with Session(get_engine(demo_store)) as session:
        accounts.deactivate_by_email(email, session=session)
    run_fragments(at)
    assert not at.exception, at.exception
    assert not at.dataframe
    assert not at.get("html")
    assert [e.value for e in at.error] == [MESSAGES["shell.access_off"]["en"]]
