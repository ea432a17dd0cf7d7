"""The demo organisation `make run` seeds on first start: people, clients and sessions."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from db.models import CalendarEvent, Client, EventOrigin, Role, SyncState, Trainer, User
from integrations.core import audit
from integrations.crm import accounts


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    role: Role
    clients: tuple[str, ...] = ()


DEMO_PEOPLE = (
    DemoPerson("manager@demo.newym.co.il", "מיכל אברהם", Role.MANAGER),
    DemoPerson("staff@demo.newym.co.il", "אורי שפירא", Role.STAFF),
    DemoPerson(
        "dana@demo.newym.co.il",
        "דנה כהן",
        Role.TRAINER,
        ("רון גולן", "שירה לוי", "Alex Morgan", "תמר פרץ"),
    ),
    DemoPerson(
        "yossi@demo.newym.co.il",
        "יוסי לוי",
        Role.TRAINER,
        ("נועם ביטון", "הילה דהן", "Sam Cohen"),
    ),
    DemoPerson(
        "noa@demo.newym.co.il",
        "נועה מזרחי",
        Role.TRAINER,
        ("עידו כץ", "ליאת אזולאי", "מאיה רוזן", "Daniel Katz", "יעל חדד"),
    ),
)

SESSION_TITLES = ("אימון אישי", "אימון כוח", "פילאטיס", "Personal training", "HIIT")


def seed_demo(*, session: Session, now: datetime, weeks: int = 2) -> bool:
    """Create the demo organisation unless any user exists; True when it seeded."""
    if accounts.count_users(session=session) > 0:
        return False
    for person in DEMO_PEOPLE:
        user = accounts.add_user(person.email, person.role, session=session, name=person.name)
        if person.role is Role.TRAINER and user.trainer_id is not None:
            _seed_trainer(user, person, session=session, now=now, weeks=weeks)
    audit.record(session, "demo_seeded", "demo organisation created")
    session.commit()
    return True


def _seed_trainer(
    user: User, person: DemoPerson, *, session: Session, now: datetime, weeks: int
) -> None:
    trainer = session.exec(select(Trainer).where(Trainer.id == user.trainer_id)).one()
    zone = ZoneInfo(trainer.timezone)
    clients = []
    for index, client_name in enumerate(person.clients):
        client = Client(
            trainer_id=trainer.id,
            name=client_name,
            email=f"client{index + 1}.{person.email}",
            phone=f"+9725{zlib.crc32(client_name.encode()) % 10**8:08d}",
        )
        session.add(client)
        clients.append(client)
    session.flush()
    # Sessions at fixed local hours on working days (Sunday to Thursday in Israel).
    local_today = now.astimezone(zone).date()
    hours = (7, 9, 17, 19)
    slot = 0
    for day_offset in range(-3, weeks * 7):
        day = local_today + timedelta(days=day_offset)
        if day.weekday() in (4, 5):  # Friday, Saturday
            continue
        for hour in hours[: 1 + (day_offset + len(clients)) % 3]:
            client = clients[slot % len(clients)]
            start = datetime.combine(day, time(hour, 0), tzinfo=zone)
            session.add(
                CalendarEvent(
                    trainer_id=trainer.id,
                    client_id=client.id,
                    title=f"{SESSION_TITLES[slot % len(SESSION_TITLES)]} – {client.name}",
                    start_at=start,
                    end_at=start + timedelta(minutes=60),
                    timezone=trainer.timezone,
                    origin=EventOrigin.CRM,
                    sync_state=SyncState.LOCAL_ONLY,
                )
            )
            slot += 1
