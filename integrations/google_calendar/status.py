"""What a trainer's Google Calendar connection looks like now, and how it is set to sync."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from db.models import (
    ConnectionStatus,
    GoogleCalendarSyncSettings,
    Integration,
    IntegrationCredential,
    RunOutcome,
    SyncDirection,
    SyncFrequency,
    SyncRun,
    WebhookChannel,
    utcnow,
)
from integrations.config import Settings, get_settings
from integrations.core import audit
from integrations.core.access import Actor, Capability
from integrations.core.crypto import TokenCipher, cipher_from_settings
from integrations.core.errors import InvalidInput, NotFound
from integrations.google_calendar import channels
from integrations.google_calendar.client import CalendarInfo
from integrations.google_calendar.connection import stop_channels

FREQUENCY_INTERVAL = {
    SyncFrequency.HOURLY: timedelta(hours=1),
    SyncFrequency.DAILY: timedelta(days=1),
}
#: A realtime calendar is still polled this often, since Google's pushes may be lost.
REALTIME_BACKSTOP = timedelta(hours=1)
#: Directions that read Google: with no calendar to read from they would silently do nothing.
BRINGS_GOOGLE_IN = frozenset({SyncDirection.BIDIRECTIONAL, SyncDirection.FROM_GOOGLE})
#: Google's permissions by a short name a page turns into words ("google.scope.<name>"); a
#: permission missing here is shown as Google names it.
SCOPE_NAMES = {
    "openid": "openid",
    "email": "email",
    "profile": "profile",
    "https://www.googleapis.com/auth/userinfo.email": "email",
    "https://www.googleapis.com/auth/userinfo.profile": "profile",
    "https://www.googleapis.com/auth/calendar": "calendar",
    "https://www.googleapis.com/auth/calendar.readonly": "calendar_readonly",
    "https://www.googleapis.com/auth/calendar.events": "calendar_events",
    "https://www.googleapis.com/auth/calendar.events.readonly": "calendar_events_readonly",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly": "calendar_list",
}


class TokenState(StrEnum):
    """What the card says of the access Google gave: it must agree with the connection."""

    VALID = "valid"  # the access token works until `token_expires_at`
    RENEWS = "renews"  # expired; the next call renews it with the refresh token
    REFUSED = "refused"  # Google refuses the grant (401, invalid_grant): reconnect


@dataclass(frozen=True, slots=True)
class Permission:
    """One permission Google granted: `name` when we know it, else only Google's scope."""

    scope: str
    name: str | None


def permissions(scopes: list[str]) -> list[Permission]:
    """Each granted scope once, known ones first, in a stable order."""
    unique = dict.fromkeys(scopes)
    named = [Permission(s, SCOPE_NAMES.get(s)) for s in unique]
    return sorted(named, key=lambda p: (p.name is None, p.name or p.scope))


@dataclass(frozen=True, slots=True)
class GoogleCalendarStatus:
    connected: bool
    status: str
    account_email: str | None
    granted_scopes: list[str]
    token_expires_at: datetime | None
    auto_sync_enabled: bool
    sync_direction: SyncDirection
    sync_frequency: SyncFrequency
    default_calendar_id: str
    import_calendar_ids: list[str]
    calendars: list[CalendarInfo]
    last_sync_at: datetime | None
    last_sync_outcome: RunOutcome | None
    last_sync_error: str | None
    next_sync_at: datetime | None
    channel_expires_at: datetime | None
    last_error: str | None = None
    writable_calendars: list[CalendarInfo] = field(default_factory=list)
    #: When the last run ended (None while it runs) and its `ErrorKind`, so a page can say
    #: in the reader's language how a sync it asked for ended.
    last_sync_finished_at: datetime | None = None
    last_sync_error_kind: str | None = None
    #: None when nothing is connected.
    token_state: TokenState | None = None
    #: Whether this trainer's settings want Google's pushes (realtime, auto sync on): only then
    #: does a card speak of a realtime channel.
    realtime: bool = False
    permissions: list[Permission] = field(default_factory=list)


def _credential(trainer_id: str, session: Session) -> IntegrationCredential | None:
    return session.exec(
        select(IntegrationCredential).where(
            IntegrationCredential.trainer_id == trainer_id,
            IntegrationCredential.integration == Integration.GOOGLE_CALENDAR,
        )
    ).first()


def get_google_calendar_status(
    actor: Actor, trainer_id: str, *, session: Session
) -> GoogleCalendarStatus:
    actor.require(Capability.VIEW_TRAINER, trainer_id)
    return get_google_calendar_status_unchecked(trainer_id, session=session)


def get_google_calendar_status_unchecked(
    trainer_id: str, *, session: Session
) -> GoogleCalendarStatus:
    """For the system's own jobs; people go through `get_google_calendar_status`."""
    credential = _credential(trainer_id, session)
    settings = session.get(GoogleCalendarSyncSettings, trainer_id) or GoogleCalendarSyncSettings(
        trainer_id=trainer_id
    )
    last_run = session.exec(
        select(SyncRun)
        .where(SyncRun.trainer_id == trainer_id, SyncRun.integration == Integration.GOOGLE_CALENDAR)
        .order_by(col(SyncRun.started_at).desc())
        .limit(1)
    ).first()
    channel_expiry = session.exec(
        select(WebhookChannel.expires_at)
        .where(WebhookChannel.trainer_id == trainer_id, col(WebhookChannel.stopped_at).is_(None))
        .order_by(col(WebhookChannel.expires_at))
        .limit(1)
    ).first()
    calendars = [CalendarInfo.from_json(c) for c in credential.calendars] if credential else []
    connected = credential is not None and credential.status is ConnectionStatus.CONNECTED
    return GoogleCalendarStatus(
        connected=connected,
        status=credential.status.value if credential else "not_connected",
        account_email=credential.account_email if credential else None,
        granted_scopes=list(credential.scopes) if credential else [],
        token_expires_at=credential.token_expires_at if credential else None,
        auto_sync_enabled=settings.auto_sync_enabled,
        sync_direction=settings.sync_direction,
        sync_frequency=settings.sync_frequency,
        default_calendar_id=settings.default_calendar_id,
        import_calendar_ids=list(settings.import_calendar_ids),
        calendars=calendars,
        writable_calendars=[c for c in calendars if c.writable],
        last_sync_at=last_run.started_at if last_run else None,
        last_sync_outcome=last_run.outcome if last_run else None,
        last_sync_error=last_run.error if last_run else None,
        next_sync_at=_next_sync(settings, last_run, connected),
        channel_expires_at=channel_expiry,
        last_error=credential.last_error if credential else None,
        last_sync_finished_at=last_run.finished_at if last_run else None,
        last_sync_error_kind=last_run.error_kind if last_run else None,
        token_state=_token_state(credential),
        realtime=channels.wants_channels(settings),
        permissions=permissions(list(credential.scopes)) if credential else [],
    )


def _token_state(credential: IntegrationCredential | None) -> TokenState | None:
    if credential is None:
        return None
    if credential.status is not ConnectionStatus.CONNECTED:
        return TokenState.REFUSED  # whatever the expiry says, Google does not take it
    expires = credential.token_expires_at
    if expires is None or expires <= utcnow():
        return TokenState.RENEWS
    return TokenState.VALID


def _next_sync(
    settings: GoogleCalendarSyncSettings, last_run: SyncRun | None, connected: bool
) -> datetime | None:
    if not connected or not settings.auto_sync_enabled:
        return None
    interval = FREQUENCY_INTERVAL.get(settings.sync_frequency, REALTIME_BACKSTOP)
    return (last_run.started_at + interval) if last_run else utcnow()


def update_google_calendar_sync_settings(
    actor: Actor,
    trainer_id: str,
    changes: dict[str, Any],
    *,
    session: Session,
    settings: Settings | None = None,
    cipher: TokenCipher | None = None,
) -> GoogleCalendarSyncSettings:
    """Apply the specification's fields (camelCase or snake_case); refuse bad values by field.

    Settings that no longer want Google's pushes (hourly, daily, auto sync off) stop the
    trainer's realtime channels at once, at Google too: otherwise pushes would go on syncing
    in realtime until the next scheduled run noticed. `settings` and `cipher` (the process's
    when not given) are what Google is asked with.
    """
    actor.require(Capability.MANAGE_TRAINER, trainer_id)
    credential = _credential(trainer_id, session)
    if credential is None:
        raise NotFound("connect a Google account before choosing how it syncs")
    calendars = {c["id"]: CalendarInfo.from_json(c) for c in credential.calendars}
    sync_settings = session.get(
        GoogleCalendarSyncSettings, trainer_id
    ) or GoogleCalendarSyncSettings(trainer_id=trainer_id)
    names = {
        "autoSyncEnabled": "auto_sync_enabled",
        "syncDirection": "sync_direction",
        "syncFrequency": "sync_frequency",
        "defaultCalendarId": "default_calendar_id",
        "importCalendarIds": "import_calendar_ids",
    }
    try:
        for key, value in changes.items():
            name = names.get(key, key)
            if name == "auto_sync_enabled":
                if not isinstance(value, bool):
                    raise InvalidInput("auto sync must be on or off", field=name)
                sync_settings.auto_sync_enabled = value
            elif name == "sync_direction":
                sync_settings.sync_direction = _choice(SyncDirection, value, name)
            elif name == "sync_frequency":
                sync_settings.sync_frequency = _choice(SyncFrequency, value, name)
            elif name == "default_calendar_id":
                chosen = calendars.get(str(value))
                if chosen is None:
                    raise InvalidInput(
                        f"'{value}' is not one of this account's calendars", field=name
                    )
                if not chosen.writable:
                    raise InvalidInput(
                        f"'{chosen.summary}' is read-only; choose a calendar you can write to",
                        field=name,
                    )
                sync_settings.default_calendar_id = chosen.id
            elif name == "import_calendar_ids":
                if not isinstance(value, list | tuple) or not all(
                    str(v) in calendars for v in value
                ):
                    raise InvalidInput("choose calendars from this account's list", field=name)
                sync_settings.import_calendar_ids = [str(v) for v in value]
            else:
                raise InvalidInput(f"unknown setting '{key}'", field=key)
        touched = {names.get(key, key) for key in changes}
        if (
            touched & {"sync_direction", "import_calendar_ids"}
            and sync_settings.sync_direction in BRINGS_GOOGLE_IN
            and not sync_settings.import_calendar_ids
        ):
            raise InvalidInput(
                "choose a calendar to bring in, or sync from the CRM to Google only",
                field="import_calendar_ids",
            )
    except InvalidInput:
        session.rollback()  # nothing half-applied survives a refused change
        raise
    sync_settings.updated_at = utcnow()
    session.add(sync_settings)
    audit.record(
        session,
        "google_sync_settings_changed",
        ", ".join(f"{names.get(k, k)}={v}" for k, v in changes.items()),
        trainer_id=trainer_id,
        integration=Integration.GOOGLE_CALENDAR,
        actor_user_id=actor.user_id,
    )
    session.commit()
    session.refresh(sync_settings)
    _stop_unwanted_channels(credential, sync_settings, settings, cipher, session=session)
    return sync_settings


def _stop_unwanted_channels(
    credential: IntegrationCredential,
    sync_settings: GoogleCalendarSyncSettings,
    settings: Settings | None,
    cipher: TokenCipher | None,
    *,
    session: Session,
) -> None:
    """After the local commit: channels the settings no longer want are stopped, at Google
    too (best effort: a channel Google cannot be told about is forgotten here all the same)."""
    if channels.wants_channels(sync_settings) or not channels.active_channels(
        session, credential.trainer_id
    ):
        return
    settings = settings or get_settings()
    stop_channels(credential, settings, cipher or cipher_from_settings(settings), session=session)


def _choice(enum: Any, value: Any, field_name: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise InvalidInput(f"'{value}' is not valid (choose {allowed})", field=field_name) from None
