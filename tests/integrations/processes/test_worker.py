"""The worker: a periodic tick with a heartbeat, handlers that fail alone, leases that a dead
worker cannot keep, and a queue that keeps no results nobody reads."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from db.models import RunOutcome, SyncRun, SyncTrigger, WorkerHeartbeat, utcnow
from integrations.config import load_settings
from integrations.core import lease
from integrations.core.access import Actor
from integrations.core.liveness import WORKER_STALE_AFTER_SECONDS, check_worker
from integrations.core.queue import make_huey
from integrations.processes import worker


def test_each_tick_beats_the_workers_heart(database_url: str, session: Session) -> None:
    worker.run_tick()
    worker.run_tick()
    [beat] = session.exec(select(WorkerHeartbeat)).all()
    assert beat.ticks == 2
    assert beat.handled == 2 and beat.last_handled_at is not None
    assert beat.worker_name == worker.worker_name()
    assert check_worker(session.get_bind())["ok"]  # type: ignore[arg-type]


def test_a_tick_lease_left_by_a_killed_worker_does_not_stop_the_schedules(
    database_url: str, engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker that held the tick died (its lease lapsed unrenewed): the next tick runs every
    schedule, refresh and alert handler, and health sees the ticks handled."""
    ran: list[datetime] = []
    monkeypatch.setattr(worker, "TICK_HANDLERS", [lambda session, now: ran.append(now)])
    died_at = utcnow() - 2 * worker.TICK_LEASE_TTL
    assert lease.acquire(
        engine, worker.TICK_LEASE, "dead-host:4242:0badc0de", worker.TICK_LEASE_TTL, now=died_at
    )
    result = worker.run_tick()
    assert result is not None and result["failed"] == []
    assert len(ran) == 1
    assert check_worker(engine)["ok"]
    assert lease.holder(engine, worker.TICK_LEASE) is None  # given back once the tick ended


def test_while_another_worker_runs_the_tick_this_one_only_beats_its_heart(
    database_url: str, engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[datetime] = []
    monkeypatch.setattr(worker, "TICK_HANDLERS", [lambda session, now: ran.append(now)])
    assert lease.acquire(engine, worker.TICK_LEASE, "other-host:1:abc", worker.TICK_LEASE_TTL)
    assert worker.run_tick() is None
    assert ran == []
    [beat] = session.exec(select(WorkerHeartbeat)).all()
    assert (beat.ticks, beat.handled) == (1, 0)


def test_health_says_not_ok_when_hearts_beat_but_nobody_handles_the_ticks(
    database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker stuck holding the tick lease: heartbeats go on, no schedule runs for minutes."""
    monkeypatch.setattr(worker, "TICK_HANDLERS", [])
    started = utcnow()
    assert worker.run_tick(now=started) is not None
    assert check_worker(engine, now=started)["ok"]
    assert lease.acquire(engine, worker.TICK_LEASE, "stuck-host:7:abc", timedelta(hours=1))
    later = started + timedelta(seconds=WORKER_STALE_AFTER_SECONDS + 30)
    for minute in range(3, 0, -1):
        assert worker.run_tick(now=later - timedelta(minutes=minute)) is None
    assert worker.run_tick(now=later) is None
    state = check_worker(engine, now=later)
    assert state["age_seconds"] == 0  # the heart beats...
    assert state["ok"] is False  # ...but nothing was handled
    assert state["problem"] == "ticks_not_handled"
    assert state["handled_age_seconds"] == WORKER_STALE_AFTER_SECONDS + 30


def test_a_tick_closes_runs_whose_worker_is_gone_and_spares_runs_still_worked_on(
    database_url: str, engine: Engine, session: Session, people: dict[str, Actor]
) -> None:
    """Dana's worker died mid-sync (its lease lapsed); Yossi's is still syncing (lease live)."""
    dana, yossi = people["trainer"].trainer_id, people["other_trainer"].trainer_id
    assert dana is not None and yossi is not None
    now = utcnow()
    for trainer_id in (dana, yossi):
        session.add(
            SyncRun(
                trainer_id=trainer_id,
                trigger=SyncTrigger.MANUAL,
                started_at=now - timedelta(minutes=2),
            )
        )
        session.commit()
    ttl = worker.SYNC_LEASE_TTL
    assert lease.acquire(engine, f"google-sync:{dana}", "dead:1:a", ttl, now=now - 2 * ttl)
    assert lease.acquire(engine, f"google-sync:{yossi}", "alive:2:b", ttl, now=now)
    worker.run_tick_handlers(now)
    session.expire_all()
    runs = {run.trainer_id: run for run in session.exec(select(SyncRun)).all()}
    assert runs[dana].outcome is RunOutcome.FAILED
    assert runs[dana].error_kind == "interrupted"
    assert runs[dana].error is not None and "worker stopped mid-run" in runs[dana].error
    assert runs[dana].finished_at == now
    assert runs[yossi].outcome is RunOutcome.RUNNING


def test_a_lost_queued_sync_blocks_sync_now_only_until_its_waiting_mark_lapses(
    database_url: str,
) -> None:
    """The queue lost the task (its worker died, the queue was flushed): "Sync now" says a sync
    is waiting for a few minutes, not for ever."""
    worker.huey.flush()
    assert worker.enqueue_sync("trainer-1", SyncTrigger.MANUAL)
    worker.huey.flush()  # the queued task is gone
    assert not worker.enqueue_sync("trainer-1", SyncTrigger.MANUAL)
    lapsed = utcnow() + worker.SYNC_PENDING_TTL + timedelta(seconds=1)
    assert not worker.sync_waiting("trainer-1", now=lapsed)
    assert worker.enqueue_sync("trainer-1", SyncTrigger.MANUAL, now=lapsed)
    assert worker.huey.pending_count() == 1
    worker.huey.flush()


def test_a_sync_the_queue_refused_does_not_leave_the_trainer_marked_waiting(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Queue down: the caller sees the error, and its retry is queued, not called a duplicate."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise ConnectionError("queue down")

    monkeypatch.setattr(worker.sync_trainer, "schedule", refuse)
    with pytest.raises(ConnectionError):
        worker.enqueue_sync("trainer-1", SyncTrigger.WEBHOOK)
    assert not worker.sync_waiting("trainer-1")
    monkeypatch.undo()
    worker.huey.flush()
    assert worker.enqueue_sync("trainer-1", SyncTrigger.WEBHOOK)
    worker.huey.flush()


def test_a_sync_finding_its_trainer_synced_elsewhere_tries_again_shortly(
    database_url: str, engine: Engine
) -> None:
    huey = worker.huey
    huey.flush()
    assert lease.acquire(engine, "google-sync:trainer-1", "other-host:1:abc", worker.SYNC_LEASE_TTL)
    assert worker.enqueue_sync("trainer-1", SyncTrigger.MANUAL)
    result = huey.execute(huey.dequeue())
    assert result == {"outcome": "busy", "retry_in_seconds": worker.SYNC_BUSY_RETRY_SECONDS}
    assert worker.sync_waiting("trainer-1")
    assert not worker.enqueue_sync("trainer-1", SyncTrigger.MANUAL)  # a burst still queues one
    retry = huey.dequeue()
    assert retry.name.endswith("sync_trainer") and retry.args == ("trainer-1", "manual")
    assert retry.eta is not None and retry.eta > utcnow().replace(tzinfo=None)  # a bit later
    assert huey.dequeue() is None
    huey.flush()


def test_finished_tasks_leave_no_results_piling_up_in_the_queue(tmp_path: object) -> None:
    """Nobody reads a task's return value from the queue, so the queue keeps none."""
    huey = make_huey(load_settings())

    @huey.task()
    def add(a: int, b: int) -> int:
        return a + b

    add(2, 3)
    assert huey.execute(huey.dequeue()) == 5
    assert huey.storage.result_store_size() == 0


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
    from tests.support.ci import need

    url = os.environ.get("TEST_REDIS_URL")
    need(url is not None, "TEST_REDIS_URL is not set")
    huey = make_huey(load_settings(REDIS_URL=url))
    huey.flush()

    @huey.task()
    def add(a: int, b: int) -> int:
        return a + b

    add(2, 3)
    assert check_queue(huey) == {"ok": True, "backend": "redis", "pending": 1}
    assert huey.execute(huey.dequeue()) == 5
    assert huey.storage.result_store_size() == 0  # no result left unread in Redis
    huey.flush()
