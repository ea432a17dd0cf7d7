"""The worker: a periodic tick with a heartbeat, and handlers that fail alone."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from db.models import WorkerHeartbeat, utcnow
from integrations import worker
from integrations.core.health import check_worker


def test_each_tick_beats_the_workers_heart(database_url: str, session: Session) -> None:
    worker.run_tick()
    worker.run_tick()
    [beat] = session.exec(select(WorkerHeartbeat)).all()
    assert beat.ticks == 2
    assert beat.worker_name == worker.worker_name()
    assert check_worker(session.get_bind())["ok"]  # type: ignore[arg-type]


def test_health_calls_a_silent_worker_stalled(database_url: str, session: Session) -> None:
    worker.record_heartbeat(session, utcnow() - timedelta(minutes=10))
    state = check_worker(session.get_bind())  # type: ignore[arg-type]
    assert state["ok"] is False and state["age_seconds"] >= 600


def test_a_failing_tick_handler_does_not_stop_the_others(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[str] = []

    def broken(session: Session, now: datetime) -> None:
        raise RuntimeError("provider down")

    def healthy(session: Session, now: datetime) -> None:
        ran.append("healthy")

    monkeypatch.setattr(worker, "TICK_HANDLERS", [broken, healthy])
    result = worker.run_tick_handlers()
    assert result["failed"] == ["broken"]
    assert ran == ["healthy"]


def test_tick_runs_on_the_real_queue(database_url: str, session: Session) -> None:
    """The task goes through Huey's storage and is executed as a consumer would."""
    huey = worker.huey
    huey.flush()
    assert session.exec(select(WorkerHeartbeat)).first() is None
    worker.tick_now()
    assert huey.pending_count() == 1
    task = huey.dequeue()
    huey.execute(task)
    assert huey.pending_count() == 0
    assert session.exec(select(WorkerHeartbeat)).one().ticks == 1
