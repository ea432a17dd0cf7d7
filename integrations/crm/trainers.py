"""Trainers as staff and managers see them: each with its integrations' state at a glance."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from db.models import (
    CalendarEvent,
    Client,
    Integration,
    Lease,
    Role,
    RunOutcome,
    SyncRun,
    SyncState,
    Trainer,
    User,
    WebhookChannel,
    utcnow,
)
from integrations.core import registry
from integrations.core.access import Actor, Capability
from integrations.core.errors import NotFound
from integrations.core.integration import NOT_CONNECTED, TrainerConnection
from integrations.processes.worker import SYNC_PENDING_LEASE

__all__ = ["NOT_CONNECTED", "TrainerConnection"]
#: "Upcoming" on a trainer's home page and in the trainers' overview: the next week.
UPCOMING_DAYS = 7


@dataclass(frozen=True, slots=True)
class TrainerOverview:
    id: str
    name: str
    email: str
    timezone: str
    clients: int
    upcoming_sessions: int
    #: By integration name, every registered integration: the trainer's connection to it.
    connections: Mapping[str, TrainerConnection] = field(default_factory=dict)

    def connection(self, integration_name: str) -> TrainerConnection:
        return self.connections.get(integration_name) or TrainerConnection()

    @property
    def _google(self) -> TrainerConnection:
        return self.connection(Integration.GOOGLE_CALENDAR.value)

    @property
    def google_status(self) -> str:
        return self._google.status

    @property
    def google_account(self) -> str | None:
        return self._google.account

    @property
    def last_sync_at(self) -> datetime | None:
        """The latest Google Calendar run's start (the pages' "last sync")."""
        return self._google.last_sync_at

    @property
    def last_sync_outcome(self) -> RunOutcome | None:
        outcome = self._google.last_sync_outcome
        return RunOutcome(outcome) if outcome else None


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
    """Every trainer the actor may see, with their connection to each registered integration:
    one query for the trainers, then one per integration (`trainer_connections`).

    Each count is a correlated subquery that seeks an index per trainer (clients by trainer;
    sessions by (trainer, start) within the next `UPCOMING_DAYS`), so the cost grows with the
    trainers shown, not with the events and runs stored.
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
    if actor.can(Capability.VIEW_ALL_TRAINERS):
        shown = working_trainer()
    else:
        shown = col(Trainer.id) == actor.trainer_id
    rows = session.execute(
        sa.select(
            col(Trainer.id),
            col(Trainer.name),
            col(Trainer.email),
            col(Trainer.timezone),
            clients.label("clients"),
            upcoming.label("upcoming"),
        )
        .where(shown)
        .order_by(col(Trainer.name))
    ).all()
    if not rows:
        return []
    connections = {
        integration.name: integration.trainer_connections(
            session, sa.select(col(Trainer.id)).where(shown)
        )
        for integration in registry.integrations()
    }
    return [
        TrainerOverview(
            id=row.id,
            name=row.name,
            email=row.email,
            timezone=row.timezone,
            clients=row.clients,
            upcoming_sessions=row.upcoming,
            connections={
                name: found.get(row.id) or TrainerConnection()
                for name, found in connections.items()
            },
        )
        for row in rows
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


# --- Sync in flight -------------------------------------------------------------------------

#: A run still marked running, or a change still waiting for Google, counts as in flight for
#: this long at most: a worker that is gone (its runs are closed as interrupted only when
#: another worker ticks) or a trainer who syncs hourly must not keep open pages polling.
FOLLOW_AT_MOST = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class SyncActivity:
    """What of some trainers' Google sync is under way now, for pages that show sync state."""

    #: A sync is queued and has not started (its "sync waiting" mark has not lapsed).
    queued: bool = False
    #: A sync run has started and not ended.
    running: bool = False
    #: A session changed here is waiting to reach Google.
    pushing: bool = False
    #: Google pushes these calendars' changes (a live channel): a sync may start at any time.
    listening: bool = False

    @property
    def busy(self) -> bool:
        """Something is in flight: what the page shows will change within seconds."""
        return self.queued or self.running or self.pushing


def sync_activity(
    actor: Actor,
    trainer_ids: Collection[str] | None = None,
    *,
    session: Session,
    now: datetime | None = None,
) -> SyncActivity:
    """Whether a sync of these trainers is queued or running, a change of theirs waits to reach
    Google, or Google pushes their changes; `None` is every trainer the actor may see (those of
    `list_trainer_overviews`).

    One statement of four EXISTS, each an index seek (leases by name; runs by (trainer,
    outcome, started_at); sessions by (trainer, sync_state); channels by trainer), so a page
    can ask every few seconds while it follows a sync.
    """
    now = now or utcnow()
    if trainer_ids is None:
        actor.require(Capability.VIEW_TRAINER, actor.trainer_id)
        if not actor.can(Capability.VIEW_ALL_TRAINERS):
            trainer_ids = [] if actor.trainer_id is None else [actor.trainer_id]
    ids: Collection[str] | sa.Select[str]
    if trainer_ids is None:
        ids = sa.select(col(Trainer.id)).where(working_trainer())
        prefix = SYNC_PENDING_LEASE.format(trainer_id="")
        lease_names: Collection[str] | sa.Select[str] = sa.select(
            sa.literal(prefix) + col(Trainer.id)
        ).where(working_trainer())
    else:
        for trainer_id in trainer_ids:
            actor.require(Capability.VIEW_TRAINER, trainer_id)
        if not trainer_ids:
            return SyncActivity()
        ids = list(trainer_ids)
        lease_names = [SYNC_PENDING_LEASE.format(trainer_id=i) for i in ids]
    since = now - FOLLOW_AT_MOST
    queued = sa.exists().where(col(Lease.name).in_(lease_names), col(Lease.expires_at) > now)
    running = sa.exists().where(
        col(SyncRun.trainer_id).in_(ids),
        col(SyncRun.integration) == Integration.GOOGLE_CALENDAR,
        col(SyncRun.outcome) == RunOutcome.RUNNING,
        col(SyncRun.started_at) >= since,
    )
    pushing = sa.exists().where(
        col(CalendarEvent.trainer_id).in_(ids),
        col(CalendarEvent.sync_state) == SyncState.PENDING,
        col(CalendarEvent.updated_at) >= since,
    )
    listening = sa.exists().where(
        col(WebhookChannel.trainer_id).in_(ids),
        col(WebhookChannel.stopped_at).is_(None),
        col(WebhookChannel.expires_at) > now,
    )
    row = session.execute(
        sa.select(
            queued.label("queued"),
            running.label("running"),
            pushing.label("pushing"),
            listening.label("listening"),
        )
    ).one()
    return SyncActivity(
        queued=bool(row.queued),
        running=bool(row.running),
        pushing=bool(row.pushing),
        listening=bool(row.listening),
    )
