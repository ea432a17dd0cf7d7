"""What pages that show sync state ask every few seconds while they follow a sync: is a sync of
these trainers queued or running, does a change wait for Google, does Google push their
changes. One cheap statement, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from db.models import (
    CalendarEvent,
    Lease,
    RunOutcome,
    SyncRun,
    SyncState,
    SyncTrigger,
    WebhookChannel,
)
from integrations.core.access import Actor
from integrations.core.errors import AccessDenied
from integrations.crm import accounts
from integrations.crm.trainers import FOLLOW_AT_MOST, SyncActivity, sync_activity
from integrations.processes.worker import SYNC_PENDING_LEASE
from tests.support.times import at

NOW = at(2026, 12, 8, 9)


def _ids(people: dict[str, Actor]) -> tuple[str, str]:
    mine, other = people["trainer"].trainer_id, people["other_trainer"].trainer_id
    assert mine is not None and other is not None
    return mine, other


def _queued(session: Session, trainer_id: str, *, expires_in: timedelta) -> None:
    session.add(
        Lease(
            name=SYNC_PENDING_LEASE.format(trainer_id=trainer_id),
            owner="queued:manual:test",
            acquired_at=NOW - timedelta(seconds=1),
            expires_at=NOW + expires_in,
        )
    )
    session.commit()


def _run(session: Session, trainer_id: str, outcome: RunOutcome, *, ago: timedelta) -> None:
    session.add(
        SyncRun(
            trainer_id=trainer_id,
            trigger=SyncTrigger.MANUAL,
            started_at=NOW - ago,
            outcome=outcome,
        )
    )
    session.commit()


def _booked(session: Session, trainer_id: str, state: SyncState, *, ago: timedelta) -> None:
    session.add(
        CalendarEvent(
            trainer_id=trainer_id,
            title="Session",
            start_at=NOW + timedelta(days=1),
            end_at=NOW + timedelta(days=1, hours=1),
            sync_state=state,
            updated_at=NOW - ago,
        )
    )
    session.commit()


def _channel(session: Session, trainer_id: str, *, expires_in: timedelta, stopped: bool) -> None:
    session.add(
        WebhookChannel(
            trainer_id=trainer_id,
            calendar_id="primary",
            channel_id=f"channel-{trainer_id}-{expires_in.total_seconds()}-{stopped}",
            token_encrypted="unused",
            expires_at=NOW + expires_in,
            stopped_at=NOW if stopped else None,
        )
    )
    session.commit()


def _of(actor: Actor, ids: list[str] | None, session: Session) -> SyncActivity:
    return sync_activity(actor, ids, session=session, now=NOW)


def test_nothing_under_way_is_idle(session: Session, people: dict[str, Actor]) -> None:
    mine, _ = _ids(people)
    _run(session, mine, RunOutcome.SUCCESS, ago=timedelta(minutes=1))
    _booked(session, mine, SyncState.SYNCED, ago=timedelta(seconds=5))
    activity = _of(people["trainer"], [mine], session)
    assert activity == SyncActivity()
    assert not activity.busy


def test_a_queued_sync_is_in_flight_until_its_waiting_mark_lapses(
    session: Session, people: dict[str, Actor]
) -> None:
    mine, other = _ids(people)
    _queued(session, mine, expires_in=timedelta(minutes=4))
    _queued(session, other, expires_in=-timedelta(seconds=1))  # lost with its queue
    assert _of(people["trainer"], [mine], session) == SyncActivity(queued=True)
    assert not _of(people["other_trainer"], [other], session).busy


def test_a_running_sync_is_in_flight_but_not_one_left_running_long_ago(
    session: Session, people: dict[str, Actor]
) -> None:
    """A run whose worker is gone stays "running" until another worker closes it: past
    `FOLLOW_AT_MOST` it no longer keeps pages polling."""
    mine, other = _ids(people)
    _run(session, mine, RunOutcome.RUNNING, ago=timedelta(seconds=3))
    _run(session, other, RunOutcome.RUNNING, ago=FOLLOW_AT_MOST + timedelta(minutes=1))
    assert _of(people["trainer"], [mine], session) == SyncActivity(running=True)
    assert not _of(people["other_trainer"], [other], session).busy


def test_a_booking_waiting_for_google_is_in_flight_for_a_while(
    session: Session, people: dict[str, Actor]
) -> None:
    mine, other = _ids(people)
    _booked(session, mine, SyncState.PENDING, ago=timedelta(seconds=2))
    _booked(session, other, SyncState.PENDING, ago=FOLLOW_AT_MOST + timedelta(minutes=1))
    _booked(session, other, SyncState.LOCAL_ONLY, ago=timedelta(seconds=2))
    assert _of(people["trainer"], [mine], session) == SyncActivity(pushing=True)
    assert not _of(people["other_trainer"], [other], session).busy


def test_a_live_push_channel_is_listening_not_busy(
    session: Session, people: dict[str, Actor]
) -> None:
    mine, other = _ids(people)
    _channel(session, mine, expires_in=timedelta(days=6), stopped=False)
    _channel(session, other, expires_in=timedelta(days=6), stopped=True)
    _channel(session, other, expires_in=-timedelta(minutes=1), stopped=False)
    assert _of(people["trainer"], [mine], session) == SyncActivity(listening=True)
    assert _of(people["other_trainer"], [other], session) == SyncActivity()


def test_managers_see_every_working_trainers_activity_and_a_trainer_only_their_own(
    session: Session, people: dict[str, Actor]
) -> None:
    mine, other = _ids(people)
    _run(session, other, RunOutcome.RUNNING, ago=timedelta(seconds=3))
    assert _of(people["manager"], None, session).running
    assert _of(people["staff"], None, session).running
    assert not _of(people["trainer"], None, session).busy  # another trainer's sync
    with pytest.raises(AccessDenied):
        _of(people["trainer"], [other], session)
    # A trainer who left (login turned off) keeps their runs, but not the overview polling.
    accounts.deactivate_by_email("yossi@example.com", session=session)
    assert not _of(people["manager"], None, session).busy
    _queued(session, mine, expires_in=timedelta(minutes=4))
    assert _of(people["manager"], None, session) == SyncActivity(queued=True)


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize("who", ["manager", "trainer"])
def test_the_question_is_one_statement(
    session: Session, engine: Engine, people: dict[str, Actor], who: str
) -> None:
    """Asked every few seconds by every open page that follows a sync: one round trip."""
    mine, other = _ids(people)
    for trainer_id in (mine, other):
        _queued(session, trainer_id, expires_in=timedelta(minutes=4))
        _run(session, trainer_id, RunOutcome.RUNNING, ago=timedelta(seconds=3))
        _booked(session, trainer_id, SyncState.PENDING, ago=timedelta(seconds=2))
        _channel(session, trainer_id, expires_in=timedelta(days=1), stopped=False)
    ids = None if who == "manager" else [mine]
    with _statements(engine) as seen:
        activity = _of(people[who], ids, session)
    assert activity == SyncActivity(queued=True, running=True, pushing=True, listening=True)
    assert len(seen) == 1, seen
