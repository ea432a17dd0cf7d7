"""The sync engine against the emulator: both sides agree, quickly, without duplicates."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from limits import RateLimitItemPerMinute
from sqlmodel import col, select

from db.models import (
    CalendarEvent,
    ConnectionStatus,
    EventOrigin,
    IntegrationCredential,
    Notification,
    RunOutcome,
    SyncConflict,
    SyncRun,
    SyncState,
    SyncTrigger,
    utcnow,
)
from integrations.core.access import Actor
from integrations.core.ratelimit import RateLimiter
from integrations.crm import bookings
from integrations.google_calendar.status import update_google_calendar_sync_settings
from integrations.google_calendar.sync import sync_google_calendar
from tests.support.google_world import JERUSALEM, NEXT_WEEK, Trainer, timed


def test_google_events_appear_locally_and_crm_sessions_appear_in_google(trainer: Trainer) -> None:
    trainer.in_google(timed(NEXT_WEEK, summary="Dentist"))
    trainer.book("Personal training – Ron", NEXT_WEEK + timedelta(hours=3))
    run = trainer.sync()
    assert run.outcome is RunOutcome.SUCCESS, run.error
    assert (run.created, run.pushed) == (1, 1)
    assert sorted(e.title for e in trainer.local()) == ["Dentist", "Personal training – Ron"]
    assert sorted(e["summary"] for e in trainer.google()) == ["Dentist", "Personal training – Ron"]
    pushed = next(e for e in trainer.google() if e["summary"].startswith("Personal"))
    crm = next(e for e in trainer.local() if e.origin is EventOrigin.CRM)
    assert pushed["id"] == crm.id  # a client-chosen id: a retried insert cannot duplicate
    assert pushed["extendedProperties"]["private"]["newym_event_id"] == crm.id
    assert all(e.sync_state is SyncState.SYNCED for e in trainer.local())


def test_a_quiet_second_sync_changes_nothing_and_costs_one_request(trainer: Trainer) -> None:
    trainer.in_google(timed(NEXT_WEEK, summary="Dentist"))
    trainer.sync()
    before = trainer.world.http_requests(trainer.email)
    run = trainer.sync()
    assert (run.created, run.updated, run.deleted, run.pushed) == (0, 0, 0, 0)
    assert run.http_requests == 1
    assert trainer.world.http_requests(trainer.email) - before == 1


def test_changes_and_deletions_in_google_arrive_incrementally(trainer: Trainer) -> None:
    moved = trainer.in_google(timed(NEXT_WEEK, summary="Pilates"))
    gone = trainer.in_google(timed(NEXT_WEEK + timedelta(days=1), summary="Cancelled class"))
    trainer.sync()
    trainer.change_in_google(
        moved["id"], {"summary": "Pilates (moved)", **timed(NEXT_WEEK + timedelta(hours=2))}
    )
    trainer.delete_in_google(gone["id"])
    run = trainer.sync()
    assert (run.updated, run.deleted) == (1, 1)
    [event] = trainer.local()
    assert event.title == "Pilates (moved)"
    assert event.start_at == (NEXT_WEEK + timedelta(hours=2)).astimezone(UTC)


def test_an_expired_sync_token_triggers_a_full_sync_that_reconciles_deletions(
    trainer: Trainer,
) -> None:
    kept = trainer.in_google(timed(NEXT_WEEK, summary="Kept"))
    removed = trainer.in_google(timed(NEXT_WEEK + timedelta(days=1), summary="Removed"))
    trainer.sync()
    trainer.world.control(
        "POST", "/_emulator/calendar/expire-sync-tokens", json={"email": trainer.email}
    )
    trainer.world.control(
        "DELETE", f"/_emulator/calendar/events/{removed['id']}", params={"email": trainer.email}
    )
    run = trainer.sync()
    assert run.outcome is RunOutcome.SUCCESS, run.error
    assert [e.google_event_id for e in trainer.local()] == [kept["id"]]
    assert len({e.google_event_id for e in trainer.local()}) == len(
        trainer.local()
    )  # no duplicates


def test_all_day_events_stay_dates_and_timed_events_keep_their_zone(trainer: Trainer) -> None:
    day = (NEXT_WEEK + timedelta(days=2)).date()
    trainer.in_google(
        {
            "summary": "Holiday",
            "start": {"date": day.isoformat()},
            "end": {"date": (day + timedelta(days=1)).isoformat()},
        }
    )
    trainer.in_google(timed(datetime(2027, 3, 28, 7, 0, tzinfo=JERUSALEM), summary="After DST"))
    trainer.sync()
    events = {e.title: e for e in trainer.local()}
    holiday = events["Holiday"]
    assert holiday.all_day
    assert holiday.start_at.astimezone(JERUSALEM).date() == day
    assert holiday.end_at.astimezone(JERUSALEM).date() == day + timedelta(days=1)
    after = events["After DST"].start_at.astimezone(JERUSALEM)
    assert (after.hour, after.utcoffset()) == (7, timedelta(hours=3))
    # And back: editing the holiday locally keeps it a date in Google.
    bookings.update_booking(
        trainer.actor, holiday.id, {"title": "Holiday!"}, session=trainer.session
    )
    trainer.sync()
    google = next(e for e in trainer.google() if e["summary"] == "Holiday!")
    assert google["start"] == {"date": day.isoformat()}


def test_local_changes_and_deletions_reach_google(trainer: Trainer) -> None:
    session_a = trainer.book("Morning run", NEXT_WEEK)
    session_b = trainer.book("Evening run", NEXT_WEEK + timedelta(hours=10))
    trainer.sync()
    bookings.update_booking(
        trainer.actor,
        session_a.id,
        {"title": "Morning run (longer)", "end_at": NEXT_WEEK + timedelta(minutes=90)},
        session=trainer.session,
    )
    bookings.delete_booking(trainer.actor, session_b.id, session=trainer.session)
    run = trainer.sync()
    assert run.pushed == 2
    [google] = trainer.google()
    assert google["summary"] == "Morning run (longer)"


def test_both_sides_changed_the_most_recent_wins_and_both_versions_are_kept(
    trainer: Trainer,
) -> None:
    event = trainer.book("Yoga", NEXT_WEEK)
    trainer.sync()
    trainer.change_in_google(event.id, {"summary": "Yoga (Google)"})
    bookings.update_booking(
        trainer.actor, event.id, {"title": "Yoga (CRM, later)"}, session=trainer.session
    )
    run = trainer.sync()
    assert run.conflicts == 1
    [conflict] = trainer.session.exec(select(SyncConflict)).all()
    assert conflict.winner == "local"
    assert conflict.google_version["summary"] == "Yoga (Google)"
    assert conflict.local_version["summary"] == "Yoga (CRM, later)"
    assert [e["summary"] for e in trainer.google()] == ["Yoga (CRM, later)"]
    assert [e.title for e in trainer.local()] == ["Yoga (CRM, later)"]


def test_a_lost_insert_answer_does_not_duplicate_on_the_next_run(trainer: Trainer) -> None:
    """The worker died after Google stored the event but before we recorded the link."""
    event = trainer.book("Boxing", NEXT_WEEK)
    trainer.sync()
    stored = trainer.session.get(CalendarEvent, event.id)
    assert stored is not None
    stored.google_event_id, stored.google_etag, stored.sync_state = None, None, SyncState.LOCAL_ONLY
    trainer.session.add(stored)
    trainer.session.commit()
    run = trainer.sync()
    assert run.outcome is RunOutcome.SUCCESS, run.error
    assert [e["summary"] for e in trainer.google()] == ["Boxing"]
    assert [e.google_event_id for e in trainer.local()] == [event.id]


def test_from_google_never_writes_to_google(trainer: Trainer) -> None:
    update_google_calendar_sync_settings(
        trainer.actor, trainer.id, {"syncDirection": "from_google"}, session=trainer.session
    )
    trainer.book("Local only", NEXT_WEEK)
    trainer.in_google(timed(NEXT_WEEK, summary="From Google"))
    trainer.sync()
    assert [e["summary"] for e in trainer.google()] == ["From Google"]
    assert sorted(e.title for e in trainer.local()) == ["From Google", "Local only"]


def test_to_google_never_imports_googles_changes(trainer: Trainer) -> None:
    update_google_calendar_sync_settings(
        trainer.actor, trainer.id, {"syncDirection": "to_google"}, session=trainer.session
    )
    trainer.book("Ours", NEXT_WEEK)
    trainer.in_google(timed(NEXT_WEEK, summary="Theirs"))
    trainer.sync()
    assert sorted(e["summary"] for e in trainer.google()) == ["Ours", "Theirs"]
    assert [e.title for e in trainer.local()] == ["Ours"]


def test_transient_failures_are_retried_and_the_run_succeeds(trainer: Trainer) -> None:
    trainer.in_google(timed(NEXT_WEEK, summary="Dentist"))
    trainer.fault(kind="error", status=503, times=2, method="GET")
    trainer.fault(kind="error", status=429, times=1, retryAfter=1, method="GET")
    run = trainer.sync()
    assert run.outcome is RunOutcome.SUCCESS, run.error
    assert len(trainer.waits) == 3
    assert run.rate_limited == 1
    assert [e.title for e in trainer.local()] == ["Dentist"]


def test_quota_exhaustion_is_not_retried_and_is_recorded(trainer: Trainer) -> None:
    trainer.fault(kind="error", status=403, reason="quotaExceeded", times=1, method="GET")
    run = trainer.sync()
    assert run.outcome is RunOutcome.FAILED
    assert run.error_kind == "quota_exceeded"
    assert trainer.waits == []


def test_a_revoked_grant_needs_reauth_notifies_and_stops_without_retrying(
    trainer: Trainer, people: dict[str, Actor]
) -> None:
    credential = trainer.session.exec(select(IntegrationCredential)).one()
    credential.token_expires_at = utcnow() - timedelta(minutes=1)  # force a refresh
    trainer.session.add(credential)
    trainer.session.commit()
    trainer.world.control("POST", "/_emulator/revoke-account", json={"email": trainer.email})
    run = trainer.sync()
    assert run.outcome is RunOutcome.FAILED and run.error_kind == "needs_reauth"
    assert trainer.waits == []
    trainer.session.refresh(credential)
    assert credential.status is ConnectionStatus.NEEDS_REAUTH
    assert trainer.alerts_checked()["raised"] == [f"needs_reauth:{trainer.id}"]
    told = {n.user_id for n in trainer.session.exec(select(Notification)).all()}
    assert told == {people["trainer"].user_id, people["manager"].user_id}
    again = trainer.sync()  # no loop: the next attempt stops before calling Google
    assert again.outcome is RunOutcome.FAILED and again.http_requests == 0
    assert trainer.alerts_checked()["raised"] == []
    assert len(trainer.session.exec(select(Notification)).all()) == 2  # one per incident


def test_an_expired_access_token_is_refreshed_and_kept(trainer: Trainer) -> None:
    credential = trainer.session.exec(select(IntegrationCredential)).one()
    old = credential.access_token_encrypted
    credential.token_expires_at = utcnow() - timedelta(minutes=1)
    trainer.session.add(credential)
    trainer.session.commit()
    run = trainer.sync()
    assert run.outcome is RunOutcome.SUCCESS, run.error
    trainer.session.refresh(credential)
    assert credential.access_token_encrypted != old
    assert credential.token_expires_at is not None and credential.token_expires_at > utcnow()


def test_a_full_sync_pages_at_2500(trainer: Trainer) -> None:
    trainer.world.control(
        "POST",
        "/_emulator/calendar/seed",
        json={
            "email": trainer.email,
            "generate": 5200,
            "generateStart": NEXT_WEEK.isoformat(),
        },
    )
    run = trainer.sync()
    assert run.outcome is RunOutcome.SUCCESS, run.error
    assert run.fetched == 5200 and run.created == 5200
    assert run.http_requests == math.ceil(5200 / 2500) + 1  # the pages, then one watch call
    assert len(trainer.local()) == 5200


def test_pushing_many_sessions_uses_batches_of_50(trainer: Trainer) -> None:
    for index in range(120):
        trainer.book(f"Session {index}", NEXT_WEEK + timedelta(hours=index))
    run = trainer.sync()
    assert run.pushed == 120
    assert run.http_requests == 1 + math.ceil(120 / 50) + 1  # list, batches, watch
    assert len(trainer.google()) == 120


def test_a_trainer_overrides_a_conflict_and_both_sides_follow(trainer: Trainer) -> None:
    from integrations.google_calendar.conflicts import list_conflicts, resolve_conflict

    event = trainer.book("Spinning", NEXT_WEEK)
    trainer.sync()
    trainer.change_in_google(event.id, {"summary": "Spinning (Google)"})
    bookings.update_booking(
        trainer.actor, event.id, {"title": "Spinning (CRM)"}, session=trainer.session
    )
    trainer.sync()
    [conflict] = list_conflicts(trainer.actor, trainer.id, session=trainer.session)
    assert (conflict.winner, conflict.resolved_by) == ("local", "rule")
    resolve_conflict(trainer.actor, conflict.id, "google", session=trainer.session)
    trainer.sync()
    assert [e.title for e in trainer.local()] == ["Spinning (Google)"]
    assert [e["summary"] for e in trainer.google()] == ["Spinning (Google)"]
    [after] = list_conflicts(trainer.actor, trainer.id, session=trainer.session)
    assert (after.winner, after.resolved_by) == ("google", "trainer")


def test_another_trainer_cannot_see_or_override_conflicts(
    trainer: Trainer, people: dict[str, Actor]
) -> None:
    from integrations.core.errors import AccessDenied, NotFound
    from integrations.google_calendar.conflicts import list_conflicts, resolve_conflict

    event = trainer.book("Spinning", NEXT_WEEK)
    trainer.sync()
    trainer.change_in_google(event.id, {"summary": "Spinning (Google)"})
    bookings.update_booking(
        trainer.actor, event.id, {"title": "Spinning (CRM)"}, session=trainer.session
    )
    trainer.sync()
    [conflict] = list_conflicts(trainer.actor, trainer.id, session=trainer.session)
    other = people["other_trainer"]
    with pytest.raises(AccessDenied):
        list_conflicts(other, trainer.id, session=trainer.session)
    with pytest.raises(NotFound):
        resolve_conflict(other, conflict.id, "google", session=trainer.session)


def test_a_recurring_series_with_a_moved_and_a_cancelled_session_is_kept_right(
    trainer: Trainer,
) -> None:
    start = datetime(2027, 1, 4, 18, 0, tzinfo=JERUSALEM)  # a Monday
    series = trainer.in_google(
        timed(start, summary="Group class", recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"])
    )
    trainer.sync()
    local = sorted(trainer.local(), key=lambda e: e.start_at)
    assert [e.start_at.astimezone(JERUSALEM).day for e in local] == [4, 11, 18, 25]
    assert {e.recurring_event_id for e in local} == {series["id"]}
    second, third = local[1].google_event_id or "", local[2].google_event_id or ""
    trainer.change_in_google(
        second, timed(start + timedelta(days=8), summary="Group class (Tuesday)")
    )
    trainer.delete_in_google(third)
    run = trainer.sync()
    assert run.outcome is RunOutcome.SUCCESS, run.error
    after = sorted(trainer.local(), key=lambda e: e.start_at)
    assert [(e.title, e.start_at.astimezone(JERUSALEM).day) for e in after] == [
        ("Group class", 4),
        ("Group class (Tuesday)", 12),
        ("Group class", 25),
    ]


def test_a_401_mid_sync_refreshes_the_token_once_and_carries_on(trainer: Trainer) -> None:
    credential = trainer.session.exec(select(IntegrationCredential)).one()
    old = credential.access_token_encrypted
    trainer.in_google(timed(NEXT_WEEK, summary="After refresh"))
    trainer.fault(kind="error", status=401, times=1, method="GET")
    run = trainer.sync()
    assert run.outcome is RunOutcome.SUCCESS, run.error
    assert [e.title for e in trainer.local()] == ["After refresh"]
    trainer.session.refresh(credential)
    assert credential.access_token_encrypted != old  # the new token is kept for next time


class WorkerKilled(BaseException):
    """Stands for SIGKILL: not an Exception, so nothing in the engine can catch it."""


def test_a_run_killed_half_way_loses_nothing_and_the_next_one_converges(trainer: Trainer) -> None:
    trainer.world.control(
        "POST",
        "/_emulator/calendar/seed",
        json={
            "email": trainer.email,
            "generate": 30,
            "generateStart": NEXT_WEEK.isoformat(),
        },
    )
    for index in range(3):
        trainer.book(f"Local {index}", NEXT_WEEK + timedelta(days=index))
    trainer.world.control("POST", "/_emulator/calendar/paging", json={"maxItemsPerPage": 10})
    calls = 0

    class DyingLimiter(RateLimiter):
        def acquire(self, key: str) -> None:
            nonlocal calls
            calls += 1
            if calls == 3:  # after two pages were fetched and committed
                raise WorkerKilled

    try:
        with pytest.raises(WorkerKilled):
            sync_google_calendar(
                trainer.id,
                trigger=SyncTrigger.SCHEDULE,
                session=trainer.session,
                settings=trainer.world.settings,
                cipher=trainer.world.cipher,
                limiter=DyingLimiter(RateLimitItemPerMinute(100_000)),
            )
        trainer.session.rollback()
        assert len(trainer.local()) == 3 + 20  # what was committed before the kill stays
        healed = trainer.sync()
    finally:
        trainer.world.control("POST", "/_emulator/calendar/paging", json={"maxItemsPerPage": 2500})
    assert healed.outcome is RunOutcome.SUCCESS, healed.error
    local = trainer.local()
    assert len(local) == 33 and len({e.google_event_id for e in local}) == 33
    assert len(trainer.google()) == 33
    runs = trainer.session.exec(select(SyncRun).order_by(col(SyncRun.started_at))).all()
    assert [r.outcome for r in runs] == [RunOutcome.FAILED, RunOutcome.SUCCESS]
    assert runs[0].error_kind == "interrupted"


def test_three_failed_runs_in_a_row_tell_the_trainer_and_the_managers_once(
    trainer: Trainer, people: dict[str, Actor]
) -> None:
    trainer.fault(kind="error", status=403, reason="quotaExceeded", times=5, method="GET")
    outcomes, told = [], []
    for _ in range(5):
        outcomes.append(trainer.sync().outcome)
        trainer.alerts_checked()
        told.append(len(trainer.session.exec(select(Notification)).all()))
    assert outcomes == [RunOutcome.FAILED] * 5
    assert told == [0, 0, 2, 2, 2]  # as the third failure ends, then no more
    notes = trainer.session.exec(
        select(Notification).where(Notification.kind == "alert:sync_failing")
    ).all()
    assert sorted(n.user_id for n in notes) == sorted(
        [people["trainer"].user_id, people["manager"].user_id]
    )
    links = {n.user_id: n.link for n in notes}
    assert links == {
        people["trainer"].user_id: "pages/google_connection.py",
        people["manager"].user_id: "pages/health.py",
    }
