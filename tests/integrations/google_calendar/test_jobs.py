"""What the worker does on its own: scheduled syncs by frequency, backoff after failures, tokens
refreshed ahead of expiry, and one sync at a time per trainer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from db.models import (
    AlertIncident,
    ConnectionStatus,
    IntegrationCredential,
    Notification,
    RunOutcome,
    SyncRun,
    SyncTrigger,
    utcnow,
)
from integrations import worker
from integrations.core.access import Actor
from integrations.core.crypto import TokenCipher, generate_key
from integrations.google_calendar import jobs
from integrations.google_calendar.status import update_google_calendar_sync_settings
from tests.integrations.google_calendar.conftest import Trainer


def _run_at(session: Session, trainer_id: str, when_ago: timedelta, outcome: RunOutcome) -> None:
    session.add(
        SyncRun(
            trainer_id=trainer_id,
            trigger=SyncTrigger.SCHEDULE,
            started_at=utcnow() - when_ago,
            outcome=outcome,
        )
    )
    session.commit()


@pytest.mark.parametrize(
    ("frequency", "last_run_ago", "due"),
    [
        ("hourly", timedelta(minutes=30), False),
        ("hourly", timedelta(minutes=61), True),
        ("daily", timedelta(hours=23), False),
        ("daily", timedelta(hours=25), True),
        ("realtime", timedelta(minutes=30), False),  # pushes do the work; polling is the backstop
        ("realtime", timedelta(minutes=61), True),
    ],
)
def test_schedules_follow_the_chosen_frequency(
    trainer: Trainer, frequency: str, last_run_ago: timedelta, due: bool
) -> None:
    update_google_calendar_sync_settings(
        trainer.actor, trainer.id, {"syncFrequency": frequency}, session=trainer.session
    )
    _run_at(trainer.session, trainer.id, last_run_ago, RunOutcome.SUCCESS)
    assert (trainer.id in jobs.due_syncs(trainer.session, utcnow())) is due


def test_a_connection_that_never_synced_is_due_at_once(trainer: Trainer) -> None:
    assert trainer.id in jobs.due_syncs(trainer.session, utcnow())


def test_failed_runs_are_retried_later_with_growing_gaps(trainer: Trainer) -> None:
    update_google_calendar_sync_settings(
        trainer.actor, trainer.id, {"syncFrequency": "daily"}, session=trainer.session
    )
    _run_at(trainer.session, trainer.id, timedelta(minutes=6), RunOutcome.FAILED)
    assert trainer.id in jobs.due_syncs(trainer.session, utcnow())  # 5 minutes after one failure
    _run_at(trainer.session, trainer.id, timedelta(minutes=4), RunOutcome.FAILED)
    assert trainer.id not in jobs.due_syncs(trainer.session, utcnow())  # 10 after two


def test_auto_sync_off_or_needing_reauth_schedules_nothing(trainer: Trainer) -> None:
    update_google_calendar_sync_settings(
        trainer.actor, trainer.id, {"autoSyncEnabled": False}, session=trainer.session
    )
    assert trainer.id not in jobs.due_syncs(trainer.session, utcnow())
    update_google_calendar_sync_settings(
        trainer.actor, trainer.id, {"autoSyncEnabled": True}, session=trainer.session
    )
    credential = trainer.session.exec(select(IntegrationCredential)).one()
    credential.status = ConnectionStatus.NEEDS_REAUTH
    trainer.session.add(credential)
    trainer.session.commit()
    assert trainer.id not in jobs.due_syncs(trainer.session, utcnow())


def test_tokens_are_refreshed_ahead_of_expiry(trainer: Trainer) -> None:
    credential = trainer.session.exec(select(IntegrationCredential)).one()
    assert jobs.expiring_credentials(trainer.session, utcnow()) == []
    credential.token_expires_at = utcnow() + timedelta(minutes=5)
    trainer.session.add(credential)
    trainer.session.commit()
    assert jobs.expiring_credentials(trainer.session, utcnow()) == [credential.id]
    old = credential.access_token_encrypted
    assert jobs.refresh_token(credential.id)
    trainer.session.refresh(credential)
    assert credential.access_token_encrypted != old
    assert (
        credential.token_expires_at is not None
        and credential.token_expires_at > utcnow() + timedelta(minutes=50)
    )


def test_a_revoked_grant_found_while_refreshing_needs_reauth_once(
    trainer: Trainer, people: dict[str, Actor]
) -> None:
    credential = trainer.session.exec(select(IntegrationCredential)).one()
    trainer.world.control("POST", "/_emulator/revoke-account", json={"email": trainer.email})
    assert not jobs.refresh_token(credential.id)
    assert not jobs.refresh_token(credential.id)
    trainer.session.refresh(credential)
    assert credential.status is ConnectionStatus.NEEDS_REAUTH
    notes = trainer.session.exec(select(Notification)).all()
    assert sorted(n.user_id for n in notes) == sorted(
        [people["trainer"].user_id, people["manager"].user_id]
    )


def test_a_token_no_configured_key_can_read_found_while_refreshing_asks_for_reconnecting(
    trainer: Trainer, people: dict[str, Actor]
) -> None:
    """The key that encrypted it was dropped: the refresh says reconnect instead of crashing."""
    credential = trainer.session.exec(select(IntegrationCredential)).one()
    foreign = TokenCipher([generate_key()])
    credential.refresh_token_encrypted = foreign.encrypt("1//some-refresh-token")
    trainer.session.add(credential)
    trainer.session.commit()
    assert not jobs.refresh_token(credential.id)
    trainer.session.refresh(credential)
    assert credential.status is ConnectionStatus.NEEDS_REAUTH
    assert credential.last_error is not None and "reconnect" in credential.last_error
    notes = trainer.session.exec(select(Notification)).all()
    assert sorted(n.user_id for n in notes) == sorted(
        [people["trainer"].user_id, people["manager"].user_id]
    )


def test_the_queued_sync_runs_through_the_worker_and_a_second_request_waits(
    trainer: Trainer,
) -> None:
    huey = worker.huey
    huey.flush()
    trainer.in_google(
        {"summary": "From Google", "start": {"date": "2027-01-04"}, "end": {"date": "2027-01-05"}}
    )
    assert worker.enqueue_sync(trainer.id, SyncTrigger.MANUAL)
    assert not worker.enqueue_sync(trainer.id, SyncTrigger.MANUAL)  # one is already waiting
    task = huey.dequeue()
    result = huey.execute(task)
    assert result is not None and result["outcome"] == "success", result
    assert [e.title for e in trainer.local()] == ["From Google"]
    assert worker.enqueue_sync(trainer.id, SyncTrigger.MANUAL)  # the run took it off "waiting"
    huey.flush()


def test_a_sync_that_finds_access_revoked_raises_the_alert_at_once(trainer: Trainer) -> None:
    """The manager learns of it from the health page's open alerts without waiting for a tick."""
    huey = worker.huey
    huey.flush()
    trainer.world.control(
        "POST",
        "/_emulator/faults",
        json={"kind": "error", "status": 401, "reason": "authError", "times": 5},
    )
    assert worker.enqueue_sync(trainer.id, SyncTrigger.MANUAL)
    result = huey.execute(huey.dequeue())
    assert result is not None and result["outcome"] == "failed", result
    follow_up = huey.dequeue()
    assert follow_up is not None and follow_up.name.endswith("evaluate_alerts")
    report = huey.execute(follow_up)
    assert report == {"raised": [], "adopted": [f"needs_reauth:{trainer.id}"], "resolved": []}
    trainer.session.expire_all()
    incident = trainer.session.get(AlertIncident, f"needs_reauth:{trainer.id}")
    assert incident is not None and incident.is_open
    assert huey.dequeue() is None  # nothing else queued: no retry loop against a dead grant
    huey.flush()


def test_a_successful_sync_queues_no_alert_evaluation(trainer: Trainer) -> None:
    huey = worker.huey
    huey.flush()
    assert worker.enqueue_sync(trainer.id, SyncTrigger.MANUAL)
    result = huey.execute(huey.dequeue())
    assert result is not None and result["outcome"] == "success", result
    assert huey.dequeue() is None
