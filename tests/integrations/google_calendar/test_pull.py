"""The bulk pull path (pull.py): a big calendar costs two pages of memory, and a quiet sync reads
none of the trainer's events; the rule itself is pinned by test_sync.py and the properties."""

from __future__ import annotations

import gc
import re
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.dialects.sqlite import pysqlite as sqlite_dialect
from sqlalchemy.engine import Engine

from db.models import EventOrigin, RunOutcome, SyncState
from integrations.google_calendar import pull
from tests.support.google_world import NEXT_WEEK, Trainer, timed


def _seed(trainer: Trainer, count: int, offset_hours: int = 0) -> None:
    trainer.world.control(
        "POST",
        "/_emulator/calendar/seed",
        json={
            "email": trainer.email,
            "generate": count,
            "generateStart": (NEXT_WEEK + timedelta(hours=offset_hours)).isoformat(),
        },
    )


def _peak_of_full_sync(trainer: Trainer) -> int:
    """Peak bytes Python allocated during one full listing of the calendar (tracemalloc)."""
    trainer.world.control(
        "POST", "/_emulator/calendar/expire-sync-tokens", json={"email": trainer.email}
    )
    trainer.session.expunge_all()
    gc.collect()
    tracemalloc.start()
    try:
        run = trainer.sync()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert run.outcome is RunOutcome.SUCCESS, run.error
    return peak


def test_a_calendar_twice_as_big_syncs_in_the_same_memory(trainer: Trainer) -> None:
    """Two pages at most (the one stored, the next fetched), reconciled in SQL: no set of every
    id, no every linked event loaded, however many pages the calendar has."""
    _seed(trainer, 5000)
    assert trainer.sync().created == 5000
    # The peak is reached where storing a page overlaps fetching the next, and how much of the
    # two is alive then depends on the threads' timing. Four pages overlap three times, two pages
    # once: the smaller calendar is listed three times so both peaks are the worst of three.
    two_pages = max(_peak_of_full_sync(trainer) for _ in range(3))
    _seed(trainer, 5000, offset_hours=5000)
    assert trainer.sync().created == 5000
    four_pages = _peak_of_full_sync(trainer)
    assert len(trainer.local()) == 10000
    # Every page kept shows here as about 2x, every linked event loaded to reconcile as more;
    # a fixed window of pages stays within the timing's spread (up to ~1.15x seen).
    assert four_pages < two_pages * 1.3, (two_pages, four_pages)


def test_a_full_list_that_no_longer_mentions_an_event_removes_it_and_counts_it(
    trainer: Trainer,
) -> None:
    kept = trainer.in_google(timed(NEXT_WEEK, summary="Kept"))
    removed = trainer.in_google(timed(NEXT_WEEK, summary="Removed in Google"))
    trainer.sync()
    trainer.world.control(
        "POST", "/_emulator/calendar/expire-sync-tokens", json={"email": trainer.email}
    )
    trainer.delete_in_google(removed["id"])
    run = trainer.sync()
    assert run.outcome is RunOutcome.SUCCESS, run.error
    assert run.deleted == 1
    assert [e.google_event_id for e in trainer.local()] == [kept["id"]]
    # A second full list finds nothing more to remove: the marks belong to each listing.
    trainer.world.control(
        "POST", "/_emulator/calendar/expire-sync-tokens", json={"email": trainer.email}
    )
    again = trainer.sync()
    assert (again.deleted, again.created, again.updated) == (0, 0, 0)
    assert [e.title for e in trainer.local()] == ["Kept"]


def _plans(engine: Engine, statements: list[tuple[str, Any]]) -> list[str]:
    details: list[str] = []
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        for statement, parameters in statements:
            rows = raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
            details += [str(row[-1]) for row in rows]
    return details


def _quiet_sync_statements(trainer: Trainer, engine: Engine) -> list[tuple[str, Any]]:
    """The SELECTs of events a sync that finds nothing new sends, after a first full sync."""
    _seed(trainer, 300)
    trainer.sync()
    seen: list[tuple[str, Any]] = []

    def collect(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "calendar_events" in statement:
            seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", collect)
    try:
        run = trainer.sync()
    finally:
        sa.event.remove(engine, "before_cursor_execute", collect)
    assert (run.created, run.updated, run.deleted, run.pushed) == (0, 0, 0, 0)
    assert seen, "the sync looked for sessions to push"
    return seen


def test_a_quiet_sync_reads_none_of_the_trainers_events(trainer: Trainer, engine: Engine) -> None:
    """With thousands of sessions, a sync that finds nothing new must not read them all to
    learn there is nothing to push: every lookup of events seeks by an index to what matters."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's plans are read by the test below")
    seen = _quiet_sync_statements(trainer, engine)
    plans = [detail for detail in _plans(engine, seen) if "calendar_events" in detail]
    reads_all = [
        detail
        for detail in plans
        if detail.startswith("SCAN calendar_events") or detail.endswith("(trainer_id=?)")
    ]
    assert not reads_all, plans
    assert all("sync_state=?" in detail or "google_event_id" in detail for detail in plans), plans


def test_a_quiet_sync_reads_none_of_the_trainers_events_on_postgresql(
    trainer: Trainer, engine: Engine
) -> None:
    """The same on PostgreSQL: told to avoid sequential scans, the planner must find an index
    that narrows each lookup past the trainer, or the sync would read every session she has."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's plans are read by the test above")
    seen = _quiet_sync_statements(trainer, engine)
    plans: list[str] = []
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        raw.execute("ANALYZE calendar_events")  # what autovacuum knows of a table in use
        raw.execute("SET enable_seqscan = off")  # a table this small would be scanned anyway
        for statement, parameters in seen:
            plan = raw.execute(f"EXPLAIN {statement}", parameters).fetchall()
            plans.append("\n".join(str(row[0]) for row in plan))
        raw.rollback()
    # An index that narrows only to the trainer reads every session she has, as a scan would.
    trainer_only = re.compile(r"Index Cond: \(+trainer_id\)?(::text)? = '[^']*'(::text)?\)+$", re.M)
    reads_all = [
        plan for plan in plans if "Seq Scan on calendar_events" in plan or trainer_only.search(plan)
    ]
    assert not reads_all, plans


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_new_events_are_handed_to_the_driver_as_sqlalchemy_would_send_them(store: str) -> None:
    """The bulk insert skips SQLAlchemy's per-row bind processing; what it sends must be what
    that processing sends, or SQLite would hold times that sort and compare wrongly as text
    (a week's sessions missing from the grid) and PostgreSQL times shifted by a zone."""
    dialect = sqlite_dialect.dialect() if store == "sqlite" else psycopg_dialect.dialect()
    jerusalem = ZoneInfo("Asia/Jerusalem")
    times = [
        datetime(2027, 3, 12, 16, 0, tzinfo=UTC),
        datetime(2027, 3, 26, 1, 30, 0, 123456, tzinfo=jerusalem),  # the night clocks change
        datetime(1, 1, 2, tzinfo=UTC),
        datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    rows = [
        {
            "id": f"{number:032x}",
            "trainer_id": "t" * 32,
            "client_id": None,
            "title": "Personal training – רון",
            "description": "line one\nline two" if number % 2 else None,
            "location": None,
            "start_at": start,
            "end_at": start,
            "all_day": bool(number % 2),
            "timezone": "Asia/Jerusalem",
            "origin": EventOrigin.GOOGLE,
            "sync_state": SyncState.SYNCED,
            "google_calendar_id": "primary",
            "google_event_id": f"event{number}",
            "google_etag": '"1796649090663070"',
            "google_updated_at": None if number % 2 else start,
            "recurring_event_id": None,
            "status": "confirmed",
            "created_at": start,
            "updated_at": start,
            "deleted_at": None,
            "seen_listing": "a" * 32,
        }
        for number, start in enumerate(times)
    ]
    expected = []
    for row in rows:
        values = []
        for column in pull.EVENTS.columns:
            # What an executed statement uses: the type as this dialect adapts it.
            processor = column.type.dialect_impl(dialect).bind_processor(dialect)
            value = row[column.name]
            values.append(processor(value) if processor is not None else value)
        expected.append(values)
    assert pull.driver_rows(dialect, rows) == expected
    with pytest.raises(ValueError, match="naive"):
        pull.driver_rows(dialect, [{**rows[0], "start_at": datetime(2027, 3, 12, 16, 0)}])


def test_an_event_the_store_refuses_fails_as_a_store_error_and_the_session_goes_on(
    trainer: Trainer,
) -> None:
    """The sync stores a refused page again event by event and skips the bad one, which it
    knows by SQLAlchemy's error: the driver's own COPY or executemany must fail the same way."""
    _seed(trainer, 3)
    assert trainer.sync().created == 3
    held = trainer.local()[0]
    session = trainer.session
    now = datetime.now(UTC)
    twin = {column.name: getattr(held, column.name) for column in pull.EVENTS.columns} | {
        "id": "f" * 32,
        "created_at": now,
        "updated_at": now,
    }
    with pytest.raises(sa.exc.IntegrityError):
        pull._insert(session, [twin])  # the same Google event twice
    session.rollback()
    pull._insert(session, [twin | {"google_event_id": "another"}])
    session.commit()
    stored = {event.id: event.google_event_id for event in trainer.local()}
    assert len(stored) == 4 and stored["f" * 32] == "another", stored
