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
    now = now or utcnow()
    try:
        with Session(engine) as session:
            beats = session.exec(select(WorkerHeartbeat)).all()
    except Exception as error:
        return {"ok": False, "error": type(error).__name__}
    if not beats:
        return {"ok": False, "last_tick_at": None, "workers": 0}
    latest = max(beat.last_tick_at for beat in beats)
    age = (now - latest).total_seconds()
    return {
        "ok": age <= WORKER_STALE_AFTER_SECONDS,
        "last_tick_at": latest.isoformat(),
        "age_seconds": round(age, 1),
        "workers": sum(
            1
            for beat in beats
            if (now - beat.last_tick_at).total_seconds() <= WORKER_STALE_AFTER_SECONDS
        ),
    }
