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


def test_the_queue_runs_on_redis_when_redis_url_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scale-out: every web, api and worker process shares one Redis queue."""
    import os

    from integrations.config import load_settings
    from integrations.core.queue import check_queue, make_huey
    from tests.conftest import need

    url = os.environ.get("TEST_REDIS_URL")
    need(url is not None, "TEST_REDIS_URL is not set")
    huey = make_huey(load_settings(REDIS_URL=url))
    huey.flush()

    @huey.task()
    def add(a: int, b: int) -> int:
        return a + b

    result = add(2, 3)
    assert check_queue(huey) == {"ok": True, "backend": "redis", "pending": 1}
    huey.execute(huey.dequeue())
    assert result.get() == 5
    huey.flush()
