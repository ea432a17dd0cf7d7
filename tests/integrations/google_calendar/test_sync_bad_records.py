"""One bad record never stops a trainer's syncs: every run ends with an outcome, a bad Google
event is cleaned or skipped (and logged), an unreadable token asks for reconnecting."""

from __future__ import annotations

from datetime import timedelta

from limits import RateLimitItemPerMinute
from sqlmodel import col, select

from db.models import (
    ConnectionStatus,
    IntegrationCredential,
    IntegrationLog,
    Notification,
    RunOutcome,
    SyncRun,
    SyncTrigger,
)
from integrations.core.access import Actor
from integrations.core.crypto import TokenCipher, generate_key
from integrations.core.ratelimit import RateLimiter
from integrations.core.retry import RetryPolicy
from integrations.google_calendar.sync import sync_google_calendar
from tests.support.google_world import JERUSALEM, NEXT_WEEK, Trainer, timed


def runs(trainer: Trainer) -> list[SyncRun]:
    trainer.session.expire_all()
    return list(
        trainer.session.exec(
            select(SyncRun)
            .where(SyncRun.trainer_id == trainer.id)
            .order_by(col(SyncRun.started_at))
        ).all()
    )


def skipped(trainer: Trainer) -> list[IntegrationLog]:
    return list(
        trainer.session.exec(
            select(IntegrationLog).where(IntegrationLog.event == "google_event_skipped")
        ).all()
    )


def test_a_google_title_with_a_nul_arrives_cleaned_and_later_syncs_still_run(
    trainer: Trainer,
) -> None:
    """PostgreSQL refuses NUL in text: the title is cleaned, not the run lost."""
    trainer.in_google(
        timed(
            NEXT_WEEK,
            summary="Dentist\x00 with\x07 Dr. Cohen",
            location="Clinic\x00\nfloor 2",
            description="Bring\x00 the forms\nand the card",
        )
    )
    trainer.in_google(timed(NEXT_WEEK + timedelta(hours=2), summary="Yoga"))
    first = trainer.sync()
    assert first.outcome is RunOutcome.SUCCESS, first.error
    assert first.created == 2
    dentist = next(e for e in trainer.local() if e.title.startswith("Dentist"))
    assert dentist.title == "Dentist with Dr. Cohen"
    assert dentist.location == "Clinic floor 2"
    assert dentist.description == "Bring the forms\nand the card"
    trainer.in_google(timed(NEXT_WEEK + timedelta(hours=4), summary="Massage"))
    second = trainer.sync()
    assert second.outcome is RunOutcome.SUCCESS, second.error
    assert sorted(e.title for e in trainer.local()) == [
        "Dentist with Dr. Cohen",
        "Massage",
        "Yoga",
    ]
    assert all(run.outcome is not RunOutcome.RUNNING for run in runs(trainer))


def test_a_google_event_at_the_end_of_year_9999_is_skipped_and_logged_the_rest_sync(
    trainer: Trainer,
) -> None:
    """23:00 UTC on 9999-12-31 is past the last datetime in Jerusalem: stored, it would break
    every view of the trainer's calendar; it is left out, logged with Google's id."""
    far = trainer.in_google(
        {
            "summary": "End of days",
            "start": {"dateTime": "9999-12-31T21:00:00Z"},
            "end": {"dateTime": "9999-12-31T23:00:00Z"},
        }
    )
    trainer.in_google(timed(NEXT_WEEK, summary="Dentist"))
    run = trainer.sync()
    assert run.outcome is RunOutcome.SUCCESS, run.error
    assert [e.title for e in trainer.local()] == ["Dentist"]
    for event in trainer.local():  # every stored event can be shown in the trainer's zone
        event.start_at.astimezone(JERUSALEM), event.end_at.astimezone(JERUSALEM)
    [logged] = skipped(trainer)
    assert logged.details is not None and logged.details["google_event_id"] == far["id"]
    assert logged.sync_run_id == run.id
    assert far["id"] in logged.message
    again = trainer.sync()
    assert again.outcome is RunOutcome.SUCCESS, again.error


def test_a_token_no_configured_key_can_read_asks_for_reconnecting(
    trainer: Trainer, people: dict[str, Actor]
) -> None:
    """The key that encrypted it was dropped: the run fails once, clearly, and says reconnect."""
    credential = trainer.session.exec(select(IntegrationCredential)).one()
    foreign = TokenCipher([generate_key()])
    credential.access_token_encrypted = foreign.encrypt("ya29.some-access-token")
    credential.refresh_token_encrypted = foreign.encrypt("1//some-refresh-token")
    trainer.session.add(credential)
    trainer.session.commit()
    run = trainer.sync()
    assert run.outcome is RunOutcome.FAILED
    assert run.error_kind == "needs_reauth"
    assert run.error is not None and "reconnect" in run.error
    trainer.session.refresh(credential)
    assert credential.status is ConnectionStatus.NEEDS_REAUTH
    assert credential.last_error is not None and "reconnect" in credential.last_error
    trainer.alerts_checked()
    told = {n.user_id for n in trainer.session.exec(select(Notification)).all()}
    assert told == {people["trainer"].user_id, people["manager"].user_id}
    assert "some-access-token" not in (run.error or "")
    assert all(r.outcome is not RunOutcome.RUNNING for r in runs(trainer))


def test_a_sync_broken_by_something_unforeseen_ends_failed_and_the_next_one_runs(
    trainer: Trainer,
) -> None:
    """The rate limiter's Redis is down: not a Google error, still an outcome, not 'running'."""
    trainer.in_google(timed(NEXT_WEEK, summary="Dentist"))
    broken = sync_google_calendar(
        trainer.id,
        trigger=SyncTrigger.MANUAL,
        session=trainer.session,
        settings=trainer.world.settings,
        cipher=trainer.world.cipher,
        limiter=RateLimiter(RateLimitItemPerMinute(100), storage_uri="redis://127.0.0.1:1/0"),
        retry=RetryPolicy(attempts=1, sleep=trainer.waits.append),
    )
    assert broken.outcome is RunOutcome.FAILED
    assert broken.error_kind == "internal"
    assert broken.finished_at is not None
    failed = trainer.session.exec(
        select(IntegrationLog).where(
            IntegrationLog.event == "sync_failed", IntegrationLog.sync_run_id == broken.id
        )
    ).all()
    assert len(failed) == 1
    good = trainer.sync()
    assert good.outcome is RunOutcome.SUCCESS, good.error
    assert [e.title for e in trainer.local()] == ["Dentist"]
    assert [r.outcome for r in runs(trainer)] == [RunOutcome.FAILED, RunOutcome.SUCCESS]


def test_three_unforeseen_failures_in_a_row_tell_the_trainer_and_managers(
    trainer: Trainer, people: dict[str, Actor]
) -> None:
    for _ in range(3):
        sync_google_calendar(
            trainer.id,
            trigger=SyncTrigger.SCHEDULE,
            session=trainer.session,
            settings=trainer.world.settings,
            cipher=trainer.world.cipher,
            limiter=RateLimiter(RateLimitItemPerMinute(100), storage_uri="redis://127.0.0.1:1/0"),
            retry=RetryPolicy(attempts=1, sleep=trainer.waits.append),
        )
        trainer.alerts_checked()
    told = {n.user_id for n in trainer.session.exec(select(Notification)).all()}
    assert told == {people["trainer"].user_id, people["manager"].user_id}
