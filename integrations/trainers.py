"""Trainers as staff and managers see them: each with its integrations' state at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from db.models import (
    CalendarEvent,
    Client,
    Integration,
    IntegrationCredential,
    Role,
    RunOutcome,
    SyncRun,
    SyncState,
    Trainer,
    User,
    utcnow,
)
from integrations.core.access import Actor, Capability
from integrations.core.errors import NotFound

NOT_CONNECTED = "not_connected"
#: "Upcoming" on a trainer's home page and in the trainers' overview: the next week.
UPCOMING_DAYS = 7


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


def working_trainer() -> sa.ColumnElement[bool]:
    """A trainer still working here: one whose login is active with the trainer role, or one the
    CRM holds without any login. A trainer whose login was turned off, or who became staff, keeps
    their data but leaves the lists people pick trainers from."""
    logins = sa.select(col(User.id)).where(col(User.trainer_id) == col(Trainer.id))
    return sa.or_(
        logins.where(col(User.is_active), col(User.role) == Role.TRAINER).exists(),
        ~logins.exists(),
    )


def list_trainer_overviews(
    actor: Actor, *, session: Session, now: datetime | None = None
) -> list[TrainerOverview]:
    """Every trainer the actor may see, in one query.

    Each count and the latest run are correlated subqueries that seek an index per trainer
    (clients by trainer; sessions by (trainer, start) within the next `UPCOMING_DAYS`; runs by
    (trainer, started_at) backwards, first row only), so the cost grows with the trainers shown,
    not with the events and runs stored.
    """
    actor.require(Capability.VIEW_TRAINER, actor.trainer_id)
    now = now or utcnow()
    clients = (
        sa.select(sa.func.count())
        .where(col(Client.trainer_id) == col(Trainer.id))
        .scalar_subquery()
    )
    upcoming = (
        sa.select(sa.func.count())
        .where(
            col(CalendarEvent.trainer_id) == col(Trainer.id),
            col(CalendarEvent.start_at) >= now,
            col(CalendarEvent.start_at) < now + timedelta(days=UPCOMING_DAYS),
            col(CalendarEvent.deleted_at).is_(None),
        )
        .scalar_subquery()
    )
    latest_run_id = (
        sa.select(col(SyncRun.id))
        .where(
            col(SyncRun.trainer_id) == col(Trainer.id),
            col(SyncRun.integration) == Integration.GOOGLE_CALENDAR,
        )
        .order_by(col(SyncRun.started_at).desc())
        .limit(1)
        .scalar_subquery()
    )
    shown = sa.select(
        col(Trainer.id).label("id"),
        col(Trainer.name).label("name"),
        col(Trainer.email).label("email"),
        col(Trainer.timezone).label("timezone"),
        clients.label("clients"),
        upcoming.label("upcoming"),
        latest_run_id.label("latest_run_id"),
    )
    if not actor.can(Capability.VIEW_ALL_TRAINERS):
        shown = shown.where(col(Trainer.id) == actor.trainer_id)
    else:
        shown = shown.where(working_trainer())
    trainers = shown.subquery("shown")
    query = (
        sa.select(
            trainers.c.id,
            trainers.c.name,
            trainers.c.email,
            trainers.c.timezone,
            trainers.c.clients,
            trainers.c.upcoming,
            col(IntegrationCredential.status),
            col(IntegrationCredential.account_email),
            col(SyncRun.started_at),
            col(SyncRun.outcome),
        )
        .join(
            IntegrationCredential,
            sa.and_(
                col(IntegrationCredential.trainer_id) == trainers.c.id,
                col(IntegrationCredential.integration) == Integration.GOOGLE_CALENDAR,
            ),
            isouter=True,
        )
        .join(SyncRun, col(SyncRun.id) == trainers.c.latest_run_id, isouter=True)
        .order_by(trainers.c.name)
    )
    return [
        TrainerOverview(
            id=row.id,
            name=row.name,
            email=row.email,
            timezone=row.timezone,
            google_status=row.status or NOT_CONNECTED,
            google_account=row.account_email,
            last_sync_at=row.started_at,
            last_sync_outcome=RunOutcome(row.outcome) if row.outcome else None,
            clients=row.clients,
            upcoming_sessions=row.upcoming,
        )
        for row in session.execute(query).all()
    ]


@dataclass(frozen=True, slots=True)
class SessionView:
    id: str
    title: str
    start_at: datetime
    end_at: datetime
    client_name: str | None
    sync_state: SyncState


def list_upcoming_sessions(
    actor: Actor, trainer_id: str, *, session: Session, days: int = UPCOMING_DAYS, limit: int = 100
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
