"""Process health: can we reach the store and the queue, and is some worker ticking?"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from db.migrate import head_revision
from db.models import WorkerHeartbeat, utcnow

#: The worker ticks every minute; past this a worker is reported stalled.
WORKER_STALE_AFTER_SECONDS = 150


def check_store(engine: Engine) -> dict[str, Any]:
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
            revision = connection.execute(
                sa.text("SELECT version_num FROM alembic_version")
            ).scalar()
    except Exception as error:
        return {"ok": False, "backend": engine.dialect.name, "error": type(error).__name__}
    head = head_revision()
    return {
        "ok": True,
        "backend": engine.dialect.name,
        "revision": revision,
        "migrations_pending": revision != head,
    }


def check_worker(engine: Engine, now: datetime | None = None) -> dict[str, Any]:
    """Is some worker beating its heart, and did some worker really run the tick handlers
    lately? Heartbeats alone are not enough: workers that beat while none gets the tick lease
    run no schedule, refresh or alert, and are reported not ok."""
    now = now or utcnow()
    try:
        with Session(engine) as session:
            beats = session.exec(select(WorkerHeartbeat)).all()
    except Exception as error:
        return {"ok": False, "error": type(error).__name__}
    if not beats:
        return {"ok": False, "last_tick_at": None, "last_handled_at": None, "workers": 0}
    latest = max(beat.last_tick_at for beat in beats)
    age = (now - latest).total_seconds()
    handled_times = [beat.last_handled_at for beat in beats if beat.last_handled_at is not None]
    last_handled = max(handled_times) if handled_times else None
    handled_age = None if last_handled is None else (now - last_handled).total_seconds()
    beating = age <= WORKER_STALE_AFTER_SECONDS
    handling = handled_age is not None and handled_age <= WORKER_STALE_AFTER_SECONDS
    state: dict[str, Any] = {
        "ok": beating and handling,
        "last_tick_at": latest.isoformat(),
        "age_seconds": round(age, 1),
        "last_handled_at": None if last_handled is None else last_handled.isoformat(),
        "handled_age_seconds": None if handled_age is None else round(handled_age, 1),
        "workers": sum(
            1
            for beat in beats
            if (now - beat.last_tick_at).total_seconds() <= WORKER_STALE_AFTER_SECONDS
        ),
    }
    if beating and not handling:
        state["problem"] = "ticks_not_handled"
    elif not beating:
        state["problem"] = "no_heartbeat"
    return state
