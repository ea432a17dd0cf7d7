"""The access matrix: each role against each service function.

A trainer sees only their own trainer's data, through any function; staff see every trainer and
may trigger syncs; managers may do everything.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from db.models import CalendarEvent, Role, utcnow
from integrations.core.access import Actor, Capability
from integrations.core.errors import AccessDenied, NotFound
from integrations.core.notifications import list_notifications, mark_read, notify, unread_count
from integrations.crm import trainers

ROLES = ["manager", "staff", "trainer"]
# capability -> roles that hold it for a trainer who is not their own
MATRIX = {
    Capability.VIEW_TRAINER: {"manager", "staff"},
    Capability.MANAGE_TRAINER: {"manager"},
    Capability.TRIGGER_SYNC: {"manager", "staff"},
    Capability.VIEW_ALL_TRAINERS: {"manager", "staff"},
    Capability.VIEW_HEALTH: {"manager"},
    Capability.ADMIN_USERS: {"manager"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("capability", list(Capability))
def test_capabilities_for_someone_elses_trainer(
    people: dict[str, Actor], role: str, capability: Capability
) -> None:
    other = people["other_trainer"].trainer_id
    assert people[role].can(capability, other) is (role in MATRIX[capability])


@pytest.mark.parametrize(
    "capability", [Capability.VIEW_TRAINER, Capability.MANAGE_TRAINER, Capability.TRIGGER_SYNC]
)
def test_a_trainer_may_act_for_their_own_trainer(
    people: dict[str, Actor], capability: Capability
) -> None:
    trainer = people["trainer"]
    assert trainer.can(capability, trainer.trainer_id)


def test_a_trainer_without_a_trainer_profile_may_act_for_none(people: dict[str, Actor]) -> None:
    orphan = Actor(user_id="u", email="o@example.com", role=Role.TRAINER, trainer_id=None)
    assert not orphan.can(Capability.VIEW_TRAINER, None)
    assert not orphan.can(Capability.VIEW_TRAINER, people["trainer"].trainer_id)


@pytest.mark.parametrize("role", ROLES)
def test_trainer_overviews_show_a_trainer_only_themselves(
    session: Session, people: dict[str, Actor], role: str
) -> None:
    seen = {o.id for o in trainers.list_trainer_overviews(people[role], session=session)}
    both = {people["trainer"].trainer_id, people["other_trainer"].trainer_id}
    assert seen == ({people["trainer"].trainer_id} if role == "trainer" else both)


@pytest.mark.parametrize("role", ROLES)
def test_reading_another_trainers_sessions(
    session: Session, people: dict[str, Actor], role: str
) -> None:
    other = people["other_trainer"].trainer_id
    assert other is not None
    start = utcnow() + timedelta(days=1)
    session.add(
        CalendarEvent(trainer_id=other, title="Private session", start_at=start, end_at=start)
    )
    session.commit()
    if role == "trainer":
        with pytest.raises(AccessDenied):
            trainers.list_upcoming_sessions(people[role], other, session=session)
        with pytest.raises(AccessDenied):
            trainers.get_trainer(people[role], other, session=session)
    else:
        titles = [
            s.title for s in trainers.list_upcoming_sessions(people[role], other, session=session)
        ]
        assert titles == ["Private session"]
        assert trainers.get_trainer(people[role], other, session=session).id == other


def test_overviews_count_clients_upcoming_sessions_and_the_last_sync(
    session: Session, people: dict[str, Actor]
) -> None:
    from db.models import Client, IntegrationCredential, RunOutcome, SyncRun, SyncTrigger

    mine = people["trainer"].trainer_id
    assert mine is not None
    now = utcnow()
    session.add(Client(trainer_id=mine, name="Ron"))
    session.add(
        CalendarEvent(trainer_id=mine, title="soon", start_at=now + timedelta(hours=2), end_at=now)
    )
    session.add(
        CalendarEvent(trainer_id=mine, title="past", start_at=now - timedelta(days=2), end_at=now)
    )
    session.add(
        IntegrationCredential(
            trainer_id=mine, integration="google_calendar", account_email="d@gmail.com"
        )
    )
    session.add(
        SyncRun(
            trainer_id=mine,
            trigger=SyncTrigger.MANUAL,
            started_at=now - timedelta(hours=3),
            outcome=RunOutcome.FAILED,
        )
    )
    session.add(
        SyncRun(
            trainer_id=mine,
            trigger=SyncTrigger.SCHEDULE,
            started_at=now - timedelta(hours=1),
            outcome=RunOutcome.SUCCESS,
        )
    )
    session.commit()
    overview = next(
        o
        for o in trainers.list_trainer_overviews(people["manager"], session=session)
        if o.id == mine
    )
    assert (overview.clients, overview.upcoming_sessions) == (1, 1)
    assert overview.google_status == "connected" and overview.google_account == "d@gmail.com"
    assert overview.last_sync_outcome is RunOutcome.SUCCESS
    assert overview.last_sync_at is not None and overview.last_sync_at.tzinfo is not None


def test_notifications_are_private_to_their_recipient(
    session: Session, people: dict[str, Actor]
) -> None:
    dana, yossi = people["trainer"], people["other_trainer"]
    [note] = notify([dana.user_id], "sync_failed", "Sync failed", session=session)
    session.commit()
    assert unread_count(dana, session=session) == 1
    assert list_notifications(yossi, session=session) == []
    with pytest.raises(NotFound):
        mark_read(yossi, note.id, session=session)
    mark_read(dana, note.id, session=session)
    assert unread_count(dana, session=session) == 0
