"""Open pages follow the sync by themselves: the trainer's home page (the Google card), the
trainers' overview and the events grid ask the browser to refresh that part every few seconds
while a sync is queued or running or a booking waits for Google, slowly while Google pushes the
trainer's changes, and not at all when nothing is under way. The part's own runs show the new
state and never rerun the page (a page rerun by a refresh dropped clicks, e9e9972)."""

from __future__ import annotations

import functools
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
from integrations.crm import accounts
from integrations.messages import MESSAGES
from integrations.processes.worker import SYNC_PENDING_LEASE
from pages._live import LISTENING_SECONDS
from pages._shell import LIVE_SECONDS
from tests.support.apptest import EMAILS, run_fragments
from tests.support.sync_rows import connect_google as _connect
from tests.support.sync_rows import demo_trainer_id as _trainer_id
from tests.support.sync_rows import record_run as _record_run

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


def _book(store: str, trainer_id: str, title: str, state: SyncState) -> None:
    """A session tomorrow, as the booking form leaves it (pending: on its way to Google)."""
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    with Session(get_engine(store)) as session:
        session.add(
            CalendarEvent(
                trainer_id=trainer_id,
                title=title,
                start_at=start,
                end_at=start + timedelta(hours=1),
                sync_state=state,
            )
        )
        session.commit()


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


def _under_way_lines(at: AppTest) -> list[str]:
    return [c for c in _captions(at) if c.startswith("🔄")]


@pytest.mark.parametrize(
    ("what", "line"),
    [
        ("queued", "A sync is waiting for its turn…"),
        ("running", "Syncing with Google…"),
        ("pending", "Sending changes to Google…"),
    ],
)
def test_the_home_page_refreshes_its_google_card_while_a_sync_is_under_way(
    app_as: Callable[..., AppTest], demo_store: str, what: str, line: str
) -> None:
    dana = _connect(demo_store, EMAILS["trainer"])
    _under_way(demo_store, dana, what)
    at = app_as(EMAILS["trainer"])
    with refreshes() as asked:
        at.run()
    assert not at.exception
    assert at.title[0].value == "My integrations"
    assert asked == [LIVE_SECONDS]
    assert _under_way_lines(at) == [f"🔄 {line}"]


def test_an_idle_home_page_asks_for_no_refresh_and_one_google_pushes_to_refreshes_slowly(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = _connect(demo_store, EMAILS["trainer"])
    _book(demo_store, dana, "Synced long ago", SyncState.SYNCED)
    at = app_as(EMAILS["trainer"])
    with refreshes() as asked:
        at.run()
    assert asked == []
    assert not _under_way_lines(at)
    _listen(demo_store, dana)
    with refreshes() as asked:
        at.run()
    assert asked == [LISTENING_SECONDS]


def test_the_google_card_shows_the_first_sync_end_by_itself_without_rerunning_the_page(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    """The first sync runs: the card's own refresh (no reload, no page rerun) shows its end."""
    dana = _connect(demo_store, EMAILS["trainer"])
    _record_run(demo_store, dana, RunOutcome.RUNNING, started_at=utcnow())
    at = app_as(EMAILS["trainer"]).run()
    assert _under_way_lines(at) == ["🔄 Syncing with Google…"]
    _sync_ends(demo_store)
    with refreshes() as asked:
        run_fragments(at)
    assert not at.exception
    assert not at.title  # only the card ran: the page was not rerun
    assert asked == []  # and it set no new pace: the page's next run chooses one
    assert any(c.startswith("Last sync:") and c.endswith("(Succeeded)") for c in _captions(at))
    assert not _under_way_lines(at)


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
    run_fragments(at)
    assert not at.exception
    assert not at.title
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
    forms = len(at.get("form"))
    _sync_ends(demo_store)
    run_fragments(at)
    assert not at.exception
    assert not at.title and not at.get("form")  # the booking forms are not redrawn
    table = at.dataframe[0].value
    assert dict(zip(table["Session"], table["Sync"], strict=True))["Booked just now"].endswith(
        "Synced"
    )
    at.run()
    assert len(at.get("form")) == forms  # the page's own run draws them once, as before


def _timed_run_of(at: AppTest, fragment_ids: list[str]) -> AppTest:
    """What a browser's timer sends for these parts (`run_fragments`, for given ids)."""
    scoped = functools.partial(
        local_script_runner.RerunData, fragment_id_queue=fragment_ids, is_auto_rerun=True
    )
    with mock.patch.object(local_script_runner, "RerunData", scoped):
        at.run()
    return at


def test_a_refresh_timer_of_the_pages_earlier_run_redraws_nothing(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    """The browser runs the timer of the page's last run until it hears of the next run (a
    booking's, say): a tick from that timer must not run the part beside the booking's run
    (Streamlit then dropped that run's messages, its "session booked" toast among them).
    Each full run's part has an id of its own, and only the latest run's id is kept."""
    dana = _connect(demo_store, EMAILS["trainer"])
    _record_run(demo_store, dana, RunOutcome.RUNNING, started_at=utcnow())
    at = app_as(EMAILS["trainer"]).run()
    at.switch_page("pages/events.py").run()
    earlier = list(at._fragment_storage._fragments)
    at.run()  # the booking's run, say
    latest = list(at._fragment_storage._fragments)
    assert len(earlier) == len(latest) == 1
    assert earlier != latest

    _timed_run_of(at, earlier)
    assert not at.exception
    assert not _under_way_lines(at) and not at.get("html")  # nothing ran

    _timed_run_of(at, latest)
    assert not at.exception
    assert _under_way_lines(at) == ["🔄 Syncing with Google…"]
    assert not at.title  # the part's own run


def test_the_events_grid_of_a_trainer_google_pushes_to_refreshes_slowly(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = _connect(demo_store, EMAILS["trainer"])
    _listen(demo_store, dana)
    at = app_as(EMAILS["trainer"]).run()
    with refreshes() as asked:
        at.switch_page("pages/events.py").run()
    assert asked == [LISTENING_SECONDS]


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
    assert _under_way_lines(at), "the part is drawn before access is turned off"
    with Session(get_engine(demo_store)) as session:
        accounts.deactivate_by_email(email, session=session)
    run_fragments(at)
    assert not at.exception, at.exception
    assert not _under_way_lines(at)
    assert not at.dataframe
    assert not at.get("html")
    assert [e.value for e in at.error] == [MESSAGES["shell.access_off"]["en"]]
