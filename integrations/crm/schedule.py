"""A trainer's schedule as the events page reads it: the sessions of one date range with the sync
state a person should see, the filters that narrow them, overlaps, and the conflicts that still
wait for the trainer's choice.

Only the range asked for is read (the store filters by trainer and time); filters then apply to
that handful of rows. Weeks start on Sunday, as they do in Israel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from db.models import (
    CalendarEvent,
    EventOrigin,
    Integration,
    IntegrationCredential,
    SyncConflict,
    SyncState,
    Trainer,
)
from integrations.core.access import Actor, Capability
from integrations.core.errors import InvalidInput, NotFound
from integrations.crm.bookings import (
    FIRST_READABLE,
    LAST_READABLE,
    EventView,
    get_google_calendar_events,
    in_zone,
    usable_zone,
)
from integrations.crm.trainers import working_trainer
from integrations.google_calendar.events import GoogleEvent

#: The calendar filter's value for sessions that are in no Google calendar (yet).
CRM_ONLY = "crm_only"
#: The longest range one page load reads: a quarter, so the page stays fast whatever is asked.
LONGEST_RANGE = timedelta(days=93)
#: A conflict stays open until the trainer chooses; the sync's rule only chose provisionally.
DECIDED_BY_RULE = "rule"


# --- Dates ----------------------------------------------------------------------------------


def today_in(zone: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(zone)).date()


def _readable(day: date, field: str) -> None:
    """Dates beyond what can be read are refused by name: near year 1 or 9999 the week and
    month arithmetic, the zones and the store would overflow."""
    if not FIRST_READABLE <= day <= LAST_READABLE:
        raise InvalidInput(
            f"choose dates between {FIRST_READABLE} and {LAST_READABLE}",
            field=field,
            reason="out_of_range",
        )


def week_containing(day: date) -> tuple[date, date]:
    """Sunday to Saturday (both included) of the week holding `day`."""
    _readable(day, "start")
    first = day - timedelta(days=(day.weekday() + 1) % 7)
    return first, first + timedelta(days=6)


def month_containing(day: date) -> tuple[date, date]:
    _readable(day, "start")
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def day_span(first: date, last: date, zone: str) -> tuple[datetime, datetime]:
    """From the start of `first` to the end of `last` in the trainer's zone (DST-safe)."""
    _readable(first, "start")
    _readable(last, "end")
    if last < first:
        raise InvalidInput("the range must end after it starts", field="end")
    if last - first >= LONGEST_RANGE:
        raise InvalidInput("choose at most three months at a time", field="end")
    tz = ZoneInfo(zone)
    return (
        datetime.combine(first, time(0), tzinfo=tz),
        datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz),
    )


# --- Conflicts ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Version:
    """One side of a conflict as the trainer reads it: times in their zone."""

    title: str
    start: datetime | None
    end: datetime | None
    location: str | None
    deleted: bool


@dataclass(frozen=True, slots=True)
class OpenConflict:
    """Both sides changed a session; the sync kept `kept` until the trainer chooses."""

    id: str
    event_id: str
    detected_at: datetime
    kept: str  # "local" or "google"
    local: Version
    google: Version


def _local_side(raw: dict[str, Any], zone: ZoneInfo) -> Version:
    def when(key: str) -> datetime | None:
        value = raw.get(key)
        return in_zone(datetime.fromisoformat(value), zone) if value else None

    return Version(
        title=str(raw.get("summary") or ""),
        start=when("start"),
        end=when("end"),
        location=raw.get("location") or None,
        deleted=bool(raw.get("deleted")),
    )


def _google_side(raw: dict[str, Any], zone: ZoneInfo) -> Version:
    start: datetime | None = None
    end: datetime | None = None
    if raw.get("start"):
        try:
            begin, finish = GoogleEvent({"id": "-", **raw}).span(zone.key)
        except (OverflowError, ValueError, KeyError):
            pass  # a date Google holds that no zone can (year 9999): shown without times
        else:
            start, end = in_zone(begin, zone), in_zone(finish, zone)
    return Version(
        title=str(raw.get("summary") or ""),
        start=start,
        end=end,
        location=raw.get("location") or None,
        deleted=raw.get("status") == "cancelled",
    )


def open_conflicts(
    actor: Actor, trainer_id: str, event_ids: list[str], *, session: Session
) -> dict[str, OpenConflict]:
    """The latest conflict of each given session, when the trainer has not decided it yet."""
    actor.require(Capability.VIEW_TRAINER, trainer_id)
    if not event_ids:
        return {}
    trainer = session.get(Trainer, trainer_id)
    if trainer is None:
        raise NotFound(f"no trainer {trainer_id}")
    tz = ZoneInfo(usable_zone(trainer.timezone))
    rows = session.exec(
        select(SyncConflict)
        .where(
            SyncConflict.trainer_id == trainer_id,
            col(SyncConflict.event_id).in_(event_ids),
        )
        .order_by(col(SyncConflict.detected_at).desc())
    ).all()
    latest: dict[str, SyncConflict] = {}
    for row in rows:
        latest.setdefault(row.event_id, row)
    return {
        event_id: OpenConflict(
            id=row.id,
            event_id=event_id,
            detected_at=row.detected_at.astimezone(tz),
            kept=row.winner,
            local=_local_side(row.local_version, tz),
            google=_google_side(row.google_version, tz),
        )
        for event_id, row in latest.items()
        if row.resolved_by == DECIDED_BY_RULE
    }


# --- The schedule ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduledEvent:
    """A session with the sync state to show: `conflict` while a conflict waits for the trainer."""

    event: EventView
    sync_state: SyncState
    conflict: OpenConflict | None = None


@dataclass(frozen=True, slots=True)
class ScheduleFilter:
    """What the trainer narrowed the schedule to; None everywhere keeps every session."""

    calendar_id: str | None = None  # a Google calendar id, or CRM_ONLY
    client_id: str | None = None
    origin: EventOrigin | None = None
    sync_state: SyncState | None = None

    def keeps(self, item: ScheduledEvent) -> bool:
        event = item.event
        if self.calendar_id == CRM_ONLY:
            if event.google_calendar_id is not None:
                return False
        elif self.calendar_id is not None and event.google_calendar_id != self.calendar_id:
            return False
        if self.client_id is not None and event.client_id != self.client_id:
            return False
        if self.origin is not None and event.origin is not self.origin:
            return False
        return self.sync_state is None or item.sync_state is self.sync_state


def read_schedule(
    actor: Actor,
    trainer_id: str,
    start: datetime,
    end: datetime,
    *,
    session: Session,
    filters: ScheduleFilter | None = None,
) -> list[ScheduledEvent]:
    """The trainer's sessions overlapping [start, end) that pass `filters`, soonest first,
    in the trainer's time zone."""
    events = get_google_calendar_events(actor, trainer_id, start, end, session=session)
    conflicts = open_conflicts(actor, trainer_id, [e.id for e in events], session=session)
    scheduled = [
        ScheduledEvent(
            event=event,
            sync_state=SyncState.CONFLICT if event.id in conflicts else event.sync_state,
            conflict=conflicts.get(event.id),
        )
        for event in events
    ]
    wanted = filters or ScheduleFilter()
    return [item for item in scheduled if wanted.keeps(item)]


def find_overlaps(
    actor: Actor,
    trainer_id: str,
    start: datetime,
    end: datetime,
    *,
    session: Session,
    ignore_event_id: str | None = None,
) -> list[EventView]:
    """The trainer's timed sessions that share some of [start, end) (all-day events, such as a
    holiday, are not double bookings)."""
    return [
        event
        for event in get_google_calendar_events(actor, trainer_id, start, end, session=session)
        if event.id != ignore_event_id and not event.all_day
    ]


@dataclass(frozen=True, slots=True)
class TrainerChoice:
    """A trainer to show; `timezone` is always one this machine can load (see `usable_zone`),
    and `unknown_zone` holds the profile's own zone when it could not be."""

    id: str
    name: str
    timezone: str
    unknown_zone: str | None = None


def trainer_choices(actor: Actor, *, session: Session) -> list[TrainerChoice]:
    """The trainers whose schedule the actor may open, by name: every trainer for staff and
    managers, only themselves for a trainer. One light query (no aggregates), since the page
    asks on every visit."""
    actor.require(Capability.VIEW_TRAINER, actor.trainer_id)
    query = select(Trainer.id, Trainer.name, Trainer.timezone).order_by(col(Trainer.name))
    if not actor.can(Capability.VIEW_ALL_TRAINERS):
        query = query.where(Trainer.id == actor.trainer_id)
    else:
        query = query.where(working_trainer())
    choices = []
    for trainer_id, name, zone in session.exec(query).all():
        usable = usable_zone(zone)
        choices.append(
            TrainerChoice(trainer_id, name, usable, unknown_zone=None if usable == zone else zone)
        )
    return choices


@dataclass(frozen=True, slots=True)
class CalendarChoice:
    id: str
    name: str


def calendar_choices(actor: Actor, trainer_id: str, *, session: Session) -> list[CalendarChoice]:
    """The Google calendars a session of this trainer can be in: the connected account's list,
    then any other calendar the store still holds sessions of (named by its id)."""
    actor.require(Capability.VIEW_TRAINER, trainer_id)
    credential = session.exec(
        select(IntegrationCredential).where(
            IntegrationCredential.trainer_id == trainer_id,
            IntegrationCredential.integration == Integration.GOOGLE_CALENDAR,
        )
    ).first()
    named = {
        str(c["id"]): str(c.get("summary") or c["id"])
        for c in (credential.calendars if credential else [])
    }
    in_store = session.exec(
        select(CalendarEvent.google_calendar_id)
        .where(
            CalendarEvent.trainer_id == trainer_id,
            col(CalendarEvent.google_calendar_id).is_not(None),
        )
        .distinct()
    ).all()
    for calendar_id in sorted(str(c) for c in in_store):
        named.setdefault(calendar_id, calendar_id)
    return [CalendarChoice(id=key, name=value) for key, value in named.items()]
