"""Training sessions in the CRM: create, change, delete, read, with what sync needs to know.

A change marks the session `pending`; the next sync sends it to Google (after this commit, never
before). Reads return times in the trainer's own time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, select

from db.models import (
    CalendarEvent,
    Client,
    ConnectionStatus,
    EventOrigin,
    GoogleCalendarSyncSettings,
    Integration,
    IntegrationCredential,
    SyncDirection,
    SyncState,
    Trainer,
    utcnow,
)
from integrations.config import get_settings
from integrations.core.access import Actor, Capability
from integrations.core.errors import InvalidInput, NotFound

EDITABLE = ("title", "start_at", "end_at", "client_id", "all_day", "location", "description")


@dataclass(frozen=True, slots=True)
class EventView:
    """A session as the trainer reads it: local times in their zone."""

    id: str
    title: str
    start: datetime
    end: datetime
    all_day: bool
    client_id: str | None
    client_name: str | None
    origin: EventOrigin
    sync_state: SyncState
    google_calendar_id: str | None
    location: str | None
    description: str | None


def usable_zone(name: str | None) -> str:
    """`name` when this machine can load it, else the organisation's default zone: a zone
    mistyped in a trainer's profile must not take their schedule down with it."""
    if name:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return name
    return get_settings().DEFAULT_TIMEZONE


def _pushes_to_google(trainer_id: str, session: Session) -> bool:
    credential = session.exec(
        select(IntegrationCredential).where(
            IntegrationCredential.trainer_id == trainer_id,
            IntegrationCredential.integration == Integration.GOOGLE_CALENDAR,
        )
    ).first()
    if credential is None or credential.status is not ConnectionStatus.CONNECTED:
        return False
    settings = session.get(GoogleCalendarSyncSettings, trainer_id)
    return settings is None or settings.sync_direction is not SyncDirection.FROM_GOOGLE


def _validate(trainer_id: str, values: dict[str, Any], session: Session) -> None:
    title = str(values.get("title") or "").strip()
    if not title:
        raise InvalidInput("a session needs a title", field="title")
    if len(title) > 500:
        raise InvalidInput("the title is longer than 500 characters", field="title")
    start, end = values.get("start_at"), values.get("end_at")
    if not isinstance(start, datetime) or start.tzinfo is None:
        raise InvalidInput("choose when the session starts", field="start_at")
    if not isinstance(end, datetime) or end.tzinfo is None:
        raise InvalidInput("choose when the session ends", field="end_at")
    if end <= start:
        raise InvalidInput("the session must end after it starts", field="end_at")
    client_id = values.get("client_id")
    if client_id is not None:
        client = session.get(Client, client_id)
        if client is None or client.trainer_id != trainer_id:
            raise InvalidInput("choose one of this trainer's clients", field="client_id")


def create_session(
    actor: Actor, trainer_id: str, values: dict[str, Any], *, session: Session
) -> CalendarEvent:
    actor.require(Capability.MANAGE_TRAINER, trainer_id)
    trainer = session.get(Trainer, trainer_id)
    if trainer is None:
        raise NotFound(f"no trainer {trainer_id}")
    _validate(trainer_id, values, session)
    event = CalendarEvent(
        trainer_id=trainer_id,
        title=str(values["title"]).strip(),
        start_at=values["start_at"],
        end_at=values["end_at"],
        all_day=bool(values.get("all_day", False)),
        client_id=values.get("client_id"),
        location=values.get("location") or None,
        description=values.get("description") or None,
        timezone=usable_zone(trainer.timezone),
        origin=EventOrigin.CRM,
        sync_state=SyncState.PENDING
        if _pushes_to_google(trainer_id, session)
        else SyncState.LOCAL_ONLY,
    )
    session.add(event)
    session.commit()
    session.refresh(event)
    return event


def _own_event(actor: Actor, event_id: str, session: Session) -> CalendarEvent:
    event = session.get(CalendarEvent, event_id)
    # Another trainer's session is reported as missing, not forbidden: no probing by id.
    if (
        event is None
        or event.deleted_at is not None
        or not actor.can(Capability.VIEW_TRAINER, event.trainer_id)
    ):
        raise NotFound(f"no session {event_id}")
    actor.require(Capability.MANAGE_TRAINER, event.trainer_id)
    return event


def update_session(
    actor: Actor, event_id: str, changes: dict[str, Any], *, session: Session
) -> CalendarEvent:
    event = _own_event(actor, event_id, session)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    values = {name: getattr(event, name) for name in EDITABLE} | changes
    _validate(event.trainer_id, values, session)
    for name, value in changes.items():
        setattr(event, name, value.strip() if isinstance(value, str) and name == "title" else value)
    event.updated_at = utcnow()
    if event.google_event_id is not None or _pushes_to_google(event.trainer_id, session):
        event.sync_state = SyncState.PENDING
    session.add(event)
    session.commit()
    session.refresh(event)
    return event


def delete_session(actor: Actor, event_id: str, *, session: Session) -> None:
    event = _own_event(actor, event_id, session)
    event.deleted_at = utcnow()
    event.updated_at = event.deleted_at
    event.status = "cancelled"
    event.sync_state = SyncState.PENDING if event.google_event_id else SyncState.LOCAL_ONLY
    session.add(event)
    session.commit()


def get_google_calendar_events(
    actor: Actor, trainer_id: str, start: datetime, end: datetime, *, session: Session
) -> list[EventView]:
    """The trainer's sessions overlapping [start, end), from the store, in their time zone."""
    actor.require(Capability.VIEW_TRAINER, trainer_id)
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("give the range with a time zone", field="start")
    if end <= start:
        raise InvalidInput("the range must end after it starts", field="end")
    trainer = session.get(Trainer, trainer_id)
    if trainer is None:
        raise NotFound(f"no trainer {trainer_id}")
    zone = ZoneInfo(usable_zone(trainer.timezone))
    rows = session.exec(
        select(CalendarEvent, Client.name)
        .join(Client, col(CalendarEvent.client_id) == col(Client.id), isouter=True)
        .where(
            CalendarEvent.trainer_id == trainer_id,
            CalendarEvent.start_at < end,
            CalendarEvent.end_at > start,
            col(CalendarEvent.deleted_at).is_(None),
        )
        .order_by(col(CalendarEvent.start_at))
    ).all()
    return [
        EventView(
            id=event.id,
            title=event.title,
            start=event.start_at.astimezone(zone),
            end=event.end_at.astimezone(zone),
            all_day=event.all_day,
            client_id=event.client_id,
            client_name=client_name,
            origin=event.origin,
            sync_state=event.sync_state,
            google_calendar_id=event.google_calendar_id,
            location=event.location,
            description=event.description,
        )
        for event, client_name in rows
    ]
