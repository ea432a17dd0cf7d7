"""Manual syncs for many trainers at once: start them on the worker, then follow their progress.

Nothing runs in the web process: a start only queues one sync per trainer; the page polls the
store for the runs those syncs write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from db.models import (
    ConnectionStatus,
    Integration,
    IntegrationCredential,
    RunOutcome,
    SyncRun,
    SyncTrigger,
    Trainer,
    utcnow,
)
from integrations.core.access import Actor, Capability

WAITING = "waiting"
NOT_CONNECTED = "not_connected"


@dataclass(frozen=True, slots=True)
class ManualBatch:
    started_at: datetime
    queued: list[str]
    not_connected: list[str]


@dataclass(frozen=True, slots=True)
class TrainerProgress:
    trainer_id: str
    name: str
    state: str  # waiting, running, success, partial, failed, not_connected
    fetched: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    pushed: int = 0
    conflicts: int = 0
    duration_ms: int | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.state in {
            RunOutcome.SUCCESS,
            RunOutcome.PARTIAL,
            RunOutcome.FAILED,
            NOT_CONNECTED,
        }


def connected_trainers(session: Session, trainer_ids: list[str]) -> set[str]:
    return set(
        session.exec(
            select(IntegrationCredential.trainer_id).where(
                col(IntegrationCredential.trainer_id).in_(trainer_ids),
                IntegrationCredential.integration == Integration.GOOGLE_CALENDAR,
                IntegrationCredential.status == ConnectionStatus.CONNECTED,
            )
        ).all()
    )


def plan_manual_sync(actor: Actor, trainer_ids: list[str], *, session: Session) -> ManualBatch:
    """Check the actor may sync every one of them; split the connected from the rest."""
    for trainer_id in trainer_ids:
        actor.require(Capability.TRIGGER_SYNC, trainer_id)
    connected = connected_trainers(session, trainer_ids)
    return ManualBatch(
        started_at=utcnow(),
        queued=[t for t in trainer_ids if t in connected],
        not_connected=[t for t in trainer_ids if t not in connected],
    )


def manual_sync_progress(
    actor: Actor, trainer_ids: list[str], since: datetime, *, session: Session
) -> list[TrainerProgress]:
    """Each trainer's latest manual run since `since`, in one query."""
    for trainer_id in trainer_ids:
        actor.require(Capability.VIEW_TRAINER, trainer_id)
    if not trainer_ids:
        return []
    ranked = (
        select(
            SyncRun,
            sa.func.row_number()
            .over(partition_by=SyncRun.trainer_id, order_by=col(SyncRun.started_at).desc())
            .label("rank"),
        )
        .where(
            col(SyncRun.trainer_id).in_(trainer_ids),
            SyncRun.trigger == SyncTrigger.MANUAL,
            SyncRun.started_at >= since,
        )
        .subquery()
    )
    latest = {
        row.trainer_id: row
        for row in session.execute(sa.select(ranked).where(ranked.c.rank == 1)).all()
    }
    names = dict(
        session.exec(select(Trainer.id, Trainer.name).where(col(Trainer.id).in_(trainer_ids))).all()
    )
    connected = connected_trainers(session, trainer_ids)
    progress = []
    for trainer_id in trainer_ids:
        run = latest.get(trainer_id)
        name = names.get(trainer_id, trainer_id)
        if run is None:
            state = WAITING if trainer_id in connected else NOT_CONNECTED
            progress.append(TrainerProgress(trainer_id=trainer_id, name=name, state=state))
            continue
        progress.append(
            TrainerProgress(
                trainer_id=trainer_id,
                name=name,
                state=str(RunOutcome(run.outcome).value),
                fetched=run.fetched,
                created=run.created,
                updated=run.updated,
                deleted=run.deleted,
                pushed=run.pushed,
                conflicts=run.conflicts,
                duration_ms=run.duration_ms,
                error=run.error,
            )
        )
    return progress
