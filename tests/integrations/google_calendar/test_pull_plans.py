"""A quiet sync on PostgreSQL reads none of the trainer's events: every lookup of events the sync
makes is planned as an index seek to what matters (sessions waiting to be pushed, or the page's
own Google ids), never a scan of the trainer's calendar. SQLite's twin is in test_pull.py."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from db.models import RunOutcome
from tests.support.google_world import NEXT_WEEK, Trainer

#: Only PostgreSQL: the SQLite plan is read in test_pull.py through EXPLAIN QUERY PLAN.
on_postgres = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


def _scans_of_events(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every node of an EXPLAIN (FORMAT JSON) plan that reads calendar_events, with the
    condition its index seeks by (`Seek`: none for a sequential scan)."""
    found: list[dict[str, Any]] = []
    if plan.get("Relation Name") == "calendar_events":
        # A bitmap heap scan seeks by its index children's conditions, which it rechecks.
        seek = plan.get("Index Cond") or plan.get("Recheck Cond")
        found.append(
            {"Node Type": plan["Node Type"], "Seek": seek, "Index": plan.get("Index Name")}
        )
    for child in plan.get("Plans", []):
        found += _scans_of_events(child)
    return found


def _plans(engine: Engine, statements: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """The planner's choice for each statement, with the values the sync sent.

    A table of a few hundred rows is cheapest to read whole, and PostgreSQL rightly does; with
    sequential scans priced out (`enable_seqscan = off`, this transaction only) the plan shows
    whether an index can seek to what matters, which is what a calendar of thousands gets.
    """
    nodes: list[dict[str, Any]] = []
    with engine.connect() as connection:
        connection.execute(sa.text("ANALYZE calendar_events"))
        connection.execute(sa.text("SET LOCAL enable_seqscan = off"))
        raw = connection.connection.driver_connection
        assert raw is not None
        for statement, parameters in statements:
            [(explained,)] = raw.execute(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
            document = json.loads(explained) if isinstance(explained, str) else explained
            nodes += _scans_of_events(document[0]["Plan"])
        connection.rollback()
    return nodes


@on_postgres
def test_a_quiet_sync_on_postgresql_seeks_by_index_and_reads_none_of_the_trainers_events(
    trainer: Trainer, engine: Engine
) -> None:
    """With hundreds of synced events and nothing new, each lookup of events names in its index
    condition the sync state or the Google id, not only the trainer (which reads them all)."""
    assert engine.dialect.name == "postgresql"
    trainer.world.control(
        "POST",
        "/_emulator/calendar/seed",
        json={"email": trainer.email, "generate": 300, "generateStart": NEXT_WEEK.isoformat()},
    )
    trainer.book("Personal training – Ron", NEXT_WEEK + timedelta(days=30))
    first = trainer.sync()
    assert (first.outcome, first.created, first.pushed) == (RunOutcome.SUCCESS, 300, 1)
    seen: list[tuple[str, Any]] = []

    def collect(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "calendar_events" in statement:
            seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", collect)
    try:
        run = trainer.sync()
    finally:
        sa.event.remove(engine, "before_cursor_execute", collect)
    assert (run.outcome, run.created, run.updated, run.deleted, run.pushed) == (
        RunOutcome.SUCCESS,
        0,
        0,
        0,
        0,
    )
    assert seen, "the sync looked for sessions to push"
    scans = _plans(engine, seen)
    assert scans, "no plan read calendar_events"
    whole = [scan for scan in scans if not scan["Seek"]]
    assert not whole, scans  # a sequential scan, or an index read end to end
    by_trainer_only = [
        scan
        for scan in scans
        if "sync_state" not in scan["Seek"] and "google_event_id" not in scan["Seek"]
    ]
    assert not by_trainer_only, scans


def _page_lookups(engine: Engine, trainer: Trainer) -> list[tuple[str, Any]]:
    """The SELECTs a full listing sends to find a page's events among those held: the ones
    handed the page's 2,500 Google ids."""
    seen: list[tuple[str, Any]] = []

    def collect(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        values = list(parameters.values()) if isinstance(parameters, dict) else []
        ids = (
            len(values)
            if len(values) > 1000
            else max((len(v) for v in values if isinstance(v, list)), default=0)
        )
        if statement.lstrip().upper().startswith("SELECT") and ids >= 2500:
            seen.append((statement, parameters))

    trainer.world.control(
        "POST", "/_emulator/calendar/expire-sync-tokens", json={"email": trainer.email}
    )
    sa.event.listen(engine, "before_cursor_execute", collect)
    try:
        run = trainer.sync()
    finally:
        sa.event.remove(engine, "before_cursor_execute", collect)
    assert (run.outcome, run.created, run.deleted) == (RunOutcome.SUCCESS, 0, 0), run.error
    return seen


@on_postgres
def test_a_page_is_looked_up_by_its_ids_on_a_big_calendar_with_or_without_statistics(
    trainer: Trainer, engine: Engine
) -> None:
    """A full listing looks up each page's 2,500 ids among the events held. Planned as a read of
    the trainer's whole calendar filtered by the list (what `IN (ids)` gets, before autovacuum
    has analysed a freshly filled table and after), every page costs O(calendar) and a sync of
    100,000 events O(N²). Each id must be an index probe, planned as the sync sends it."""
    trainer.world.control(
        "POST",
        "/_emulator/calendar/seed",
        json={"email": trainer.email, "generate": 3000, "generateStart": NEXT_WEEK.isoformat()},
    )
    assert trainer.sync().created == 3000
    lookups = _page_lookups(engine, trainer)
    assert len(lookups) == 1, [statement for statement, _ in lookups]  # the full page of 2,500
    for analysed in (False, True):
        nodes: list[dict[str, Any]] = []
        with engine.connect() as connection:
            raw = connection.connection.driver_connection
            assert raw is not None
            if analysed:
                raw.execute("ANALYZE calendar_events")
            for statement, parameters in lookups:
                [(explained,)] = raw.execute(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
                document = json.loads(explained) if isinstance(explained, str) else explained
                nodes += _scans_of_events(document[0]["Plan"])
            connection.rollback()
        assert nodes, "no plan read calendar_events"
        by_id = [node for node in nodes if node["Seek"] and "google_event_id" in node["Seek"]]
        assert by_id == nodes, (analysed, nodes)
