"""Alerts on SQLite and PostgreSQL: each incident notifies the managers and the trainer once, in
their language, and once more when it clears; rules that keep firing stay quiet; two workers
ticking at once change nothing; what a sync engine records (a failed run, a connection needing
re-auth) is told by the alert engine alone, at the first check after it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from db.models import (
    AlertIncident,
    ConnectionStatus,
    IntegrationCredential,
    Notification,
    Role,
    RunOutcome,
    SyncFrequency,
    SyncTrigger,
    User,
)
from integrations.core.access import Actor
from integrations.google_calendar import sync
from integrations.monitoring import alerts
from integrations.processes import worker
from tests.support.health_rows import channel, connect, sync_run
from tests.support.times import at

NOW = at(2026, 3, 10, 10)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def dana(session: Session, people: dict[str, Actor]) -> str:
    """Dana, connected ten days ago, hourly sync; the manager reads English, Dana Hebrew."""
    trainer_id = people["trainer"].trainer_id
    assert trainer_id is not None
    manager = session.get(User, people["manager"].user_id)
    assert manager is not None
    manager.locale = "en"
    session.add(manager)
    session.commit()
    connect(session, trainer_id, at=NOW - timedelta(days=10))
    return trainer_id


def _failing(session: Session, trainer_id: str, *, last_at: datetime = NOW - 30 * MINUTE) -> None:
    """A good sync, then three failures in a row, the last at `last_at`."""
    sync_run(session, trainer_id, last_at - timedelta(hours=2))
    for back in (20, 10, 0):
        sync_run(session, trainer_id, last_at - back * MINUTE, RunOutcome.FAILED)


def _alerts(session: Session) -> list[Notification]:
    session.expire_all()
    return list(
        session.exec(
            select(Notification)
            .where(col(Notification.kind).startswith("alert:"))
            .order_by(col(Notification.kind), col(Notification.user_id))
        ).all()
    )


def _who(session: Session, notes: list[Notification]) -> set[str]:
    return {session.exec(select(User.email).where(User.id == note.user_id)).one() for note in notes}


def test_three_failed_syncs_in_a_row_alert_the_managers_and_that_trainer_in_their_language(
    session: Session, people: dict[str, Actor], dana: str
) -> None:
    _failing(session, dana)

    report = alerts.check_alerts(session, NOW)

    assert report.raised == [f"sync_failing:{dana}"]
    notes = _alerts(session)
    assert _who(session, notes) == {"boss@example.com", "dana@example.com"}
    by_user = {note.user_id: note for note in notes}
    english = by_user[people["manager"].user_id]
    hebrew = by_user[people["trainer"].user_id]
    assert english.title == "Google sync keeps failing: Dana"
    assert "The last 3 syncs failed" in english.body and "Google answered 503" in english.body
    assert english.link == "pages/health.py"
    assert hebrew.title == "הסנכרון עם Google נכשל שוב ושוב: Dana"
    assert hebrew.link == "pages/google_connection.py"
    assert {note.incident_key for note in notes} == {f"sync_failing:{dana}"}
    assert {note.trainer_id for note in notes} == {dana}


def test_a_sync_that_keeps_failing_sends_no_further_alerts(session: Session, dana: str) -> None:
    """The streak is also three hours without a good sync: that is the same trouble, not news."""
    _failing(session, dana)
    alerts.check_alerts(session, NOW)
    for minutes in (5, 15, 60, 180):
        sync_run(session, dana, NOW + (minutes - 4) * MINUTE, RunOutcome.FAILED)
        report = alerts.check_alerts(session, NOW + minutes * MINUTE)
        assert report.raised == [] and report.resolved == []
    assert len(_alerts(session)) == 2


def test_the_alert_is_resolved_once_when_syncing_works_again(session: Session, dana: str) -> None:
    _failing(session, dana)
    alerts.check_alerts(session, NOW)
    sync_run(session, dana, NOW + 10 * MINUTE)

    quiet = [
        alerts.check_alerts(session, NOW + 11 * MINUTE),
        alerts.check_alerts(session, NOW + 10 * MINUTE + alerts.RESOLVE_AFTER),
    ]
    resolved = alerts.check_alerts(session, NOW + 11 * MINUTE + alerts.RESOLVE_AFTER)
    later = [alerts.check_alerts(session, NOW + hours * timedelta(hours=1)) for hours in (1, 2)]

    assert [r.resolved for r in quiet] == [[], []]  # clear, but not for long enough yet
    assert resolved.resolved == [f"sync_failing:{dana}"]
    assert all(r.resolved == [] and r.raised == [] for r in later)
    notes = [n for n in _alerts(session) if n.kind.endswith(":resolved")]
    assert sorted(n.title for n in notes) == [
        "Resolved: Google sync keeps failing: Dana",
        "נפתר: הסנכרון עם Google נכשל שוב ושוב: Dana",
    ]
    assert any("21 minutes" in n.body for n in notes)
    assert len(_alerts(session)) == 4


def test_failing_again_soon_after_a_success_neither_resolves_nor_raises_again(
    session: Session, dana: str
) -> None:
    """A trainer pressing "Sync now" through a bad patch gets one alert, not one per streak."""
    _failing(session, dana)
    alerts.check_alerts(session, NOW)
    sync_run(session, dana, NOW + MINUTE)
    alerts.check_alerts(session, NOW + 2 * MINUTE)
    for minutes in (3, 4, 5):
        sync_run(session, dana, NOW + minutes * MINUTE, RunOutcome.FAILED)
    report = alerts.check_alerts(session, NOW + 9 * MINUTE)
    assert report.raised == [] and report.resolved == []
    assert alerts.check_alerts(session, NOW + 30 * MINUTE).resolved == []
    assert len(_alerts(session)) == 2


def test_a_new_incident_after_a_resolved_one_alerts_again(session: Session, dana: str) -> None:
    _failing(session, dana)
    alerts.check_alerts(session, NOW)
    sync_run(session, dana, NOW + MINUTE)
    alerts.check_alerts(session, NOW + 2 * MINUTE)
    alerts.check_alerts(session, NOW + 30 * MINUTE)
    _failing(session, dana, last_at=NOW + timedelta(hours=5))
    report = alerts.check_alerts(session, NOW + timedelta(hours=5, minutes=5))
    assert report.raised == [f"sync_failing:{dana}"]
    session.expire_all()
    incident = session.get(AlertIncident, f"sync_failing:{dana}")
    assert incident is not None and incident.occurrences == 2 and incident.is_open
    assert [n.kind for n in _alerts(session)].count("alert:sync_failing") == 4


def test_two_workers_that_evaluated_together_raise_the_alert_once(
    engine: Engine, session: Session, dana: str
) -> None:
    """Both saw the incident before either wrote: the store decides who tells."""
    _failing(session, dana)
    with Session(engine) as first, Session(engine) as second:
        seen_first = alerts.evaluate(first, NOW)
        seen_second = alerts.evaluate(second, NOW)
        reports = [
            alerts.apply(first, seen_first, NOW),
            alerts.apply(second, seen_second, NOW),
        ]
    assert sorted(len(r.raised) for r in reports) == [0, 1]
    assert len(_alerts(session)) == 2


def test_two_workers_that_evaluated_together_resolve_the_alert_once(
    engine: Engine, session: Session, dana: str
) -> None:
    _failing(session, dana)
    alerts.check_alerts(session, NOW)
    sync_run(session, dana, NOW + MINUTE)
    alerts.check_alerts(session, NOW + 2 * MINUTE)
    later = NOW + 2 * MINUTE + alerts.RESOLVE_AFTER
    with Session(engine) as first, Session(engine) as second:
        seen_first = alerts.evaluate(first, later)
        seen_second = alerts.evaluate(second, later)
        reports = [
            alerts.apply(first, seen_first, later),
            alerts.apply(second, seen_second, later),
        ]
    assert sorted(len(r.resolved) for r in reports) == [0, 1]
    assert len([n for n in _alerts(session) if n.kind.endswith(":resolved")]) == 2


def test_two_workers_ticking_at_the_same_moment_raise_the_alert_once(
    engine: Engine, session: Session, dana: str
) -> None:
    _failing(session, dana)
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def tick() -> None:
        try:
            with Session(engine) as own:
                start.wait(timeout=10)
                alerts.check_alerts(own, NOW)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert len(_alerts(session)) == 2


def test_the_third_failure_is_an_alert_at_the_first_check_after_it(
    session: Session, dana: str
) -> None:
    """No grace for anyone else to tell: the check the worker runs as the run ends raises it."""
    _failing(session, dana, last_at=NOW - timedelta(seconds=1))
    assert alerts.check_alerts(session, NOW).raised == [f"sync_failing:{dana}"]
    assert len(_alerts(session)) == 2


def test_a_check_of_one_trainer_raises_and_resolves_only_that_trainers_incidents(
    session: Session, people: dict[str, Actor], dana: str
) -> None:
    """What the worker runs as a sync of Dana ends: Yossi's failing streak waits for the tick,
    and his incident that cleared is not resolved by Dana's check either."""
    yossi = people["other_trainer"].trainer_id
    assert yossi is not None
    connect(session, yossi, at=NOW - timedelta(days=10))
    _failing(session, yossi, last_at=NOW - timedelta(hours=2))
    first = alerts.check_alerts(session, NOW - timedelta(hours=2) + MINUTE, trainer_id=yossi)
    assert first.raised == [f"sync_failing:{yossi}"]
    sync_run(session, yossi, NOW - timedelta(hours=1))
    assert alerts.check_alerts(session, NOW - timedelta(hours=1), trainer_id=yossi).resolved == []
    _failing(session, dana)

    report = alerts.check_alerts(session, NOW, trainer_id=dana)

    assert report.raised == [f"sync_failing:{dana}"] and report.resolved == []
    assert alerts.check_alerts(session, NOW, trainer_id=yossi).resolved == [f"sync_failing:{yossi}"]


def test_a_revoked_connection_is_announced_once_and_holds_back_failures_and_staleness(
    session: Session, dana: str
) -> None:
    """The sync engine records the state and tells nobody; the alert engine announces it once,
    nothing more is sent until it is reconnected, then one "resolved" notice goes to each
    person."""
    _failing(session, dana, last_at=NOW - timedelta(hours=5))
    credential = session.exec(
        select(IntegrationCredential).where(IntegrationCredential.trainer_id == dana)
    ).one()
    sync.mark_needs_reauth(session, credential, "Google refused to refresh the access")
    assert session.exec(select(Notification)).all() == []

    reports = [alerts.check_alerts(session, NOW + h * timedelta(hours=1)) for h in (0, 1, 24)]

    assert [r.raised for r in reports] == [[f"needs_reauth:{dana}"], [], []]
    assert [n.kind for n in _alerts(session)] == ["alert:needs_reauth"] * 2
    credential.status = ConnectionStatus.CONNECTED
    session.add(credential)
    session.commit()
    sync_run(session, dana, NOW + timedelta(hours=25))
    # Reconnecting is a deliberate fix: announced at the first check that sees it, not later.
    report = alerts.check_alerts(session, NOW + timedelta(hours=25, minutes=1))
    assert report.resolved == [f"needs_reauth:{dana}"]
    alerts.check_alerts(session, NOW + timedelta(hours=25, minutes=12))
    assert [n.kind for n in _alerts(session)] == ["alert:needs_reauth"] * 2 + [
        "alert:needs_reauth:resolved"
    ] * 2


def test_the_reauth_alert_is_written_in_each_readers_language(session: Session, dana: str) -> None:
    """The manager reads English, Dana Hebrew: one incident, a notice each, in their language,
    each linking to a page of their own role."""
    manager = session.exec(select(User).where(User.role == Role.MANAGER)).first()
    assert manager is not None
    manager.locale = "en"
    session.add(manager)
    trainer_user = session.exec(select(User).where(User.trainer_id == dana)).one()
    trainer_user.locale = "he"
    session.add(trainer_user)
    credential = session.exec(
        select(IntegrationCredential).where(IntegrationCredential.trainer_id == dana)
    ).one()
    sync.mark_needs_reauth(session, credential, "Google refused to refresh the access")
    alerts.check_alerts(session, NOW)
    notes = {n.user_id: n for n in _alerts(session)}
    english, hebrew = notes[manager.id], notes[trainer_user.id]
    assert english.title.startswith("Google Calendar needs reconnecting: ")
    # The manager is told the trainer must reconnect, not to reconnect on a page they lack.
    assert english.body.startswith("Google no longer accepts Dana's connection")
    assert "Dana has to reconnect" in english.body
    assert english.link == "pages/health.py"
    assert hebrew.title.startswith("נדרש חיבור מחדש ליומן Google: ")
    assert hebrew.body.startswith("Google כבר לא מקבל את החיבור הזה")
    assert hebrew.link == "pages/google_connection.py"


def test_a_connection_needing_reauth_that_nobody_announced_is_announced(
    session: Session, dana: str
) -> None:
    credential = session.exec(
        select(IntegrationCredential).where(IntegrationCredential.trainer_id == dana)
    ).one()
    credential.status = ConnectionStatus.NEEDS_REAUTH
    session.add(credential)
    session.commit()
    assert alerts.check_alerts(session, NOW).raised == [f"needs_reauth:{dana}"]
    assert [n.kind for n in _alerts(session)] == ["alert:needs_reauth"] * 2


@pytest.mark.parametrize(
    ("frequency", "quiet_for", "stale"),
    [
        (SyncFrequency.HOURLY, timedelta(hours=1, minutes=59), False),
        (SyncFrequency.HOURLY, timedelta(hours=2, minutes=1), True),
        (SyncFrequency.DAILY, timedelta(hours=47), False),
        (SyncFrequency.DAILY, timedelta(hours=49), True),
        (SyncFrequency.REALTIME, timedelta(hours=2, minutes=1), True),
    ],
    ids=["hourly-fresh", "hourly-stale", "daily-fresh", "daily-stale", "realtime-stale"],
)
def test_no_good_sync_within_twice_the_chosen_frequency_raises_an_alert(
    session: Session, people: dict[str, Actor], frequency: SyncFrequency, quiet_for: timedelta,
    stale: bool,
) -> None:  # fmt: skip
    trainer_id = people["trainer"].trainer_id
    assert trainer_id is not None
    connect(session, trainer_id, at=NOW - timedelta(days=10), frequency=frequency)
    sync_run(session, trainer_id, NOW - quiet_for, duration_ms=0)
    report = alerts.check_alerts(session, NOW)
    assert report.raised == ([f"sync_stale:{trainer_id}"] if stale else [])


def test_a_trainer_who_never_synced_is_stale_counting_from_the_connection(
    session: Session, dana: str
) -> None:
    assert alerts.check_alerts(session, NOW - timedelta(days=10) + 90 * MINUTE).raised == []
    assert alerts.check_alerts(session, NOW - timedelta(days=10) + 150 * MINUTE).raised == [
        f"sync_stale:{dana}"
    ]
    body = {n.body for n in _alerts(session) if "No sync has succeeded" in n.body}
    assert body == {"No sync has succeeded for 2 hours; one is expected at least every 1 hours."}


def test_a_trainer_who_turned_auto_sync_off_is_never_called_stale(
    session: Session, people: dict[str, Actor]
) -> None:
    trainer_id = people["trainer"].trainer_id
    assert trainer_id is not None
    connect(session, trainer_id, at=NOW - timedelta(days=10), auto_sync=False)
    assert alerts.check_alerts(session, NOW).raised == []


def _realtime(session: Session, people: dict[str, Actor]) -> str:
    trainer_id = people["trainer"].trainer_id
    assert trainer_id is not None
    connect(session, trainer_id, at=NOW - timedelta(days=10), frequency=SyncFrequency.REALTIME)
    for hours in (3, 2, 1):
        sync_run(session, trainer_id, NOW - hours * timedelta(hours=1) + 20 * MINUTE)
    return trainer_id


@pytest.mark.parametrize(
    ("expired_ago", "raised"), [(timedelta(hours=1), False), (timedelta(hours=3), True)]
)
def test_an_expired_push_channel_of_a_realtime_calendar_raises_an_alert_after_a_grace(
    session: Session, people: dict[str, Actor], expired_ago: timedelta, raised: bool
) -> None:
    trainer_id = _realtime(session, people)
    channel(session, trainer_id, created_at=NOW - timedelta(days=7), expires_at=NOW - expired_ago)
    report = alerts.check_alerts(session, NOW)
    assert report.raised == ([f"channel_down:{trainer_id}"] if raised else [])
    if raised:
        expected = alerts.text("alert.channel_down.expired", "he")
        assert [n.body for n in _alerts(session)] == [expected, expected]  # both read Hebrew


@pytest.mark.parametrize(
    ("polls", "trigger", "raised"),
    [
        (1, SyncTrigger.SCHEDULE, False),
        (2, SyncTrigger.SCHEDULE, True),
        (3, SyncTrigger.WEBHOOK, False),
    ],
    ids=["one-lost-push", "silent", "pushes-arrive"],
)
def test_a_silent_push_channel_is_reported_once_polling_finds_changes_it_never_announced(
    session: Session, people: dict[str, Actor], polls: int, trigger: SyncTrigger, raised: bool
) -> None:
    trainer_id = _realtime(session, people)
    channel(
        session,
        trainer_id,
        created_at=NOW - timedelta(days=2),
        expires_at=NOW + timedelta(days=5),
        last_notified_at=NOW - timedelta(hours=4),
    )
    for index in range(polls):
        sync_run(session, trainer_id, NOW - (index + 1) * 15 * MINUTE, trigger=trigger, changes=2)
    report = alerts.check_alerts(session, NOW)
    assert report.raised == ([f"channel_down:{trainer_id}"] if raised else [])


def test_an_hourly_calendar_is_not_expected_to_have_a_push_channel(
    session: Session, dana: str
) -> None:
    sync_run(session, dana, NOW - 30 * MINUTE)
    assert alerts.check_alerts(session, NOW).raised == []


def test_the_worker_checks_alerts_on_every_tick(
    database_url: str, session: Session, dana: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert worker.check_alerts in worker.TICK_HANDLERS
    _failing(session, dana)
    monkeypatch.setattr(worker, "TICK_HANDLERS", [worker.check_alerts])
    result = worker.run_tick_handlers(NOW)
    assert result["failed"] == []
    assert len(_alerts(session)) == 2


def test_a_single_unit_of_time_reads_in_the_singular() -> None:
    assert alerts._duration(timedelta(minutes=1), "he") == "דקה אחת"
    assert alerts._duration(timedelta(minutes=5), "en") == "5 minutes"
    assert alerts._duration(timedelta(hours=2, minutes=59), "en") == "2 hours"
    assert alerts._duration(timedelta(days=1), "en") == "24 hours"
    assert alerts._duration(timedelta(days=2), "he") == "2 ימים"
