"""The bulk pull path (pull.py): a big calendar costs two pages of memory, and a quiet sync reads
none of the trainer's events; the rule itself is pinned by test_sync.py and the properties."""

from __future__ import annotations

import gc
import re
import tracemalloc
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from db.models import RunOutcome
from tests.integrations.google_calendar import test_sync
from tests.integrations.google_calendar.test_sync import NEXT_WEEK, Trainer, timed

trainer = test_sync.trainer  # the connected trainer of test_sync.py


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
    two_pages = _peak_of_full_sync(trainer)
    _seed(trainer, 5000, offset_hours=5000)
    assert trainer.sync().created == 5000
    four_pages = _peak_of_full_sync(trainer)
    assert len(trainer.local()) == 10000
    # Every linked event loaded to reconcile, or every page kept, shows here as 1.4x and more;
    # a fixed window of pages stays within a few percent.
    assert four_pages < two_pages * 1.2, (two_pages, four_pages)


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
