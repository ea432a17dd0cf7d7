"""In-app notifications: one list per user, unread first, each linking to what it is about."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from db.models import Notification, Role, User, utcnow
from integrations.core.access import Actor
from integrations.core.errors import NotFound


@dataclass(frozen=True, slots=True)
class NotificationView:
    id: str
    kind: str
    title: str
    body: str
    link: str | None
    trainer_id: str | None
    created_at: datetime
    read_at: datetime | None


def notify(
    user_ids: Iterable[str],
    kind: str,
    title: str,
    *,
    session: Session,
    body: str = "",
    link: str | None = None,
    trainer_id: str | None = None,
    incident_key: str | None = None,
) -> list[Notification]:
    """Add one notification per user to the caller's session."""
    created = []
    for user_id in dict.fromkeys(user_ids):
        note = Notification(
            user_id=user_id,
            kind=kind,
            title=title,
            body=body,
            link=link,
            trainer_id=trainer_id,
            incident_key=incident_key,
        )
        session.add(note)
        created.append(note)
    return created


def managers_and_trainer(trainer_id: str | None, *, session: Session) -> list[str]:
    """The people an incident about a trainer concerns: every active manager and that trainer."""
    query = select(User.id).where(User.is_active, User.role == Role.MANAGER)
    ids = list(session.exec(query).all())
    if trainer_id is not None:
        ids += session.exec(
            select(User.id).where(User.is_active, User.trainer_id == trainer_id)
        ).all()
    return ids


def list_notifications(
    actor: Actor, *, session: Session, limit: int = 200
) -> list[NotificationView]:
    rows = session.exec(
        select(Notification)
        .where(Notification.user_id == actor.user_id)
        .order_by(col(Notification.read_at).is_not(None), col(Notification.created_at).desc())
        .limit(limit)
    ).all()
    return [
        NotificationView(
            id=row.id,
            kind=row.kind,
            title=row.title,
            body=row.body,
            link=row.link,
            trainer_id=row.trainer_id,
            created_at=row.created_at,
            read_at=row.read_at,
        )
        for row in rows
    ]


def unread_count(actor: Actor, *, session: Session) -> int:
    return session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == actor.user_id, col(Notification.read_at).is_(None))
    ).one()


def mark_read(actor: Actor, notification_id: str, *, session: Session) -> None:
    note = session.get(Notification, notification_id)
    # Another user's notification is reported as missing, not as forbidden: no probing.
    if note is None or note.user_id != actor.user_id:
        raise NotFound(f"no notification {notification_id}")
    if note.read_at is None:
        note.read_at = utcnow()
        session.add(note)
        session.commit()


def mark_all_read(actor: Actor, *, session: Session) -> int:
    notes = session.exec(
        select(Notification).where(
            Notification.user_id == actor.user_id,
            col(Notification.read_at).is_(None),
        )
    ).all()
    now = utcnow()
    for note in notes:
        note.read_at = now
        session.add(note)
    session.commit()
    return len(notes)
