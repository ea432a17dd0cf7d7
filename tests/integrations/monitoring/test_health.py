"""Integration health as a manager sees it, on SQLite and PostgreSQL: the specification's
`checkIntegrationHealth`, the page's tiles and charts, the error log, the drill-down and the CSV."""

from __future__ import annotations

import csv
import io
import itertools
import statistics
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session

from db.models import (
    ConnectionStatus,
    Integration,
    LogLevel,
    Role,
    RunOutcome,
    Trainer,
)
from integrations.core.access import Actor
from integrations.core.errors import AccessDenied, InvalidInput, NotFound
from integrations.crm import accounts
from integrations.monitoring import health
from integrations.monitoring.health import ErrorLogFilter
from tests.support.health_rows import channel, connect, log_line, sync_run
from tests.support.times import at

ZONE = "Asia/Jerusalem"
# A winter noon in Israel (UTC+2); summer time starts on Friday 27 March 2026.
NOW = at(2026, 3, 10, 10)


def _trainer(people: dict[str, Actor], key: str = "trainer") -> str:
    trainer_id = people[key].trainer_id
    assert trainer_id is not None
    return trainer_id


def _add_trainer(session: Session, name: str) -> str:
    trainer = Trainer(name=name, email=f"{name.lower()}@example.com")
    session.add(trainer)
    session.commit()
    return trainer.id


# --- Access --------------------------------------------------------------------------------

CALLS: dict[str, Callable[[Actor, Session], Any]] = {
    "check_integration_health": lambda a, s: health.check_integration_health(
        a, "google_calendar", session=s
    ),
    "integration_tiles": lambda a, s: health.integration_tiles(a, session=s),
    "run_series": lambda a, s: health.run_series(a, "24h", session=s, zone=ZONE),
    "errors_by_kind": lambda a, s: health.errors_by_kind(a, "24h", session=s, zone=ZONE),
    "channel_outlook": lambda a, s: health.channel_outlook(a, session=s, zone=ZONE),
    "trainer_freshness": lambda a, s: health.trainer_freshness(a, session=s),
    "open_alerts": lambda a, s: health.open_alerts(a, session=s),
    "error_log": lambda a, s: health.error_log(a, ErrorLogFilter(), session=s),
    "export": lambda a, s: health.export_error_log_csv(a, ErrorLogFilter(), session=s, zone=ZONE),
    "run_detail": lambda a, s: health.run_detail(a, "no-such-run", session=s),
    "trainer_choices": lambda a, s: health.trainer_choices(a, session=s),
}


@pytest.mark.parametrize("role", ["staff", "trainer"])
@pytest.mark.parametrize("call", list(CALLS))
def test_only_managers_may_look_at_integration_health(
    session: Session, people: dict[str, Actor], role: str, call: str
) -> None:
    with pytest.raises(AccessDenied):
        CALLS[call](people[role], session)


def test_a_manager_may_use_every_health_view(session: Session, people: dict[str, Actor]) -> None:
    for name, call in CALLS.items():
        if name == "run_detail":
            with pytest.raises(NotFound):
                call(people["manager"], session)
        else:
            call(people["manager"], session)


# --- checkIntegrationHealth and tiles ------------------------------------------------------


def test_google_calendar_health_has_the_specification_shape(
    session: Session, people: dict[str, Actor]
) -> None:
    trainer_id = _trainer(people)
    connect(session, trainer_id, at=NOW - timedelta(days=3))
    good = sync_run(session, trainer_id, NOW - timedelta(hours=2))
    sync_run(session, trainer_id, NOW - timedelta(hours=30), RunOutcome.FAILED)  # too old to count
    sync_run(session, trainer_id, NOW - timedelta(hours=1), RunOutcome.FAILED)
    sync_run(session, trainer_id, NOW - timedelta(minutes=30))
    log_line(session, NOW - timedelta(minutes=5), "token refresh failed", trainer_id=trainer_id)
    log_line(session, NOW - timedelta(minutes=4), "slow answer", level=LogLevel.WARNING)

    found = health.check_integration_health(
        people["manager"], "google_calendar", session=session, now=NOW
    )

    spec = found.as_spec()
    assert set(spec) == {"name", "status", "lastSync", "errorCount"}
    assert spec["name"] == "google_calendar"
    assert spec["status"] == "connected"
    assert spec["lastSync"] == NOW - timedelta(minutes=30) + timedelta(seconds=1)
    assert spec["lastSync"] > (good.finished_at or NOW)
    assert spec["errorCount"] == 2  # the failed run of the last day and the error line


def test_a_connection_that_needs_reconnecting_puts_google_calendar_in_error(
    session: Session, people: dict[str, Actor]
) -> None:
    connect(session, _trainer(people), at=NOW - timedelta(days=3))
    connect(
        session,
        _trainer(people, "other_trainer"),
        at=NOW - timedelta(days=3),
        status=ConnectionStatus.NEEDS_REAUTH,
    )
    found = health.check_integration_health(
        people["manager"], "google_calendar", session=session, now=NOW
    )
    assert found.status is health.Status.ERROR


def test_a_connected_trainer_whose_last_sync_failed_puts_google_calendar_in_error(
    session: Session, people: dict[str, Actor]
) -> None:
    trainer_id = _trainer(people)
    connect(session, trainer_id, at=NOW - timedelta(days=3))
    sync_run(session, trainer_id, NOW - timedelta(hours=2))
    sync_run(session, trainer_id, NOW - timedelta(hours=1), RunOutcome.FAILED)
    found = health.check_integration_health(
        people["manager"], "google_calendar", session=session, now=NOW
    )
    assert found.status is health.Status.ERROR
    sync_run(session, trainer_id, NOW - timedelta(minutes=10))
    again = health.check_integration_health(
        people["manager"], "google_calendar", session=session, now=NOW
    )
    assert again.status is health.Status.CONNECTED


def test_without_any_google_connection_google_calendar_is_disconnected(
    session: Session, people: dict[str, Actor]
) -> None:
    found = health.check_integration_health(
        people["manager"], "google_calendar", session=session, now=NOW
    )
    assert found.as_spec() == {
        "name": "google_calendar",
        "status": "disconnected",
        "lastSync": None,
        "errorCount": 0,
    }


@pytest.mark.parametrize("name", ["email", "sms", "payments"])
def test_integrations_not_built_yet_say_so_instead_of_pretending(
    session: Session, people: dict[str, Actor], name: str
) -> None:
    found = health.check_integration_health(people["manager"], name, session=session)
    assert found.configured is False
    assert found.status is health.Status.DISCONNECTED
    assert found.last_sync is None and found.error_count == 0


def test_an_unknown_integration_is_refused_by_name(
    session: Session, people: dict[str, Actor]
) -> None:
    with pytest.raises(InvalidInput, match="no integration 'fax'"):
        health.check_integration_health(people["manager"], "fax", session=session)


def test_tiles_count_trainers_by_connection_status(
    session: Session, people: dict[str, Actor]
) -> None:
    connect(session, _trainer(people), at=NOW - timedelta(days=3))
    connect(
        session,
        _trainer(people, "other_trainer"),
        at=NOW - timedelta(days=3),
        status=ConnectionStatus.NEEDS_REAUTH,
    )
    _add_trainer(session, "Noa")  # never connected
    tiles = health.integration_tiles(people["manager"], session=session, now=NOW)
    assert [tile.health.name for tile in tiles] == ["google_calendar", "email", "sms", "payments"]
    google = tiles[0]
    assert google.by_status == {
        "connected": 1,
        "needs_reauth": 1,
        "disconnected": 0,
        "error": 0,
        "not_connected": 1,
    }
    assert [tile.health.configured for tile in tiles] == [True, False, False, False]


def test_tiles_leave_out_people_who_no_longer_work_as_trainers(
    session: Session, people: dict[str, Actor]
) -> None:
    """A trainer who became staff and was then turned off, and a connected trainer whose access
    was turned off, keep their rows but are no trainer anyone must connect or fix."""
    connect(session, _trainer(people), at=NOW - timedelta(days=3))
    moved = accounts.change_role(
        people["manager"], people["other_trainer"].user_id, Role.STAFF, session=session
    )
    accounts.set_user_active(people["manager"], moved.id, False, session=session)
    left = accounts.add_user("gone@example.com", Role.TRAINER, session=session, name="Gone")
    assert left.trainer_id is not None
    connect(session, left.trainer_id, at=NOW - timedelta(days=3), status=ConnectionStatus.ERROR)
    accounts.set_user_active(people["manager"], left.id, False, session=session)
    _add_trainer(session, "Noa")  # in the CRM without a login, never connected
    google = health.integration_tiles(people["manager"], session=session, now=NOW)[0]
    assert google.by_status == {
        "connected": 1,
        "needs_reauth": 0,
        "disconnected": 0,
        "error": 0,
        "not_connected": 1,
    }


# --- Charts --------------------------------------------------------------------------------


def test_runs_over_a_day_are_counted_by_outcome_per_hour(
    session: Session, people: dict[str, Actor]
) -> None:
    trainer_id = _trainer(people)
    sync_run(session, trainer_id, NOW - timedelta(hours=3, minutes=50))  # 06:10 UTC
    sync_run(session, trainer_id, NOW - timedelta(hours=3, minutes=10), RunOutcome.FAILED)
    sync_run(session, trainer_id, NOW - timedelta(hours=3, minutes=5), RunOutcome.PARTIAL)
    sync_run(session, trainer_id, NOW - timedelta(minutes=5), RunOutcome.RUNNING)
    sync_run(session, trainer_id, NOW - timedelta(hours=25))  # outside the window

    series = health.run_series(people["manager"], "24h", session=session, zone=ZONE, now=NOW)

    assert series.granularity is health.Granularity.HOUR
    assert len(series.buckets) == 24
    assert series.buckets[0].start == at(2026, 3, 9, 11)
    assert series.buckets[-1].start == at(2026, 3, 10, 10)
    by_start = {bucket.start: bucket for bucket in series.buckets}
    six = by_start[at(2026, 3, 10, 6)]
    assert (six.success, six.partial, six.failed, six.running) == (1, 1, 1, 0)
    assert by_start[at(2026, 3, 10, 9)].running == 1
    assert sum(b.success + b.failed + b.partial + b.running for b in series.buckets) == 4


def test_days_are_israel_days_not_utc_days(session: Session, people: dict[str, Actor]) -> None:
    """23:30 UTC is already the next morning in Israel: the run belongs to the next day."""
    trainer_id = _trainer(people)
    sync_run(session, trainer_id, at(2026, 3, 8, 23, 30))  # 01:30 on 9 March in Israel
    sync_run(session, trainer_id, at(2026, 3, 8, 21, 30))  # 23:30 on 8 March in Israel

    series = health.run_series(people["manager"], "7d", session=session, zone=ZONE, now=NOW)

    assert [b.start for b in series.buckets][-3:] == [
        at(2026, 3, 7, 22),
        at(2026, 3, 8, 22),
        at(2026, 3, 9, 22),
    ]
    counts = {b.start: b.success for b in series.buckets}
    assert counts[at(2026, 3, 7, 22)] == 1
    assert counts[at(2026, 3, 8, 22)] == 1


def test_a_day_when_the_clocks_go_forward_lasts_23_hours() -> None:
    window = health.WINDOWS["7d"]
    edges = health.bucket_edges(window, at(2026, 3, 29, 12), ZONE)
    lengths = [b - a for a, b in itertools.pairwise(edges)]
    assert timedelta(hours=23) in lengths
    assert edges[-1] == at(2026, 3, 28, 21)  # midnight of 29 March, Israel summer time


def test_sync_duration_percentiles_interpolate_like_percentile_cont(
    session: Session, people: dict[str, Actor]
) -> None:
    """The same p50 and p95 on SQLite (window functions) as PostgreSQL's percentile_cont."""
    trainer_id = _trainer(people)
    durations = [37, 5, 1200, 80, 80, 15000, 210, 95, 64, 3300, 12]
    for minute, duration in enumerate(durations):
        sync_run(session, trainer_id, at(2026, 3, 10, 8, minute), duration_ms=duration)
    sync_run(session, trainer_id, at(2026, 3, 10, 7, 1), duration_ms=400)
    sync_run(session, trainer_id, at(2026, 3, 10, 6, 1), duration_ms=100)
    sync_run(session, trainer_id, at(2026, 3, 10, 6, 2), duration_ms=200)
    sync_run(session, trainer_id, at(2026, 3, 10, 6, 3), duration_ms=None)

    series = health.run_series(people["manager"], "24h", session=session, zone=ZONE, now=NOW)

    by_start = {bucket.start: bucket for bucket in series.buckets}
    eight = by_start[at(2026, 3, 10, 8)]
    cuts = statistics.quantiles(durations, n=100, method="inclusive")
    assert eight.p50_ms == pytest.approx(statistics.median(durations))
    assert eight.p95_ms == pytest.approx(cuts[94])
    assert (by_start[at(2026, 3, 10, 7)].p50_ms, by_start[at(2026, 3, 10, 7)].p95_ms) == (
        400,
        400,
    )
    six = by_start[at(2026, 3, 10, 6)]
    assert six.p50_ms == pytest.approx(150)
    assert six.p95_ms == pytest.approx(195)
    assert by_start[at(2026, 3, 10, 5)].p50_ms is None


def test_google_requests_and_rate_limit_hits_are_summed_per_bucket(
    session: Session, people: dict[str, Actor]
) -> None:
    trainer_id = _trainer(people)
    other = _trainer(people, "other_trainer")
    sync_run(session, trainer_id, at(2026, 3, 10, 8, 5), http_requests=12, rate_limited=2)
    sync_run(session, other, at(2026, 3, 10, 8, 45), http_requests=30, rate_limited=0)
    sync_run(session, other, at(2026, 3, 10, 9, 1), RunOutcome.FAILED, http_requests=4)
    series = health.run_series(people["manager"], "24h", session=session, zone=ZONE, now=NOW)
    by_start = {bucket.start: bucket for bucket in series.buckets}
    assert (
        by_start[at(2026, 3, 10, 8)].http_requests,
        by_start[at(2026, 3, 10, 8)].rate_limited,
    ) == (
        42,
        2,
    )
    assert by_start[at(2026, 3, 10, 9)].http_requests == 4
    assert sum(b.http_requests for b in series.buckets) == 46


def test_an_unknown_window_is_refused(session: Session, people: dict[str, Actor]) -> None:
    with pytest.raises(InvalidInput):
        health.run_series(people["manager"], "1y", session=session, zone=ZONE)


def test_errors_are_counted_by_kind_most_frequent_first(
    session: Session, people: dict[str, Actor]
) -> None:
    trainer_id = _trainer(people)
    for minute in range(3):
        sync_run(
            session, trainer_id, NOW - timedelta(hours=1, minutes=minute), RunOutcome.FAILED,
            error_kind="rate_limited",
        )  # fmt: skip
    sync_run(session, trainer_id, NOW - timedelta(hours=2), RunOutcome.FAILED, error_kind="gone")
    sync_run(
        session, trainer_id, NOW - timedelta(days=2), RunOutcome.FAILED, error_kind="forbidden"
    )
    sync_run(session, trainer_id, NOW - timedelta(hours=3))
    kinds = health.errors_by_kind(people["manager"], "24h", session=session, zone=ZONE, now=NOW)
    assert [(k.kind, k.count) for k in kinds] == [("rate_limited", 3), ("gone", 1)]
    week = health.errors_by_kind(people["manager"], "7d", session=session, zone=ZONE, now=NOW)
    assert ("forbidden", 1) in [(k.kind, k.count) for k in week]


def test_channels_expiring_this_week_are_counted_per_israel_day_and_expired_ones_apart(
    session: Session, people: dict[str, Actor]
) -> None:
    trainer_id = _trainer(people)
    other = _trainer(people, "other_trainer")
    created = NOW - timedelta(days=6)
    channel(session, trainer_id, created_at=created, expires_at=NOW - timedelta(hours=3))
    channel(
        session, trainer_id, created_at=created, expires_at=at(2026, 3, 10, 23), calendar_id="b"
    )
    channel(session, other, created_at=created, expires_at=at(2026, 3, 11, 20))
    channel(session, other, created_at=created, expires_at=at(2026, 3, 16, 9), calendar_id="c")
    channel(session, other, created_at=created, expires_at=at(2026, 3, 30), calendar_id="d")
    channel(
        session, other, created_at=created, expires_at=at(2026, 3, 11), calendar_id="e",
        stopped_at=NOW - timedelta(days=1),
    )  # fmt: skip

    outlook = health.channel_outlook(people["manager"], session=session, zone=ZONE, now=NOW)

    assert outlook.expired == 1
    per_day = dict(outlook.per_day)
    assert len(per_day) == 7
    # 23:00 UTC on the 10th is 01:00 on the 11th in Israel, like 20:00 UTC on the 11th.
    assert per_day[at(2026, 3, 10, 22)] == 2
    assert per_day[at(2026, 3, 15, 22)] == 1
    assert sum(per_day.values()) == 3
    assert [c.calendar_id for c in outlook.soonest] == ["primary", "b", "primary", "c"]


def test_trainers_longest_without_a_good_sync_come_first(
    session: Session, people: dict[str, Actor]
) -> None:
    trainer_id = _trainer(people)
    other = _trainer(people, "other_trainer")
    connect(session, trainer_id, at=NOW - timedelta(days=10))
    connect(session, other, at=NOW - timedelta(days=10))
    sync_run(session, trainer_id, NOW - timedelta(hours=1))
    sync_run(session, other, NOW - timedelta(hours=5))
    for hours in (3, 2, 1):
        sync_run(session, other, NOW - timedelta(hours=hours), RunOutcome.FAILED)
    _add_trainer(session, "Never connected")

    rows = health.trainer_freshness(people["manager"], session=session)

    assert [r.trainer_id for r in rows] == [other, trainer_id]
    stale, fresh = rows
    assert stale.failures_in_a_row == 3 and fresh.failures_in_a_row == 0
    assert stale.since_good(NOW) == timedelta(hours=5) - timedelta(seconds=1)
    assert stale.timezone == "Asia/Jerusalem"
    assert stale.last_run_at == NOW - timedelta(hours=1)


# --- The error log -------------------------------------------------------------------------


def _log_world(session: Session, people: dict[str, Actor]) -> dict[str, str]:
    trainer_id = _trainer(people)
    other = _trainer(people, "other_trainer")
    failed = sync_run(
        session, trainer_id, NOW - timedelta(hours=5), RunOutcome.FAILED,
        error_kind="quota_exceeded", error="Google answered 403 quotaExceeded",
    )  # fmt: skip
    interrupted = sync_run(
        session, other, NOW - timedelta(hours=4), RunOutcome.FAILED, error_kind="interrupted",
        error="interrupted (the worker stopped mid-run)", logged=False,
    )  # fmt: skip
    sync_run(session, trainer_id, NOW - timedelta(hours=3))
    log_line(
        session, NOW - timedelta(hours=2), "could not open a push channel: 100%_down",
        level=LogLevel.WARNING, trainer_id=other, event="channel_failed",
    )  # fmt: skip
    log_line(
        session, NOW - timedelta(hours=1), "SMTP refused the login", integration="email",
        event="email_failed",
    )  # fmt: skip
    log_line(session, NOW - timedelta(days=3), "old trouble", trainer_id=trainer_id)
    return {"failed": failed.id, "interrupted": interrupted.id}


def test_the_error_log_lists_logged_errors_and_silent_failed_runs_once_each(
    session: Session, people: dict[str, Actor]
) -> None:
    runs = _log_world(session, people)
    page = health.error_log(people["manager"], ErrorLogFilter(), session=session)
    assert page.total == 5
    assert [(e.event, e.level) for e in page.entries] == [
        ("email_failed", LogLevel.ERROR),
        ("channel_failed", LogLevel.WARNING),
        ("interrupted", LogLevel.ERROR),
        ("sync_failed", LogLevel.ERROR),
        ("something_failed", LogLevel.ERROR),
    ]
    interrupted = page.entries[2]
    assert interrupted.source is health.Source.RUN
    assert interrupted.sync_run_id == runs["interrupted"]
    assert interrupted.trainer_name == "Yossi"
    assert page.entries[3].sync_run_id == runs["failed"]  # the run's own line, not a copy


@pytest.mark.parametrize(
    ("filters", "events"),
    [
        (ErrorLogFilter(levels=(LogLevel.WARNING,)), ["channel_failed"]),
        (ErrorLogFilter(integration="email"), ["email_failed"]),
        (
            ErrorLogFilter(integration="google_calendar", since=NOW - timedelta(days=1)),
            ["channel_failed", "interrupted", "sync_failed"],
        ),
        (
            ErrorLogFilter(until=NOW - timedelta(hours=4, minutes=30)),
            ["sync_failed", "something_failed"],
        ),
        (ErrorLogFilter(text="QUOTA"), ["sync_failed"]),
        (ErrorLogFilter(text="worker stopped"), ["interrupted"]),
        (ErrorLogFilter(text="100%_"), ["channel_failed"]),
        (ErrorLogFilter(text="%"), ["channel_failed"]),
        (
            ErrorLogFilter(levels=(LogLevel.INFO,), integration="google_calendar"),
            ["sync_finished"],
        ),
    ],
    ids=[
        "level",
        "integration",
        "since",
        "until",
        "text",
        "run-text",
        "literal-%_",
        "percent",
        "info",
    ],
)
def test_the_error_log_narrows_to_what_the_manager_asks_for(
    session: Session, people: dict[str, Actor], filters: ErrorLogFilter, events: list[str]
) -> None:
    _log_world(session, people)
    page = health.error_log(people["manager"], filters, session=session)
    assert [e.event for e in page.entries] == events
    assert page.total == len(events)


def test_the_error_log_narrows_to_one_trainer(session: Session, people: dict[str, Actor]) -> None:
    _log_world(session, people)
    filters = ErrorLogFilter(trainer_id=_trainer(people, "other_trainer"))
    page = health.error_log(people["manager"], filters, session=session)
    assert [e.event for e in page.entries] == ["channel_failed", "interrupted"]


def test_the_error_log_pages_newest_first_and_keeps_the_page_in_range(
    session: Session, people: dict[str, Actor]
) -> None:
    for minute in range(7):
        log_line(session, NOW - timedelta(minutes=minute), f"error {minute}")
    manager = people["manager"]
    first = health.error_log(manager, ErrorLogFilter(), session=session, page=1, page_size=3)
    third = health.error_log(manager, ErrorLogFilter(), session=session, page=3, page_size=3)
    beyond = health.error_log(manager, ErrorLogFilter(), session=session, page=9, page_size=3)
    assert (first.total, first.pages) == (7, 3)
    assert [e.message for e in first.entries] == ["error 0", "error 1", "error 2"]
    assert [e.message for e in third.entries] == ["error 6"]
    assert beyond.page == 3 and [e.message for e in beyond.entries] == ["error 6"]


def test_drilling_into_an_error_shows_its_run_and_the_run_log_lines_in_order(
    session: Session, people: dict[str, Actor]
) -> None:
    trainer_id = _trainer(people)
    run = sync_run(
        session, trainer_id, NOW - timedelta(hours=1), RunOutcome.FAILED, http_requests=7,
        rate_limited=3, error_kind="rate_limited", error="Google answered 429",
    )  # fmt: skip
    log_line(
        session, NOW - timedelta(hours=1) + timedelta(milliseconds=500), "retrying after 429",
        level=LogLevel.WARNING, trainer_id=trainer_id, event="retry", sync_run_id=run.id,
    )  # fmt: skip
    entry = health.error_log(people["manager"], ErrorLogFilter(), session=session).entries[0]
    assert entry.sync_run_id == run.id

    detail = health.run_detail(people["manager"], entry.sync_run_id, session=session)

    assert (detail.outcome, detail.error_kind, detail.http_requests, detail.rate_limited) == (
        RunOutcome.FAILED,
        "rate_limited",
        7,
        3,
    )
    assert detail.trainer_name == "Dana"
    assert [line.event for line in detail.log] == ["retry", "sync_failed"]


def test_the_csv_export_carries_the_filtered_log_with_israel_times_and_hebrew_intact(
    session: Session, people: dict[str, Actor]
) -> None:
    _log_world(session, people)
    log_line(session, at(2026, 3, 10, 9, 30), "הסנכרון נכשל, שוב", trainer_id=_trainer(people))
    data = health.export_error_log_csv(
        people["manager"],
        ErrorLogFilter(integration=Integration.GOOGLE_CALENDAR.value, text="נכשל"),
        session=session,
        zone=ZONE,
        headers={"at": "זמן"},
        event_label=lambda event: "משהו נכשל" if event == "something_failed" else event,
    )
    assert data.startswith(b"\xef\xbb\xbf")  # spreadsheets then read UTF-8 Hebrew right
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [
        "זמן", "level", "integration", "trainer", "event", "message", "sync run", "event label"
    ]  # fmt: skip
    assert rows[1:] == [
        [
            "2026-03-10T11:30:00+02:00",
            "error",
            "google_calendar",
            "Dana",
            "something_failed",
            "הסנכרון נכשל, שוב",
            "",
            "משהו נכשל",
        ]
    ]
    everything = health.export_error_log_csv(
        people["manager"], ErrorLogFilter(), session=session, zone=ZONE
    )
    assert len(list(csv.reader(io.StringIO(everything.decode("utf-8-sig"))))) == 1 + 6
