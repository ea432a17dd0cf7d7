"""A demo trainer's Google connection and sync runs, written straight to an AppTest's store."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from db.engine import get_engine
from db.models import (
    GoogleCalendarSyncSettings,
    Integration,
    IntegrationCredential,
    RunOutcome,
    SyncRun,
    SyncTrigger,
    User,
)

CALENDARS = [
    {"id": "dana@gmail.com", "summary": "Dana", "access_role": "owner", "primary": True},
    {
        "id": "studio@group.calendar.google.com",
        "summary": "Studio",
        "access_role": "writer",
        "primary": False,
    },
    {
        "id": "holidays@group.calendar.google.com",
        "summary": "Holidays",
        "access_role": "reader",
        "primary": False,
    },
]


def demo_trainer_id(store: str, email: str) -> str:
    with Session(get_engine(store)) as session:
        trainer_id = session.exec(select(User.trainer_id).where(User.email == email)).one()
    assert trainer_id is not None
    return trainer_id


def connect_google(store: str, email: str) -> str:
    trainer_id = demo_trainer_id(store, email)
    with Session(get_engine(store)) as session:
        session.add(
            IntegrationCredential(
                trainer_id=trainer_id,
                integration=Integration.GOOGLE_CALENDAR,
                account_email=email,
                calendars=CALENDARS,
            )
        )
        session.add(
            GoogleCalendarSyncSettings(
                trainer_id=trainer_id,
                default_calendar_id="dana@gmail.com",
                import_calendar_ids=["dana@gmail.com"],
            )
        )
        session.commit()
    return trainer_id


def record_run(store: str, trainer_id: str, outcome: RunOutcome, **values: Any) -> None:
    """What the worker writes when a sync ends (the tests play the worker)."""
    with Session(get_engine(store)) as session:
        session.add(
            SyncRun(trainer_id=trainer_id, trigger=SyncTrigger.MANUAL, outcome=outcome, **values)
        )
        session.commit()
