"""Trainers as staff and managers see them: each with its integrations' state at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from db.models import (
    CalendarEvent,
    Client,
    Integration,
    IntegrationCredential,
    RunOutcome,
    SyncRun,
    SyncState,
    Trainer,
    utcnow,
)
from integrations.core.access import Actor, Capability
from integrations.core.errors import NotFound

NOT_CONNECTED = "not_connected"


@dataclass(frozen=True, slots=True)
class TrainerOverview:
    id: str
    name: str
    email: str
    timezone: str
    google_status: str
    google_account: str | None
    last_sync_at: datetime | None
    last_sync_outcome: RunOutcome | None
    clients: int
    upcoming_sessions: int


def list_trainer_overviews(actor: Actor, *, session: Session) -> list[TrainerOverview]:
    """Every trainer the actor may see, in one query (aggregates in SQL, not in Python)."""
    actor.require(Capability.VIEW_TRAINER, actor.trainer_id)
    now = utcnow()
    clients = (
        select(Client.trainer_id, sa.func.count().label("n"))
        .group_by(col(Client.trainer_id))
        .subquery()
    )
    upcoming = (
        select(CalendarEvent.trainer_id, sa.func.count().label("n"))
        .where(CalendarEvent.start_at >= now, col(CalendarEvent.deleted_at).is_(None))
        .group_by(col(CalendarEvent.trainer_id))
        .subquery()
    )
    latest_run = (
        select(
            SyncRun.trainer_id,
            SyncRun.started_at,
            SyncRun.outcome,
            sa.func.row_number()
            .over(partition_by=SyncRun.trainer_id, order_by=col(SyncRun.started_at).desc())
            .label("rank"),
        )
        .where(SyncRun.integration == Integration.GOOGLE_CALENDAR)
        .subquery()
    )
    google = (
        select(IntegrationCredential)
        .where(IntegrationCredential.integration == Integration.GOOGLE_CALENDAR)
        .subquery()
    )
    query = (
        sa.select(
            col(Trainer.id),
            col(Trainer.name),
            col(Trainer.email),
            col(Trainer.timezone),
            google.c.status,
            google.c.account_email,
            latest_run.c.started_at,
            latest_run.c.outcome,
            sa.func.coalesce(clients.c.n, 0),
            sa.func.coalesce(upcoming.c.n, 0),
        )
        .join(google, google.c.trainer_id == Trainer.id, isouter=True)
        .join(
            latest_run,
            sa.and_(latest_run.c.trainer_id == Trainer.id, latest_run.c.rank == 1),
            isouter=True,
        )
        .join(clients, clients.c.trainer_id == Trainer.id, isouter=True)
        .join(upcoming, upcoming.c.trainer_id == Trainer.id, isouter=True)
        .order_by(col(Trainer.name))
    )
    if not actor.can(Capability.VIEW_ALL_TRAINERS):
        query = query.where(col(Trainer.id) == actor.trainer_id)
    rows = session.execute(query).all()
    return [
        TrainerOverview(
            id=row[0],
            name=row[1],
            email=row[2],
            timezone=row[3],
            google_status=row[4] or NOT_CONNECTED,
            google_account=row[5],
            last_sync_at=_aware(row[6]),
            last_sync_outcome=RunOutcome(row[7]) if row[7] else None,
            clients=row[8],
            upcoming_sessions=row[9],
        )
        for row in rows
    ]


def _aware(value: datetime | None) -> datetime | None:
    # Subquery columns lose the UTCDateTime type on some dialects.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True, slots=True)
class SessionView:
    id: str
    title: str
    start_at: datetime
    end_at: datetime
    client_name: str | None
    sync_state: SyncState


def list_upcoming_sessions(
    actor: Actor, trainer_id: str, *, session: Session, days: int = 7, limit: int = 100
) -> list[SessionView]:
    """The trainer's sessions from now to `days` ahead, soonest first."""
    actor.require(Capability.VIEW_TRAINER, trainer_id)
    now = utcnow()
    rows = session.exec(
        select(CalendarEvent, Client.name)
        .join(Client, col(CalendarEvent.client_id) == col(Client.id), isouter=True)
        .where(
            CalendarEvent.trainer_id == trainer_id,
            CalendarEvent.start_at >= now,
            CalendarEvent.start_at < now + timedelta(days=days),
            col(CalendarEvent.deleted_at).is_(None),
        )
        .order_by(col(CalendarEvent.start_at))
        .limit(limit)
    ).all()
    return [
        SessionView(
            id=event.id,
            title=event.title,
            start_at=event.start_at,
            end_at=event.end_at,
            client_name=client_name,
            sync_state=event.sync_state,
        )
        for event, client_name in rows
    ]


def get_trainer(actor: Actor, trainer_id: str, *, session: Session) -> Trainer:
    actor.require(Capability.VIEW_TRAINER, trainer_id)
    trainer = session.get(Trainer, trainer_id)
    if trainer is None:
        raise NotFound(f"no trainer {trainer_id}")
    return trainer


@dataclass(frozen=True, slots=True)
class ClientView:
    id: str
    name: str


def list_clients(actor: Actor, trainer_id: str, *, session: Session) -> list[ClientView]:
    actor.require(Capability.VIEW_TRAINER, trainer_id)
    rows = session.exec(
        select(Client).where(Client.trainer_id == trainer_id).order_by(col(Client.name))
    ).all()
    return [ClientView(id=client.id, name=client.name) for client in rows]
