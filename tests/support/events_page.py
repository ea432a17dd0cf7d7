"""The events page in an AppTest, and what its tests read from and write to the demo store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, timedelta

from sqlmodel import Session, col, select
from streamlit.testing.v1 import AppTest

from db.engine import get_engine
from db.models import CalendarEvent, SyncConflict, Trainer, utcnow
from integrations.crm.schedule import day_span, today_in, week_containing
from tests.support.apptest import EMAILS

PAGE = "pages/events.py"
JERUSALEM = "Asia/Jerusalem"


def events_page(app_as: Callable[..., AppTest], role: str, lang: str = "en") -> AppTest:
    at = app_as(EMAILS[role], lang).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def store(url: str) -> Session:
    return Session(get_engine(url), expire_on_commit=False)


def trainer(url: str, email: str = EMAILS["trainer"]) -> Trainer:
    with store(url) as session:
        return session.exec(select(Trainer).where(Trainer.email == email)).one()


def this_week(zone: str = JERUSALEM) -> tuple[date, date]:
    return week_containing(today_in(zone, utcnow()))


def stored_events(url: str, trainer_id: str, zone: str = JERUSALEM) -> list[CalendarEvent]:
    """What the store holds for this week (the page's default range), soonest first."""
    start, end = day_span(*this_week(zone), zone)
    with store(url) as session:
        return list(
            session.exec(
                select(CalendarEvent)
                .where(
                    CalendarEvent.trainer_id == trainer_id,
                    CalendarEvent.start_at < end,
                    CalendarEvent.end_at > start,
                    col(CalendarEvent.deleted_at).is_(None),
                )
                .order_by(col(CalendarEvent.start_at))
            ).all()
        )


def conflict_on(url: str, event: CalendarEvent) -> SyncConflict:
    google_start = event.start_at + timedelta(hours=1)
    conflict = SyncConflict(
        trainer_id=event.trainer_id,
        event_id=event.id,
        local_version={
            "summary": event.title,
            "start": event.start_at.isoformat(),
            "end": event.end_at.isoformat(),
            "deleted": False,
        },
        google_version={
            "summary": "Moved in Google",
            "start": {"dateTime": google_start.astimezone(UTC).isoformat()},
            "end": {"dateTime": (google_start + timedelta(hours=1)).astimezone(UTC).isoformat()},
            "status": "confirmed",
        },
        winner="local",
    )
    with store(url) as session:
        session.add(conflict)
        session.commit()
    return conflict
