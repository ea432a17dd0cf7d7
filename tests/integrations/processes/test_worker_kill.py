"""A real worker process killed with SIGKILL mid-sync: nothing stays stuck.

The Google emulator holds the sync's first events call open, so the run is provably mid-way when
the worker dies. Its lease lapses unrenewed, a second worker takes the next "Sync now", closes the
killed run as interrupted and finishes the sync. Every wait polls the store under a deadline.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from db.models import CalendarEvent, RunOutcome, SyncRun
from integrations.core import lease
from integrations.core.access import Actor
from integrations.core.crypto import generate_key
from integrations.google_calendar import jobs, service
from integrations.google_calendar.status import update_google_calendar_sync_settings
from integrations.processes import worker
from tests.support.google_world import (
    AccountFor,
    GoogleWorld,
    Trainer,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
T = TypeVar("T")


def _eventually(probe: Callable[[], T | None], what: str, timeout: float) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.2)


@pytest.fixture
def token_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """One key for the test and its workers (whose DATA_DIR is the queue's, not the test's)."""
    key = generate_key()
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", key)
    return key


@pytest.fixture
def trainer(
    token_key: str,
    google_world: GoogleWorld,
    session: Session,
    people: dict[str, Actor],
    account: AccountFor,
) -> Trainer:
    email = account()
    google_world.connect(people["trainer"], email, session=session)
    trainer = Trainer(google_world, session, people["trainer"], email)
    # Only "Sync now" starts syncs here: no schedule races the clicks this test makes.
    update_google_calendar_sync_settings(
        trainer.actor, trainer.id, {"autoSyncEnabled": False}, session=session
    )
    return trainer


@contextlib.contextmanager
def running_workers(log_dir: Path) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    """Start `python -m integrations worker` processes on the test's store and queue; each is
    stopped at the end (a graceful stop, then SIGKILL if it will not go)."""
    env = dict(os.environ)
    env["DATA_DIR"] = str(Path(worker.huey.storage.filename).parent)
    env["PYTHONUNBUFFERED"] = "1"
    python = ROOT / ".venv" / "bin" / "python"
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> subprocess.Popen[bytes]:
        with (log_dir / f"{name}.log").open("wb") as log_file:
            process = subprocess.Popen(
                [str(python), "-m", "integrations", "worker", "--workers", "2"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _runs(engine: Engine, trainer_id: str) -> list[SyncRun]:
    with Session(engine) as session:  # a fresh snapshot each time: workers write meanwhile
        return list(
            session.exec(
                select(SyncRun)
                .where(SyncRun.trainer_id == trainer_id)
                .order_by(col(SyncRun.started_at))
            ).all()
        )


def _worker_log(log_dir: Path) -> str:
    return "\n".join(
        f"--- {path.name} ---\n{path.read_text(errors='replace')[-4000:]}"
        for path in sorted(log_dir.glob("*.log"))
    )


def test_a_worker_killed_mid_sync_is_followed_by_a_finished_sync(
    trainer: Trainer, engine: Engine, tmp_path: Path
) -> None:
    huey = worker.huey
    huey.flush()
    titles = [f"Session {number}" for number in range(1, 4)]
    trainer.world.control(
        "POST",
        "/_emulator/calendar/seed",
        json={
            "email": trainer.email,
            "events": [
                {
                    "summary": title,
                    "start": {"dateTime": f"2027-03-0{day}T08:00:00+02:00"},
                    "end": {"dateTime": f"2027-03-0{day}T09:00:00+02:00"},
                }
                for day, title in enumerate(titles, start=1)
            ],
        },
    )
    # The first events listing hangs (well within the client's 60 s socket timeout).
    trainer.world.control(
        "POST",
        "/_emulator/faults",
        json={
            "kind": "delay",
            "seconds": 45,
            "times": 1,
            "method": "GET",
            "path": r"/events$",
            "email": trainer.email,
        },
    )
    log_dir = tmp_path / "workers"
    log_dir.mkdir()
    sync_lease = jobs.sync_lease_name(trainer.id)
    with running_workers(log_dir) as start_worker:
        first = start_worker("first")
        assert service.request_sync(trainer.actor, trainer.id)  # "Sync now"

        def mid_run() -> SyncRun | None:
            running = [r for r in _runs(engine, trainer.id) if r.outcome is RunOutcome.RUNNING]
            listed = any(
                call["method"] == "GET" and call["path"].endswith("/events")
                for call in trainer.world.control(
                    "GET", "/_emulator/requests", params={"email": trainer.email}
                ).json()["calls"]
            )
            return running[0] if running and listed else None

        killed_run = _eventually(mid_run, "the first worker's sync running, mid-call", 60)
        holder = lease.holder(engine, sync_lease)
        assert holder is not None and f":{first.pid}:" in holder, holder

        os.kill(first.pid, signal.SIGKILL)
        assert first.wait(timeout=10) == -signal.SIGKILL
        assert [r.outcome for r in _runs(engine, trainer.id)] == [RunOutcome.RUNNING]

        start_worker("second")
        # "Sync now" again: it is queued (the killed task left no "waiting" mark behind)...
        assert service.request_sync(trainer.actor, trainer.id)

        def finished() -> SyncRun | None:
            done = [r for r in _runs(engine, trainer.id) if r.outcome is RunOutcome.SUCCESS]
            return done[0] if done else None

        try:
            # ...and runs once the dead worker's lease has lapsed (30 s), not never.
            healed = _eventually(finished, "a successful sync after the kill", 120)
        except AssertionError as failure:
            raise AssertionError(f"{failure}\n{_worker_log(log_dir)}") from None

    runs = {run.id: run for run in _runs(engine, trainer.id)}
    interrupted = runs[killed_run.id]
    assert interrupted.outcome is RunOutcome.FAILED
    assert interrupted.error_kind == "interrupted"
    assert interrupted.error is not None and "worker stopped mid-run" in interrupted.error
    assert healed.id != killed_run.id
    with Session(engine) as session:
        synced = session.exec(
            select(CalendarEvent.title).where(CalendarEvent.trainer_id == trainer.id)
        ).all()
    assert sorted(synced) == titles
    assert lease.holder(engine, sync_lease) is None  # the healthy worker gave its lease back
