"""Queue tasks and periodic schedules, run by `python -m integrations worker` (Huey consumer).

Each worker process may run beside others on the same queue: periodic work takes a queue lock,
and every handler is idempotent, so two workers ticking at once do no harm.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime
from typing import Any

from huey import crontab
from huey.exceptions import TaskLockedException
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from db.models import SyncTrigger, WorkerHeartbeat, utcnow
from integrations.config import get_settings
from integrations.core.queue import make_huey
from integrations.google_calendar import jobs
from integrations.runtime import session as open_session

log = logging.getLogger(__name__)

huey = make_huey(get_settings())

#: Functions run on every tick: later integrations register their schedules here.
TickHandler = Callable[[Session, datetime], None]
TICK_HANDLERS: list[TickHandler] = []


def on_tick(handler: TickHandler) -> TickHandler:
    """Register `handler(session, now)` to run once a minute on some worker."""
    TICK_HANDLERS.append(handler)
    return handler


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def record_heartbeat(session: Session, now: datetime) -> None:
    """An upsert: two threads of one worker may tick at the same moment."""
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    table = WorkerHeartbeat.__table__  # type: ignore[attr-defined]
    statement = insert(table).values(worker_name=worker_name(), last_tick_at=now, ticks=1)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.worker_name],
        set_={"last_tick_at": now, "ticks": table.c.ticks + 1},
    )
    session.execute(statement)
    session.commit()


def run_tick_handlers(now: datetime | None = None) -> dict[str, Any]:
    """Each handler in its own session, so that one failure spares the rest."""
    now = now or utcnow()
    failed = []
    for handler in TICK_HANDLERS:
        try:
            with open_session() as session:
                handler(session, now)
        except Exception:
            failed.append(handler.__name__)
            log.exception(
                "tick handler %s failed", handler.__name__, extra={"event": "tick_failed"}
            )
    return {"at": now.isoformat(), "handlers": len(TICK_HANDLERS), "failed": failed}


def run_tick() -> dict[str, Any] | None:
    """Every worker beats its heart; only one at a time runs the handlers."""
    now = utcnow()
    with open_session() as session:
        record_heartbeat(session, now)
    try:
        with huey.lock_task("tick"):
            return run_tick_handlers(now)
    except TaskLockedException:
        return None


@huey.task()
def tick_now() -> dict[str, Any] | None:
    return run_tick()


@huey.periodic_task(crontab(minute="*"))
def tick() -> dict[str, Any] | None:
    return run_tick()


# --- Google Calendar ------------------------------------------------------------------------

SYNC_PENDING_KEY = "google-sync-pending:{trainer_id}"
#: Webhooks for one calendar often come in bursts: wait this long and sync once.
WEBHOOK_DEBOUNCE_SECONDS = 2


def enqueue_sync(trainer_id: str, trigger: SyncTrigger, *, delay: float = 0) -> bool:
    """Queue a sync unless one is already waiting for this trainer; True when queued."""
    if not huey.put_if_empty(SYNC_PENDING_KEY.format(trainer_id=trainer_id), trigger.value):
        return False
    sync_trainer.schedule(args=(trainer_id, trigger.value), delay=delay)
    return True


@huey.task()
def sync_trainer(trainer_id: str, trigger: str) -> dict[str, Any] | None:
    # Taken off "waiting" first: a change arriving during this run queues the next one.
    huey.get(SYNC_PENDING_KEY.format(trainer_id=trainer_id))
    try:
        with huey.lock_task(f"google-sync:{trainer_id}"):
            result = jobs.run_sync(trainer_id, SyncTrigger(trigger))
    except TaskLockedException:
        enqueue_sync(trainer_id, SyncTrigger(trigger), delay=5)
        return None
    if result["outcome"] == "failed":
        evaluate_alerts()
    return result


@huey.task()
def refresh_google_token(credential_id: str) -> bool:
    refreshed = jobs.refresh_token(credential_id)
    if not refreshed:
        evaluate_alerts()
    return refreshed


@on_tick
def schedule_google_syncs(session: Session, now: datetime) -> None:
    for trainer_id in jobs.due_syncs(session, now):
        enqueue_sync(trainer_id, SyncTrigger.SCHEDULE)


@on_tick
def refresh_expiring_google_tokens(session: Session, now: datetime) -> None:
    for credential_id in jobs.expiring_credentials(session, now):
        refresh_google_token(credential_id)


# --- Alerts ---------------------------------------------------------------------------------


@on_tick
def check_alerts(session: Session, now: datetime) -> None:
    from integrations import alerts

    alerts.check_alerts(session, now)


@huey.task()
def evaluate_alerts() -> dict[str, list[str]]:
    """Right after a failure, so that a connection needing its trainer is an alert at once rather
    than at the next tick; the rules' own grace periods still apply."""
    from integrations import alerts

    with open_session() as session:
        report = alerts.check_alerts(session)
    return {"raised": report.raised, "adopted": report.adopted, "resolved": report.resolved}
