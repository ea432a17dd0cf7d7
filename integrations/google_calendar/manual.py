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
from integrations.core.retry import ErrorKind

WAITING = "waiting"
NOT_CONNECTED = "not_connected"
#: Connected once, but Google no longer accepts the connection: only the trainer can fix it.
NEEDS_RECONNECT = "needs_reconnect"


@dataclass(frozen=True, slots=True)
class ManualBatch:
    started_at: datetime
    queued: list[str]
    not_connected: list[str]


@dataclass(frozen=True, slots=True)
class TrainerProgress:
    """One trainer's part of a manual sync; the counts are None until a run has written them,
    so a table shows "nothing yet" rather than a made-up zero."""

    trainer_id: str
    name: str
    state: str  # waiting, running, success, partial, failed, not_connected, needs_reconnect
    fetched: int | None = None
    created: int | None = None
    updated: int | None = None
    deleted: int | None = None
    pushed: int | None = None
    conflicts: int | None = None
    duration_ms: int | None = None
    finished_at: datetime | None = None
    error: str | None = None
    #: An `ErrorKind` value (or "interrupted"): what the page explains, in the reader's language.
    error_kind: str | None = None

    @property
    def changed(self) -> int | None:
        """Events created, updated or deleted here; None while nothing is known."""
        counts = (self.created, self.updated, self.deleted)
        return None if all(c is None for c in counts) else sum(c or 0 for c in counts)

    @property
    def finished(self) -> bool:
        return self.state in {
            RunOutcome.SUCCESS,
            RunOutcome.PARTIAL,
            RunOutcome.FAILED,
            NOT_CONNECTED,
            NEEDS_RECONNECT,
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


def broken_connections(session: Session, trainer_ids: list[str]) -> set[str]:
    """Trainers whose Google connection exists but needs them to reconnect."""
    return set(
        session.exec(
            select(IntegrationCredential.trainer_id).where(
                col(IntegrationCredential.trainer_id).in_(trainer_ids),
                IntegrationCredential.integration == Integration.GOOGLE_CALENDAR,
                col(IntegrationCredential.status).in_(
                    [ConnectionStatus.NEEDS_REAUTH, ConnectionStatus.ERROR]
                ),
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


def last_finished_at(progress: list[TrainerProgress]) -> datetime | None:
    """When the last of these runs ended (not when someone looked): None if none has ended."""
    return max((p.finished_at for p in progress if p.finished_at is not None), default=None)


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
    broken = broken_connections(session, trainer_ids)
    progress = []
    for trainer_id in trainer_ids:
        run = latest.get(trainer_id)
        name = names.get(trainer_id, trainer_id)
        if run is None:
            if trainer_id in connected:
                progress.append(TrainerProgress(trainer_id=trainer_id, name=name, state=WAITING))
            elif trainer_id in broken:
                progress.append(
                    TrainerProgress(
                        trainer_id=trainer_id,
                        name=name,
                        state=NEEDS_RECONNECT,
                        error_kind=ErrorKind.NEEDS_REAUTH.value,
                    )
                )
            else:
                progress.append(
                    TrainerProgress(trainer_id=trainer_id, name=name, state=NOT_CONNECTED)
                )
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
                finished_at=run.finished_at,
                error=run.error,
                error_kind=run.error_kind,
            )
        )
    return progress
