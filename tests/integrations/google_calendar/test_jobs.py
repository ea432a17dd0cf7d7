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
from integrations.core.access import Actor
from integrations.core.crypto import TokenCipher, generate_key
from integrations.google_calendar import jobs
from integrations.google_calendar.status import update_google_calendar_sync_settings
from integrations.processes import worker
from tests.support.google_world import Trainer


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
    assert not worker.refresh_google_token.call_local(credential.id)
    assert not worker.refresh_google_token.call_local(credential.id)
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
    assert not worker.refresh_google_token.call_local(credential.id)
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


def _notices(trainer: Trainer) -> list[tuple[str, str]]:
    trainer.session.expire_all()
    return sorted(
        (note.kind, note.user_id) for note in trainer.session.exec(select(Notification)).all()
    )


def test_a_sync_that_finds_access_revoked_raises_the_alert_at_once(
    trainer: Trainer, people: dict[str, Actor]
) -> None:
    """The manager learns of it from the health page's open alerts and the notifications as the
    run ends, without waiting for a tick: one notice each, raised by the alert engine."""
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
    assert _notices(trainer) == sorted(
        ("alert:needs_reauth", person.user_id) for person in (people["manager"], people["trainer"])
    )
    trainer.session.expire_all()
    incident = trainer.session.get(AlertIncident, f"needs_reauth:{trainer.id}")
    assert incident is not None and incident.is_open and incident.raised_by == "alerts"
    assert result["alerts"] == {"raised": [f"needs_reauth:{trainer.id}"], "resolved": []}
    assert huey.dequeue() is None  # nothing else queued: no retry loop against a dead grant
    huey.flush()


def test_the_third_failed_sync_in_a_row_is_an_alert_as_it_ends_and_the_next_ones_add_none(
    trainer: Trainer, people: dict[str, Actor]
) -> None:
    """Runs through the worker's sync task: nobody is told of one or two failures, everybody
    concerned once of the third, in one notice each; the engine's outcome alone raised it."""
    trainer.fault(kind="error", status=403, reason="quotaExceeded", times=5, method="GET")
    results = [worker.sync_trainer.call_local(trainer.id, "schedule") for _ in range(5)]
    assert [r["outcome"] for r in results] == ["failed"] * 5
    assert _notices(trainer) == sorted(
        ("alert:sync_failing", person.user_id) for person in (people["manager"], people["trainer"])
    )
    assert [r["alerts"]["raised"] for r in results] == [
        [],
        [],
        [f"sync_failing:{trainer.id}"],
        [],
        [],
    ]
    trainer.session.expire_all()
    incident = trainer.session.get(AlertIncident, f"sync_failing:{trainer.id}")
    assert incident is not None and incident.raised_by == "alerts"
    assert incident.occurrences == 1


def test_a_reconnected_trainers_next_sync_resolves_the_alert_as_it_ends(
    trainer: Trainer, people: dict[str, Actor]
) -> None:
    trainer.fault(kind="error", status=401, reason="authError", times=5)
    assert worker.sync_trainer.call_local(trainer.id, "manual")["alerts"]["raised"] == [
        f"needs_reauth:{trainer.id}"
    ]
    trainer.world.control("DELETE", "/_emulator/faults")
    trainer.world.connect(trainer.actor, trainer.email, session=trainer.session)
    result = worker.sync_trainer.call_local(trainer.id, "manual")
    assert result["outcome"] == "success", result
    assert result["alerts"] == {"raised": [], "resolved": [f"needs_reauth:{trainer.id}"]}
    assert [kind for kind, _ in _notices(trainer)] == [
        "alert:needs_reauth",
        "alert:needs_reauth",
        "alert:needs_reauth:resolved",
        "alert:needs_reauth:resolved",
    ]


def test_a_successful_sync_queues_nothing_and_tells_nobody(trainer: Trainer) -> None:
    huey = worker.huey
    huey.flush()
    assert worker.enqueue_sync(trainer.id, SyncTrigger.MANUAL)
    result = huey.execute(huey.dequeue())
    assert result is not None and result["outcome"] == "success", result
    assert result["alerts"] == {"raised": [], "resolved": []}
    assert huey.dequeue() is None
    assert _notices(trainer) == []
