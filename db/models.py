"""Every table of the store, in one module so that Alembic and readers see the whole schema.

Times are stored in UTC (`UTCDateTime` hands back aware datetimes on SQLite and PostgreSQL alike);
secrets are stored only as Fernet ciphertext (`*_encrypted` columns); money as integer agorot.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite drops offsets, and naive times are a trap."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def _enum(enum: type[StrEnum]) -> sa.Enum:
    """Stored as its value in a VARCHAR (no native enum type to migrate), read back as the enum."""
    return sa.Enum(
        enum,
        native_enum=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _optional_time(index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)


class Role(StrEnum):
    TRAINER = "trainer"
    STAFF = "staff"
    MANAGER = "manager"


class Integration(StrEnum):
    GOOGLE_CALENDAR = "google_calendar"
    EMAIL = "email"
    SMS = "sms"
    PAYMENTS = "payments"


class ConnectionStatus(StrEnum):
    CONNECTED = "connected"
    NEEDS_REAUTH = "needs_reauth"
    DISCONNECTED = "disconnected"
    ERROR = "error"


class SyncDirection(StrEnum):
    TO_GOOGLE = "to_google"
    FROM_GOOGLE = "from_google"
    BIDIRECTIONAL = "bidirectional"


class SyncFrequency(StrEnum):
    REALTIME = "realtime"
    HOURLY = "hourly"
    DAILY = "daily"


class EventOrigin(StrEnum):
    CRM = "crm"
    GOOGLE = "google"


class SyncState(StrEnum):
    SYNCED = "synced"
    PENDING = "pending"
    CONFLICT = "conflict"
    ERROR = "error"
    LOCAL_ONLY = "local_only"


class SyncTrigger(StrEnum):
    MANUAL = "manual"
    WEBHOOK = "webhook"
    SCHEDULE = "schedule"


class RunOutcome(StrEnum):
    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILED = "failed"


class LogLevel(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Trainer(SQLModel, table=True):
    __tablename__ = "trainers"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320, unique=True)
    phone: str | None = Field(default=None, max_length=32)
    timezone: str = Field(default="Asia/Jerusalem", max_length=64)
    created_at: datetime = _created()


class User(SQLModel, table=True):
    """A person who logs in. A trainer user acts for exactly one trainer record."""

    __tablename__ = "users"
    __table_args__ = (
        sa.UniqueConstraint("auth_issuer", "auth_subject", name="uq_users_auth_identity"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    email: str = Field(max_length=320, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    role: Role = Field(sa_type=_enum(Role))
    trainer_id: str | None = Field(
        default=None, foreign_key="trainers.id", ondelete="SET NULL", max_length=32
    )
    is_active: bool = True
    locale: str = Field(default="he", max_length=8)
    invited_by_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = _created()
    last_login_at: datetime | None = _optional_time()
    #: Who the login provider says this is (`iss` and `sub` of its ID token), bound at the first
    #: login: an email address can change hands, the provider's subject does not.
    auth_issuer: str | None = Field(default=None, max_length=300)
    auth_subject: str | None = Field(default=None, max_length=255)


class Client(SQLModel, table=True):
    """A trainee of a trainer: who a session is with."""

    __tablename__ = "clients"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    trainer_id: str = Field(
        foreign_key="trainers.id", ondelete="CASCADE", index=True, max_length=32
    )
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=32)
    created_at: datetime = _created()


class IntegrationCredential(SQLModel, table=True):
    """A trainer's connection to one outside service; tokens only as ciphertext."""

    __tablename__ = "integration_credentials"
    __table_args__ = (sa.UniqueConstraint("trainer_id", "integration"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    trainer_id: str = Field(
        foreign_key="trainers.id", ondelete="CASCADE", index=True, max_length=32
    )
    integration: Integration = Field(sa_type=_enum(Integration))
    status: ConnectionStatus = Field(
        default=ConnectionStatus.CONNECTED, sa_type=_enum(ConnectionStatus)
    )
    account_email: str | None = Field(default=None, max_length=320)
    access_token_encrypted: str | None = Field(default=None, sa_type=sa.Text)
    refresh_token_encrypted: str | None = Field(default=None, sa_type=sa.Text)
    token_expires_at: datetime | None = _optional_time()
    scopes: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    calendars: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class GoogleCalendarSyncSettings(SQLModel, table=True):
    __tablename__ = "google_calendar_sync_settings"

    trainer_id: str = Field(
        foreign_key="trainers.id", ondelete="CASCADE", primary_key=True, max_length=32
    )
    auto_sync_enabled: bool = True
    sync_direction: SyncDirection = Field(
        default=SyncDirection.BIDIRECTIONAL, sa_type=_enum(SyncDirection)
    )
    sync_frequency: SyncFrequency = Field(
        default=SyncFrequency.REALTIME, sa_type=_enum(SyncFrequency)
    )
    default_calendar_id: str = Field(default="primary", max_length=255)
    import_calendar_ids: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    updated_at: datetime = _created()


class CalendarEvent(SQLModel, table=True):
    """A training session, whether it was made in the CRM or came from Google."""

    __tablename__ = "calendar_events"
    __table_args__ = (
        sa.UniqueConstraint("trainer_id", "google_calendar_id", "google_event_id"),
        sa.Index("ix_calendar_events_trainer_start", "trainer_id", "start_at"),
        # A quiet sync finds what to push by an index seek, not a scan of the trainer's events.
        sa.Index("ix_calendar_events_trainer_sync_state", "trainer_id", "sync_state"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    trainer_id: str = Field(foreign_key="trainers.id", ondelete="CASCADE", max_length=32)
    client_id: str | None = Field(
        default=None, foreign_key="clients.id", ondelete="SET NULL", max_length=32
    )
    title: str = Field(max_length=500)
    description: str | None = Field(default=None, sa_type=sa.Text)
    location: str | None = Field(default=None, max_length=500)
    start_at: datetime = Field(sa_type=UTCDateTime)
    end_at: datetime = Field(sa_type=UTCDateTime)
    all_day: bool = False
    timezone: str = Field(default="Asia/Jerusalem", max_length=64)
    origin: EventOrigin = Field(default=EventOrigin.CRM, sa_type=_enum(EventOrigin))
    sync_state: SyncState = Field(default=SyncState.LOCAL_ONLY, sa_type=_enum(SyncState))
    google_calendar_id: str | None = Field(default=None, max_length=255)
    google_event_id: str | None = Field(default=None, max_length=1024)
    google_etag: str | None = Field(default=None, max_length=255)
    google_updated_at: datetime | None = _optional_time()
    recurring_event_id: str | None = Field(default=None, max_length=1024)
    status: str = Field(default="confirmed", max_length=16)
    created_at: datetime = _created()
    updated_at: datetime = _created()
    deleted_at: datetime | None = _optional_time()
    #: The full listing of Google that last mentioned this event: what a full list did not
    #: mention was deleted there, found by one UPDATE instead of a set of every id in memory.
    seen_listing: str | None = Field(default=None, max_length=32)


class SyncRun(SQLModel, table=True):
    """One sync of one trainer's calendar: what triggered it, what it did, how it ended."""

    __tablename__ = "sync_runs"
    __table_args__ = (
        sa.Index("ix_sync_runs_trainer_started", "trainer_id", "started_at"),
        # Health and alerts: each trainer's last good sync and failing streak, by index seeks.
        sa.Index("ix_sync_runs_trainer_outcome_started", "trainer_id", "outcome", "started_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    trainer_id: str = Field(foreign_key="trainers.id", ondelete="CASCADE", max_length=32)
    integration: Integration = Field(
        default=Integration.GOOGLE_CALENDAR, sa_type=_enum(Integration)
    )
    calendar_id: str | None = Field(default=None, max_length=255)
    trigger: SyncTrigger = Field(sa_type=_enum(SyncTrigger))
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    finished_at: datetime | None = _optional_time()
    fetched: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    pushed: int = 0
    conflicts: int = 0
    http_requests: int = 0
    rate_limited: int = 0
    duration_ms: int | None = None
    outcome: RunOutcome = Field(default=RunOutcome.RUNNING, sa_type=_enum(RunOutcome), index=True)
    error: str | None = Field(default=None, sa_type=sa.Text)
    error_kind: str | None = Field(default=None, max_length=64)


class IntegrationLog(SQLModel, table=True):
    """Errors and important events of every integration, for the health page and audits."""

    __tablename__ = "integration_logs"
    __table_args__ = (sa.Index("ix_integration_logs_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    level: LogLevel = Field(default=LogLevel.INFO, sa_type=_enum(LogLevel))
    integration: str | None = Field(default=None, max_length=32)
    trainer_id: str | None = Field(
        default=None, foreign_key="trainers.id", ondelete="CASCADE", index=True, max_length=32
    )
    actor_user_id: str | None = Field(default=None, max_length=32)
    sync_run_id: str | None = Field(
        default=None, foreign_key="sync_runs.id", ondelete="SET NULL", index=True, max_length=32
    )
    event: str = Field(max_length=64)
    message: str = Field(default="", sa_type=sa.Text)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE", max_length=32)
    kind: str = Field(max_length=64)
    title: str = Field(max_length=300)
    body: str = Field(default="", sa_type=sa.Text)
    link: str | None = Field(default=None, max_length=500)
    trainer_id: str | None = Field(
        default=None, foreign_key="trainers.id", ondelete="CASCADE", max_length=32
    )
    incident_key: str | None = Field(default=None, max_length=200, index=True)
    created_at: datetime = _created()
    read_at: datetime | None = _optional_time()


class WebhookChannel(SQLModel, table=True):
    """A Google push channel: its id and secret token authenticate each notification."""

    __tablename__ = "webhook_channels"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    trainer_id: str = Field(
        foreign_key="trainers.id", ondelete="CASCADE", index=True, max_length=32
    )
    calendar_id: str = Field(max_length=255)
    channel_id: str = Field(max_length=64, unique=True)
    resource_id: str | None = Field(default=None, max_length=255)
    token_encrypted: str = Field(sa_type=sa.Text)
    expires_at: datetime | None = _optional_time()
    last_message_number: int | None = Field(default=None, sa_type=sa.BigInteger)
    last_notified_at: datetime | None = _optional_time()
    created_at: datetime = _created()
    stopped_at: datetime | None = _optional_time()


class WorkerHeartbeat(SQLModel, table=True):
    """Each worker writes its last periodic tick here, so health can tell a stalled worker."""

    __tablename__ = "worker_heartbeats"

    worker_name: str = Field(primary_key=True, max_length=200)
    last_tick_at: datetime = Field(sa_type=UTCDateTime)
    ticks: int = Field(default=0, sa_type=sa.BigInteger)
    #: When this worker last ran the periodic handlers (schedules, refreshes, alerts), not only
    #: beat its heart: a worker that beats but never gets the tick lease is doing nothing.
    last_handled_at: datetime | None = _optional_time()
    handled: int = Field(default=0, sa_type=sa.BigInteger)


class Lease(SQLModel, table=True):
    """A lock that ends by itself: held by `owner` until `expires_at` and renewed while the work
    goes on, so that a worker killed mid-job holds nothing for longer than one lease."""

    __tablename__ = "leases"

    name: str = Field(primary_key=True, max_length=200)
    owner: str = Field(max_length=200)
    acquired_at: datetime = _created()
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class OAuthState(SQLModel, table=True):
    """A pending Google consent: single use, bound to who started it, for ten minutes.

    Kept in the store (not in memory) so that any web process can finish the callback; only a
    hash of the state is stored, and the PKCE verifier is encrypted.
    """

    __tablename__ = "oauth_states"

    state_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE", max_length=32)
    trainer_id: str = Field(foreign_key="trainers.id", ondelete="CASCADE", max_length=32)
    code_verifier_encrypted: str = Field(sa_type=sa.Text)
    created_at: datetime = _created()
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    used_at: datetime | None = _optional_time()


class CalendarSyncState(SQLModel, table=True):
    """Where incremental sync of one Google calendar stands: its sync token and last full sync."""

    __tablename__ = "calendar_sync_states"

    trainer_id: str = Field(
        foreign_key="trainers.id", ondelete="CASCADE", primary_key=True, max_length=32
    )
    calendar_id: str = Field(primary_key=True, max_length=255)
    sync_token: str | None = Field(default=None, sa_type=sa.Text)
    last_full_sync_at: datetime | None = _optional_time()
    last_sync_at: datetime | None = _optional_time()


class SyncConflict(SQLModel, table=True):
    """Both sides changed one event since the last sync: what each said and which won."""

    __tablename__ = "sync_conflicts"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    trainer_id: str = Field(
        foreign_key="trainers.id", ondelete="CASCADE", index=True, max_length=32
    )
    event_id: str = Field(
        foreign_key="calendar_events.id", ondelete="CASCADE", index=True, max_length=32
    )
    sync_run_id: str | None = Field(
        default=None, foreign_key="sync_runs.id", ondelete="SET NULL", max_length=32
    )
    detected_at: datetime = _created()
    local_version: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    google_version: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    winner: str = Field(max_length=16)  # "local" or "google"
    resolved_by: str = Field(default="rule", max_length=16)  # "rule" or "trainer"
    resolved_at: datetime | None = _optional_time()


class AlertIncident(SQLModel, table=True):
    """The current (or last) incident of one alert rule about one subject.

    Its key is the `Notification.incident_key` of every notification about it. One row per key,
    opened and resolved by compare-and-set updates, is what keeps two workers ticking at once
    from raising (or resolving) the same incident twice.
    """

    __tablename__ = "alert_incidents"

    incident_key: str = Field(primary_key=True, max_length=200)
    rule: str = Field(max_length=32)
    trainer_id: str | None = Field(
        default=None, foreign_key="trainers.id", ondelete="CASCADE", index=True, max_length=32
    )
    is_open: bool = True
    opened_at: datetime = _created()
    #: When the condition was last seen gone while the incident is open (flapping guard).
    clear_since: datetime | None = _optional_time()
    resolved_at: datetime | None = _optional_time()
    #: "alerts": the alert engine raised it and notified. "sync" only on incidents opened before
    #: issue 9, point 2, when the sync engine announced some incidents itself.
    raised_by: str = Field(default="alerts", max_length=16)
    occurrences: int = 1
    detail: str = Field(default="", sa_type=sa.Text)
