"""Training sessions in the CRM: create, change, delete, read, with what sync needs to know.

A change marks the session `pending`; the next sync sends it to Google (after this commit, never
before). Once committed, every registered integration is told (`after_change`), so a realtime
trainer's change reaches Google in seconds whoever made it. Reads return times in the trainer's
own time zone.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
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
from integrations.core import registry
from integrations.core.access import Actor, Capability
from integrations.core.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)

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


def in_zone(value: datetime, zone: ZoneInfo) -> datetime:
    """`value` in `zone`; a time at the very edge of what datetime holds (an event Google keeps
    until 9999-12-31) is pinned to that edge instead of overflowing."""
    try:
        return value.astimezone(zone)
    except OverflowError:
        edge = datetime.max if value.year > 1 else datetime.min
        return edge.replace(tzinfo=zone)


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


#: Sessions are booked between these days (inclusive): far enough apart for any real booking,
#: and well inside what datetime, the zones and Google can hold (year 9999 overflows all three).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
#: Dates that can be read (a year beyond either end), so the weeks and months at the edges of
#: the booking range still draw whole.
FIRST_READABLE = date(1999, 1, 1)
LAST_READABLE = date(2100, 12, 31)
#: The longest a timed session may last, and an all-day one.
LONGEST_TIMED = timedelta(hours=24)
LONGEST_ALL_DAY = timedelta(days=31)
#: Column sizes (title and location) and what the notes field takes.
TITLE_LIMIT = 500
LOCATION_LIMIT = 500
NOTES_LIMIT = 5000
#: Characters that make a title look empty: zero-width spaces and joiners, bidi marks and
#: isolates, the BOM (all of Unicode category Cf) besides whitespace.
_INVISIBLE = re.compile(r"[\s\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]+")


def _is_blank(text: str) -> bool:
    return not "".join(ch for ch in _INVISIBLE.sub("", text) if unicodedata.category(ch) != "Cf")


def _has_control(text: str, *, multiline: bool) -> bool:
    """A NUL, another control character or a lone surrogate: refused, not stripped, since the
    trainer typed (or pasted) it and should see what is kept."""
    allowed = "\n\r\t" if multiline else ""
    return any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed for ch in text)


def _text(values: dict[str, Any], name: str, limit: int, *, multiline: bool = False) -> None:
    value = values.get(name)
    if value is None:
        return
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text", field=name, reason="not_text")
    if _has_control(value, multiline=multiline):
        raise InvalidInput(f"{name} holds a control character", field=name, reason="control")
    if len(value.strip()) > limit:
        raise InvalidInput(
            f"{name} is longer than {limit} characters", field=name, reason="too_long"
        )


def _when(values: dict[str, Any], name: str) -> datetime:
    value = values.get(name)
    if not isinstance(value, datetime) or value.tzinfo is None:
        verb = "starts" if name == "start_at" else "ends"
        raise InvalidInput(f"choose when the session {verb}", field=name, reason="missing")
    # Compared as the day the person chose, in its own zone: no conversion that could overflow.
    if not FIRST_DAY <= value.date() <= LAST_DAY:
        raise InvalidInput(
            f"{name} must fall between {FIRST_DAY} and {LAST_DAY}",
            field=name,
            reason="out_of_range",
        )
    return value


def validate_booking(
    trainer_id: str,
    values: dict[str, Any],
    *,
    session: Session,
    changed: Iterable[str] | None = None,
) -> None:
    """Refuse a session a person could not have meant, naming the field and the reason.

    Every write of a session from a person goes through here. `changed` (default: every
    field) limits the checks to the rules those fields take part in, so that renaming an
    event Google made does not trip over its own (say, three-day) length.
    """
    touched = set(EDITABLE if changed is None else changed)
    if "title" in touched:
        title = values.get("title")
        if title is None or (isinstance(title, str) and _is_blank(title)):
            raise InvalidInput("a session needs a title", field="title", reason="missing")
        _text(values, "title", TITLE_LIMIT)
    if "location" in touched:
        _text(values, "location", LOCATION_LIMIT)
    if "description" in touched:
        _text(values, "description", NOTES_LIMIT, multiline=True)
    if "all_day" in touched and not isinstance(values.get("all_day", False), bool):
        raise InvalidInput("all_day must be true or false", field="all_day", reason="not_bool")
    if touched & {"start_at", "end_at", "all_day"}:
        start, end = _when(values, "start_at"), _when(values, "end_at")
        if end <= start:
            raise InvalidInput(
                "the session must end after it starts", field="end_at", reason="before_start"
            )
        longest = LONGEST_ALL_DAY if values.get("all_day") else LONGEST_TIMED
        if end - start > longest:
            raise InvalidInput(
                f"a session lasts at most {longest}", field="end_at", reason="too_long"
            )
    client_id = values.get("client_id")
    if "client_id" in touched and client_id is not None:
        client = session.get(Client, client_id) if isinstance(client_id, str) else None
        if client is None or client.trainer_id != trainer_id:
            raise InvalidInput("choose one of this trainer's clients", field="client_id")


def create_booking(
    actor: Actor,
    trainer_id: str,
    values: dict[str, Any],
    *,
    session: Session,
    allow_past: bool = True,
    now: datetime | None = None,
) -> CalendarEvent:
    """Book a session. With `allow_past=False` one that starts before `now` is refused with
    reason "in_past" (after every other check), so the form can ask before it is booked and
    sent to Google."""
    actor.require(Capability.MANAGE_TRAINER, trainer_id)
    trainer = session.get(Trainer, trainer_id)
    if trainer is None:
        raise NotFound(f"no trainer {trainer_id}")
    validate_booking(trainer_id, values, session=session)
    if not allow_past and values["start_at"] < (now or utcnow()):
        raise InvalidInput("the session starts in the past", field="start_at", reason="in_past")
    event = CalendarEvent(
        trainer_id=trainer_id,
        title=str(values["title"]).strip(),
        start_at=values["start_at"],
        end_at=values["end_at"],
        all_day=values.get("all_day", False),
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
    after_change(event.trainer_id, session=session)
    return event


def after_change(trainer_id: str, *, session: Session) -> None:
    """Tell every integration that a session of this trainer changed, after the commit. The
    change is stored whatever they answer: an integration that fails here is logged, and its
    schedule picks the change up later."""
    for integration in registry.integrations():
        try:
            integration.after_local_change(session, trainer_id)
        except Exception:
            log.warning(
                "%s could not act on a change to trainer %s's sessions; its schedule picks it up",
                integration.name,
                trainer_id,
                exc_info=True,
            )


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


def update_booking(
    actor: Actor,
    event_id: str,
    changes: dict[str, Any],
    *,
    session: Session,
    allow_past: bool = True,
    now: datetime | None = None,
) -> CalendarEvent:
    """Change a session; with `allow_past=False` a move to a start before `now` is refused
    with reason "in_past", as in `create_booking` (other changes to a past session are not)."""
    event = _own_event(actor, event_id, session)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    values = {name: getattr(event, name) for name in EDITABLE} | changes
    validate_booking(event.trainer_id, values, session=session, changed=changes)
    if not allow_past and "start_at" in changes and changes["start_at"] < (now or utcnow()):
        raise InvalidInput("the session starts in the past", field="start_at", reason="in_past")
    for name, value in changes.items():
        setattr(event, name, value.strip() if isinstance(value, str) and name == "title" else value)
    event.updated_at = utcnow()
    if event.google_event_id is not None or _pushes_to_google(event.trainer_id, session):
        event.sync_state = SyncState.PENDING
    session.add(event)
    session.commit()
    session.refresh(event)
    after_change(event.trainer_id, session=session)
    return event


def delete_booking(actor: Actor, event_id: str, *, session: Session) -> None:
    event = _own_event(actor, event_id, session)
    event.deleted_at = utcnow()
    event.updated_at = event.deleted_at
    event.status = "cancelled"
    event.sync_state = SyncState.PENDING if event.google_event_id else SyncState.LOCAL_ONLY
    session.add(event)
    session.commit()
    after_change(event.trainer_id, session=session)


def get_google_calendar_events(
    actor: Actor, trainer_id: str, start: datetime, end: datetime, *, session: Session
) -> list[EventView]:
    """The trainer's sessions overlapping [start, end), from the store, in their time zone."""
    actor.require(Capability.VIEW_TRAINER, trainer_id)
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("give the range with a time zone", field="start")
    if end <= start:
        raise InvalidInput("the range must end after it starts", field="end")
    if start.date() < FIRST_READABLE or end.date() > LAST_READABLE + timedelta(days=1):
        raise InvalidInput(
            f"read dates between {FIRST_READABLE} and {LAST_READABLE}",
            field="start",
            reason="out_of_range",
        )
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
            start=in_zone(event.start_at, zone),
            end=in_zone(event.end_at, zone),
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
