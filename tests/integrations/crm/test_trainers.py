"""The trainers' overview that staff and managers read (and a trainer's home page): what each
count means, now that the store counts per trainer with index seeks."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from db.models import (
    CalendarEvent,
    Client,
    Integration,
    IntegrationCredential,
    Role,
    RunOutcome,
    SyncRun,
    SyncTrigger,
    Trainer,
)
from integrations.core.access import Actor
from integrations.crm import accounts, trainers
from integrations.crm.trainers import NOT_CONNECTED, UPCOMING_DAYS, TrainerOverview
from tests.support.times import at

NOW = at(2026, 12, 8, 9)


def _overviews(actor: Actor, session: Session) -> dict[str, TrainerOverview]:
    return {o.id: o for o in trainers.list_trainer_overviews(actor, session=session, now=NOW)}


def _session_at(session: Session, trainer_id: str, start_in: timedelta, **fields: object) -> None:
    start = NOW + start_in
    session.add(
        CalendarEvent(
            trainer_id=trainer_id,
            title="Session",
            start_at=start,
            end_at=start + timedelta(hours=1),
            **fields,
        )
    )


def test_upcoming_counts_only_live_sessions_of_the_next_seven_days(
    session: Session, people: dict[str, Actor]
) -> None:
    """The same week a trainer's home page lists: not the past, not later, not deleted, not
    another trainer's."""
    mine, other = people["trainer"].trainer_id, people["other_trainer"].trainer_id
    assert mine is not None and other is not None
    _session_at(session, mine, timedelta(minutes=1))
    _session_at(session, mine, timedelta(days=3))
    _session_at(session, mine, timedelta(days=UPCOMING_DAYS) - timedelta(minutes=1))
    _session_at(session, mine, timedelta(days=UPCOMING_DAYS))  # a week away: not yet
    _session_at(session, mine, timedelta(days=40))
    _session_at(session, mine, -timedelta(minutes=30))  # started already
    _session_at(session, mine, timedelta(days=2), deleted_at=NOW, status="cancelled")
    _session_at(session, other, timedelta(days=1))
    session.commit()

    seen = _overviews(people["manager"], session)
    assert seen[mine].upcoming_sessions == 3
    assert seen[other].upcoming_sessions == 1


def test_clients_are_counted_per_trainer_and_none_is_zero(
    session: Session, people: dict[str, Actor]
) -> None:
    mine, other = people["trainer"].trainer_id, people["other_trainer"].trainer_id
    assert mine is not None and other is not None
    for name in ("Ron", "Tal", "Noa"):
        session.add(Client(trainer_id=mine, name=name))
    session.commit()

    seen = _overviews(people["staff"], session)
    assert (seen[mine].clients, seen[other].clients) == (3, 0)
    assert (seen[mine].upcoming_sessions, seen[other].upcoming_sessions) == (0, 0)


def test_the_last_sync_is_the_latest_google_run_whatever_its_outcome(
    session: Session, people: dict[str, Actor]
) -> None:
    """The newest run by start wins even when an older one succeeded; a trainer who never
    synced or never connected shows none of it."""
    mine, other = people["trainer"].trainer_id, people["other_trainer"].trainer_id
    assert mine is not None and other is not None
    session.add(
        IntegrationCredential(
            trainer_id=mine,
            integration=Integration.GOOGLE_CALENDAR,
            account_email="dana@gmail.com",
        )
    )
    for hours_ago, outcome in ((5, RunOutcome.SUCCESS), (1, RunOutcome.FAILED)):
        session.add(
            SyncRun(
                trainer_id=mine,
                trigger=SyncTrigger.SCHEDULE,
                started_at=NOW - timedelta(hours=hours_ago),
                outcome=outcome,
            )
        )
    session.commit()

    seen = _overviews(people["manager"], session)
    assert seen[mine].last_sync_outcome is RunOutcome.FAILED
    assert seen[mine].last_sync_at == NOW - timedelta(hours=1)
    assert seen[mine].google_status == "connected"
    assert seen[mine].google_account == "dana@gmail.com"
    assert seen[other].google_status == NOT_CONNECTED
    assert (seen[other].last_sync_at, seen[other].last_sync_outcome) == (None, None)


def test_a_trainer_gets_only_their_own_counts(session: Session, people: dict[str, Actor]) -> None:
    mine, other = people["trainer"].trainer_id, people["other_trainer"].trainer_id
    assert mine is not None and other is not None
    session.add(Client(trainer_id=other, name="Ron"))
    _session_at(session, other, timedelta(days=1))
    _session_at(session, mine, timedelta(days=2))
    session.commit()

    [own] = trainers.list_trainer_overviews(people["trainer"], session=session, now=NOW)
    assert (own.id, own.clients, own.upcoming_sessions) == (mine, 0, 1)


def test_a_trainer_whose_login_was_turned_off_or_who_became_staff_leaves_the_lists(
    session: Session, people: dict[str, Actor]
) -> None:
    """Their data stays; the people picking trainers no longer see them. A trainer the CRM holds
    without any login is still listed, and turning the login back on brings the trainer back."""
    manager = people["manager"]
    dana, yossi = people["trainer"], people["other_trainer"]
    crm_only = Trainer(name="Ruth", email="ruth@example.com")
    session.add(crm_only)
    session.commit()
    assert set(_overviews(manager, session)) == {dana.trainer_id, yossi.trainer_id, crm_only.id}

    accounts.set_user_active(manager, dana.user_id, False, session=session)
    accounts.change_role(manager, yossi.user_id, Role.STAFF, session=session)
    assert set(_overviews(manager, session)) == {crm_only.id}
    assert set(_overviews(people["staff"], session)) == {crm_only.id}

    accounts.set_user_active(manager, dana.user_id, True, session=session)
    assert set(_overviews(manager, session)) == {dana.trainer_id, crm_only.id}
    # Dana herself, logged in again, still sees her own overview.
    assert set(_overviews(dana, session)) == {dana.trainer_id}


def test_the_events_page_offers_only_trainers_still_working(
    session: Session, people: dict[str, Actor]
) -> None:
    from integrations.crm.schedule import trainer_choices

    manager, dana = people["manager"], people["trainer"]
    accounts.set_user_active(manager, dana.user_id, False, session=session)
    assert [c.name for c in trainer_choices(manager, session=session)] == ["Yossi"]
