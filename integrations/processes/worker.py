"""Queue tasks and periodic schedules, run by `python -m integrations worker` (Huey consumer).

Each worker process may run beside others on the same queue: periodic work and each trainer's
sync take a lease in the store (a lock with an owner and an expiry, renewed while the work runs),
and every handler is idempotent, so two workers ticking at once do no harm and a worker killed
mid-job holds nothing for longer than one lease.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from huey import crontab
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from db.models import SyncTrigger, WorkerHeartbeat, utcnow
from integrations.config import get_settings
from integrations.core import lease, registry
from integrations.core.queue import make_huey
from integrations.google_calendar import jobs
from integrations.runtime import engine as store_engine
from integrations.runtime import session as open_session

log = logging.getLogger(__name__)

huey = make_huey(get_settings())

#: Functions run on every tick. Each integration's own come from its `periodic_jobs()`; these
#: are the product's (alerts), run after them.
TickHandler = Callable[[Session, datetime], None]
TICK_HANDLERS: list[TickHandler] = []

#: Held while one worker runs the tick handlers; renewed while they run, so a long tick keeps it
#: and a killed worker's tick lease lapses before the next minute's tick.
TICK_LEASE = "tick"
TICK_LEASE_TTL = timedelta(seconds=30)


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


def record_handled(session: Session, now: datetime) -> None:
    """This worker really ran the tick handlers: health tells beating from working by it."""
    table = WorkerHeartbeat.__table__  # type: ignore[attr-defined]
    session.execute(
        sa.update(table)
        .where(table.c.worker_name == worker_name())
        .values(last_handled_at=now, handled=table.c.handled + 1)
    )
    session.commit()


def schedule() -> list[TickHandler]:
    """What a tick runs, in order: every registered integration's periodic jobs, then the
    product's own handlers."""
    jobs_of_integrations = [job for i in registry.integrations() for job in i.periodic_jobs()]
    return [*jobs_of_integrations, *TICK_HANDLERS]


def run_tick_handlers(
    now: datetime | None = None, handlers: list[TickHandler] | None = None
) -> dict[str, Any]:
    """Each handler (by default `schedule()`) in its own session, so one failure spares the
    rest."""
    now = now or utcnow()
    handlers = schedule() if handlers is None else handlers
    failed = []
    for handler in handlers:
        try:
            with open_session() as session:
                handler(session, now)
        except Exception:
            failed.append(handler.__name__)
            log.exception(
                "tick handler %s failed", handler.__name__, extra={"event": "tick_failed"}
            )
    return {"at": now.isoformat(), "handlers": len(handlers), "failed": failed}


def run_tick(now: datetime | None = None) -> dict[str, Any] | None:
    """Every worker beats its heart; only the holder of the tick lease runs the handlers.

    None when another worker holds a live tick lease; a lease its dead owner left is taken over.
    """
    now = now or utcnow()
    # The lease follows the tick's time (tests set it), moving on with the real clock.
    offset = now - utcnow()
    with open_session() as session:
        record_heartbeat(session, now)
    try:
        with lease.holding(
            store_engine(),
            TICK_LEASE,
            TICK_LEASE_TTL,
            worker=worker_name(),
            clock=lambda: utcnow() + offset,
        ):
            result = run_tick_handlers(now)
    except lease.LeaseHeld:
        return None
    with open_session() as session:
        record_handled(session, now)
    return result


@huey.task()
def tick_now() -> dict[str, Any] | None:
    return run_tick()


@huey.periodic_task(crontab(minute="*"))
def tick() -> dict[str, Any] | None:
    return run_tick()


# --- Google Calendar ------------------------------------------------------------------------

#: "A sync is waiting for this trainer": a lease, so that a queued task lost with its queue or
#: its worker stops blocking "Sync now" after this long rather than for ever.
SYNC_PENDING_LEASE = "google-sync-pending:{trainer_id}"
SYNC_PENDING_TTL = timedelta(minutes=5)
#: Held by the worker running a trainer's sync (see jobs.SYNC_LEASE), renewed while it runs.
SYNC_LEASE_TTL = timedelta(seconds=30)
#: A sync that finds its trainer's sync running elsewhere tries again this much later.
SYNC_BUSY_RETRY_SECONDS = 5
#: Webhooks for one calendar often come in bursts: wait this long and sync once.
WEBHOOK_DEBOUNCE_SECONDS = 2


def enqueue_sync(
    trainer_id: str,
    trigger: SyncTrigger,
    *,
    delay: float = 0,
    now: datetime | None = None,
    connection: sa.Connection | None = None,
) -> bool:
    """Queue a sync unless one is already waiting for this trainer; True when queued.

    When the queue refuses the task the waiting mark is given back, so the caller's retry (a
    webhook answered 503, a second click) is taken, not turned away as a duplicate. With
    `connection` the mark is taken in the caller's transaction, and giving it back is the
    caller's rollback.
    """
    name = SYNC_PENDING_LEASE.format(trainer_id=trainer_id)
    owner = lease.new_owner(f"queued:{trigger.value}")
    engine = store_engine()
    if not lease.acquire(engine, name, owner, SYNC_PENDING_TTL, now=now, connection=connection):
        return False
    try:
        sync_trainer.schedule(args=(trainer_id, trigger.value), delay=delay)
    except BaseException:
        if connection is None:
            lease.release(engine, name, owner)
        raise
    return True


def sync_waiting(trainer_id: str, *, now: datetime | None = None) -> bool:
    """Whether a sync of this trainer is queued and not yet started (its mark not lapsed)."""
    name = SYNC_PENDING_LEASE.format(trainer_id=trainer_id)
    return lease.holder(store_engine(), name, now=now) is not None


@huey.task()
def sync_trainer(trainer_id: str, trigger: str) -> dict[str, Any]:
    """One sync under the trainer's lease, then the alert check of that trainer (whatever the
    outcome); a sync already running elsewhere means try later."""
    engine = store_engine()
    # Taken off "waiting" first: a change arriving during this run queues the next one.
    lease.clear(engine, SYNC_PENDING_LEASE.format(trainer_id=trainer_id))
    try:
        with lease.holding(
            engine, jobs.sync_lease_name(trainer_id), SYNC_LEASE_TTL, worker=worker_name()
        ):
            result = jobs.run_sync(trainer_id, SyncTrigger(trigger))
    except lease.LeaseHeld:
        enqueue_sync(trainer_id, SyncTrigger(trigger), delay=SYNC_BUSY_RETRY_SECONDS)
        return {"outcome": "busy", "retry_in_seconds": SYNC_BUSY_RETRY_SECONDS}
    return result | {"alerts": check_trainer_alerts(trainer_id)}


@huey.task()
def refresh_google_token(credential_id: str) -> bool:
    refreshed = jobs.refresh_token(credential_id)
    if not refreshed:
        trainer_id = jobs.trainer_of(credential_id)
        if trainer_id is not None:
            check_trainer_alerts(trainer_id)
    return refreshed


# --- Alerts ---------------------------------------------------------------------------------


@on_tick
def check_alerts(session: Session, now: datetime) -> None:
    from integrations.monitoring import alerts

    alerts.check_alerts(session, now)


def check_trainer_alerts(trainer_id: str) -> dict[str, list[str]]:
    """The alert engine's check of one trainer, right after an integration recorded an outcome
    for them (a run ended, a refresh was refused), over every registered integration's rules:
    a connection needing its trainer, or the third failure in a row, is told as it happens, not
    at the next tick. A check that fails is logged; the next tick checks again."""
    from integrations.monitoring import alerts

    try:
        with open_session() as session:
            report = alerts.check_alerts(session, trainer_id=trainer_id)
    except Exception:
        log.exception(
            "alert check after a sync failed",
            extra={"event": "alerts_after_failed", "trainer_id": trainer_id},
        )
        return {"raised": [], "resolved": []}
    return {"raised": report.raised, "resolved": report.resolved}
