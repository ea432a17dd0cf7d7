"""Conflicts the sync resolved by rule, for the trainer to see and, if they disagree, override."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from db.models import CalendarEvent, SyncConflict, SyncState, utcnow
from integrations.core import audit
from integrations.core.access import Actor, Capability
from integrations.core.errors import InvalidInput, NotFound
from integrations.crm.bookings import after_change
from integrations.google_calendar.events import GoogleEvent


@dataclass(frozen=True, slots=True)
class ConflictView:
    id: str
    event_id: str
    detected_at: datetime
    local_version: dict[str, Any]
    google_version: dict[str, Any]
    winner: str
    resolved_by: str


def list_conflicts(
    actor: Actor, trainer_id: str, *, session: Session, limit: int = 100
) -> list[ConflictView]:
    actor.require(Capability.VIEW_TRAINER, trainer_id)
    rows = session.exec(
        select(SyncConflict)
        .where(SyncConflict.trainer_id == trainer_id)
        .order_by(col(SyncConflict.detected_at).desc())
        .limit(limit)
    ).all()
    return [
        ConflictView(
            id=row.id,
            event_id=row.event_id,
            detected_at=row.detected_at,
            local_version=row.local_version,
            google_version=row.google_version,
            winner=row.winner,
            resolved_by=row.resolved_by,
        )
        for row in rows
    ]


def resolve_conflict(
    actor: Actor, conflict_id: str, choose: str, *, session: Session
) -> CalendarEvent:
    """Keep the chosen version on both sides: it becomes the session and is sent to Google."""
    if choose not in {"local", "google"}:
        raise InvalidInput("choose the CRM's version or Google's", field="choose")
    conflict = session.get(SyncConflict, conflict_id)
    if conflict is None or not actor.can(Capability.VIEW_TRAINER, conflict.trainer_id):
        raise NotFound(f"no conflict {conflict_id}")
    actor.require(Capability.MANAGE_TRAINER, conflict.trainer_id)
    event = session.get(CalendarEvent, conflict.event_id)
    if event is None:
        raise NotFound("the session of this conflict no longer exists")
    if choose == "google":
        GoogleEvent(
            {
                **conflict.google_version,
                "id": event.google_event_id or event.id,
                "etag": event.google_etag,
            }
        ).apply_to(event, event.timezone)
        if conflict.google_version.get("status") == "cancelled":
            event.deleted_at = utcnow()
    else:
        local = conflict.local_version
        event.title = str(local.get("summary") or event.title)
        event.start_at = datetime.fromisoformat(local["start"])
        event.end_at = datetime.fromisoformat(local["end"])
        event.location = local.get("location")
        event.description = local.get("description")
        event.deleted_at = utcnow() if local.get("deleted") else None
    event.updated_at = utcnow()
    event.sync_state = SyncState.PENDING  # the chosen version goes to Google on the next sync
    conflict.winner = choose
    conflict.resolved_by = "trainer"
    conflict.resolved_at = utcnow()
    session.add(event)
    session.add(conflict)
    audit.record(
        session,
        "conflict_overridden",
        f"'{event.title}': the trainer kept the {choose} version",
        trainer_id=conflict.trainer_id,
        integration="google_calendar",
        actor_user_id=actor.user_id,
        details={"conflict_id": conflict.id, "event_id": event.id},
    )
    session.commit()
    session.refresh(event)
    after_change(event.trainer_id, session=session)
    return event
