"""Applying Google's pages to the store in bulk: the pull half of the sync engine, at wire speed.

Per page of up to 2,500 events: one SELECT of the page's linked rows (and one of CRM sessions
named by our private extended property), the decisions of the documented rule made in Python on
plain rows, then one executemany INSERT of the new events and one executemany UPDATE per shape
of change, through SQLAlchemy core instead of ORM objects one by one. A full listing marks the
rows it mentioned (`seen_listing`), so what it did not mention is found by one UPDATE after the
last page, not by a set of every id held in memory: memory stays two pages (the one stored, the
next fetched meanwhile), whatever the calendar.

The rule is the one `sync._apply_remote` documented, branch by branch: a deletion in Google wins
unless the session changed here later (then it is kept and pushed again); the etag Google echoes
for our own push changes nothing; a session changed on both sides goes to the more recent
change, both versions kept in a SyncConflict; new Google events arrive synced.
"""

from __future__ import annotations

import functools
import itertools
import operator
import secrets
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from db.models import (
    CalendarEvent,
    EventOrigin,
    SyncConflict,
    SyncDirection,
    SyncState,
    UTCDateTime,
    utcnow,
)
from integrations.google_calendar.events import GoogleEvent, UnusableEvent

if TYPE_CHECKING:
    from integrations.google_calendar.sync import SyncContext

EVENTS: sa.Table = CalendarEvent.__table__  # type: ignore[attr-defined]
#: Skips an event the store cannot hold, saying why where an operator looks.
Skip = Callable[[GoogleEvent, str], None]


def prefetched_pages(
    fetch: Callable[[str | None], dict[str, Any]],
) -> Generator[dict[str, Any], None, None]:
    """Pages from `fetch(page_token)`, the next one asked for before this one is handed over.

    Storing a page then overlaps the wait for the next, so a full sync costs about the longer
    of the two, not their sum. One worker thread makes every request, one at a time (the HTTP
    client is not thread-safe), and never touches the store; at most two pages are held.
    Closing the generator waits for a request in flight, so none outlives the sync.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="google-pages") as worker:
        pending: Future[dict[str, Any]] | None = worker.submit(fetch, None)
        while pending is not None:
            page = pending.result()  # a failure of the request is raised here, in the caller
            page_token = page.get("nextPageToken")
            pending = worker.submit(fetch, page_token) if page_token else None
            yield page
            del page  # not kept while the next page is awaited


def new_listing() -> str:
    """A mark for one full listing: the rows it mentions carry it."""
    return uuid.uuid4().hex


def _ascending_ids() -> Iterator[str]:
    """Ids for the rows one page creates, each greater than the last (32 hex characters, as
    `new_id` makes): the time in milliseconds, 48 random bits, a counter.

    Random ids land all over the primary key's index, so each page's commit rewrites most of
    its leaves: on SQLite a page took 35 ms into an empty table and 190 ms into one of 100,000.
    Ids in the order they are made append to it instead (25 ms and 50 ms).
    """
    prefix = f"{time.time_ns() // 1_000_000:012x}{secrets.randbits(48):012x}"
    return (f"{prefix}{number:08x}" for number in itertools.count())


@dataclass
class _Changes:
    """What one page does to the store, gathered before a single statement is sent."""

    created: list[dict[str, Any]] = field(default_factory=list)
    #: Row id to the columns changed and their final values (a row may be met twice).
    updated: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    conflicts: list[SyncConflict] = field(default_factory=list)
    new_ids: Iterator[str] = field(default_factory=_ascending_ids)
    #: When this page was applied: one time for all its rows, so the driver's copy of a row
    #: formats it once a page (driver_rows), not twice a row.
    now: datetime = field(default_factory=utcnow)
    #: Counted here and added to the run once a page: an ORM attribute set per event is costly.
    created_count: int = 0
    updated_count: int = 0
    deleted_count: int = 0

    def change(self, row: dict[str, Any], **values: Any) -> None:
        row.update(values)
        self.updated.setdefault(row["id"], {}).update(values)


def apply_page(
    context: SyncContext,
    calendar_id: str,
    items: list[GoogleEvent],
    *,
    skip: Skip,
    listing: str | None = None,
    held_none: bool = False,
) -> None:
    """Apply one page of Google events; the caller commits (and retries one by one on refusal).

    `listing` is the mark of the full listing this page belongs to (None when incremental).
    `held_none`: the caller knows the store holds none of these events by Google id (see
    holds_linked_events), so they are not looked up; a wrong guess is refused by the unique
    constraint as a duplicate.
    """
    if not items:
        return
    session = context.session
    session.flush()
    trainer_id = context.trainer.id
    linked = (
        {}
        if held_none
        else {
            row["google_event_id"]: row
            for row in _linked_rows(session, trainer_id, calendar_id, [item.id for item in items])
        }
    )
    crm_ids = [item.crm_event_id for item in items if item.crm_event_id and item.id not in linked]
    by_crm_id = (
        {
            row["id"]: row
            for row in _rows(session, EVENTS.c.trainer_id == trainer_id, EVENTS.c.id.in_(crm_ids))
        }
        if crm_ids
        else {}
    )
    changes = _Changes()
    zone = context.trainer.timezone
    for item in items:
        local = linked.get(item.id) or (
            by_crm_id.get(item.crm_event_id) if item.crm_event_id else None
        )
        if local is not None:
            changes.seen.add(local["id"])
        _decide(context, calendar_id, item, local, zone, changes, skip)
    _write(session, changes, listing)
    run = context.run
    run.created += changes.created_count
    run.updated += changes.updated_count
    run.deleted += changes.deleted_count


def holds_linked_events(session: Session, trainer_id: str, calendar_id: str) -> bool:
    """Whether the store holds any event of this calendar by Google id, deleted ones too (what
    _linked_rows could find); one probe of the unique constraint's index."""
    held = session.execute(
        sa.select(EVENTS.c.id)
        .where(
            EVENTS.c.trainer_id == trainer_id,
            EVENTS.c.google_calendar_id == calendar_id,
            EVENTS.c.google_event_id.is_not(None),
        )
        .limit(1)
    ).first()
    return held is not None


def _rows(session: Session, *where: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in session.execute(sa.select(EVENTS).where(*where)).mappings()]


def _linked_rows(
    session: Session, trainer_id: str, calendar_id: str, google_ids: list[str]
) -> list[dict[str, Any]]:
    """The page's events already held, found by one index probe per Google id.

    On PostgreSQL `google_event_id IN (2,500 ids)` is planned as a read of the whole calendar
    filtered by the list (an index scan on trainer and calendar while the table has no statistics,
    a sequential scan once it has): every page then costs O(calendar), and a full sync of 100,000
    O(N²). A LATERAL lookup per id cannot be planned so; it costs O(page) at any size and with any
    statistics. SQLite probes the unique index for each id of an IN list already.
    """
    if session.get_bind().dialect.name != "postgresql":
        return _rows(
            session,
            EVENTS.c.trainer_id == trainer_id,
            EVENTS.c.google_calendar_id == calendar_id,
            EVENTS.c.google_event_id.in_(google_ids),
        )
    page = (
        sa.func.unnest(sa.literal(google_ids, type_=postgresql.ARRAY(sa.String)))
        .table_valued("google_event_id")
        .render_derived(name="page")
    )
    held = (
        sa.select(EVENTS)
        .where(
            EVENTS.c.trainer_id == trainer_id,
            EVENTS.c.google_calendar_id == calendar_id,
            EVENTS.c.google_event_id == page.c.google_event_id,
        )
        .limit(1)  # the unique constraint holds one; the limit keeps the planner from a join
        .lateral("held")
    )
    statement = sa.select(*held.c).select_from(page).join(held, sa.true())
    return [dict(row) for row in session.execute(statement).mappings()]


def _decide(
    context: SyncContext,
    calendar_id: str,
    item: GoogleEvent,
    local: dict[str, Any] | None,
    zone: str,
    changes: _Changes,
    skip: Skip,
) -> None:
    """The documented rule for one Google event against its local row (or none)."""
    fields: dict[str, Any] = {}
    if not item.is_cancelled:
        try:
            fields = item.local_fields(zone)
        except UnusableEvent as unusable:
            skip(item, str(unusable))
            return
    if local is not None and local["google_event_id"] is None:
        # Our own insert whose link was lost (e.g. the worker died before committing it).
        changes.change(local, google_event_id=item.id, google_calendar_id=calendar_id)
    if item.is_cancelled:
        if local is None or local["deleted_at"] is not None:
            return
        if local["sync_state"] is SyncState.PENDING and _local_wins(context, local, item):
            _conflict(context, changes, local, item, winner="local")
            # Deleted there, kept here: the push recreates it.
            changes.change(local, google_event_id=None, google_etag=None)
            return
        changes.change(
            local, deleted_at=changes.now, status="cancelled", sync_state=SyncState.SYNCED
        )
        changes.deleted_count += 1
        return
    if local is None:
        now = changes.now
        created = {
            "id": next(changes.new_ids),
            "trainer_id": context.trainer.id,
            "client_id": None,
            "origin": EventOrigin.GOOGLE,
            "google_calendar_id": calendar_id,
            "google_event_id": item.id,
            "created_at": now,
            "updated_at": now,
            "deleted_at": None,
            **fields,
            "sync_state": SyncState.SYNCED,
            "seen_listing": None,
        }
        changes.created.append(created)
        changes.seen.add(created["id"])
        changes.created_count += 1
        return
    if local["google_etag"] == item.etag and local["deleted_at"] is None:
        return  # nothing new (often the echo of our own push)
    if (
        local["sync_state"] is SyncState.PENDING
        and context.sync_settings.sync_direction is SyncDirection.BIDIRECTIONAL
    ):
        if _local_wins(context, local, item):
            _conflict(context, changes, local, item, winner="local")
            changes.change(local, google_etag=item.etag)  # our push overwrites Google's version
            return
        _conflict(context, changes, local, item, winner="google")
    changes.change(
        local, **fields, deleted_at=None, sync_state=SyncState.SYNCED, updated_at=changes.now
    )
    changes.updated_count += 1


def _local_wins(context: SyncContext, local: dict[str, Any], item: GoogleEvent) -> bool:
    """The documented rule: the most recent change wins; a tie goes to Google."""
    if context.sync_settings.sync_direction is SyncDirection.FROM_GOOGLE:
        return False
    remote_changed = item.updated
    return remote_changed is None or bool(local["updated_at"] > remote_changed)


def _conflict(
    context: SyncContext,
    changes: _Changes,
    local: dict[str, Any],
    item: GoogleEvent,
    *,
    winner: str,
) -> None:
    changes.conflicts.append(
        SyncConflict(
            trainer_id=context.trainer.id,
            event_id=local["id"],
            sync_run_id=context.run.id,
            local_version={
                "summary": local["title"],
                "start": local["start_at"].isoformat(),
                "end": local["end_at"].isoformat(),
                "location": local["location"],
                "description": local["description"],
                "updated": local["updated_at"].isoformat(),
                "deleted": local["deleted_at"] is not None,
            },
            google_version=item.comparable(),
            winner=winner,
        )
    )
    changes.change(local, sync_state=SyncState.SYNCED if winner == "google" else SyncState.PENDING)
    context.run.conflicts += 1


def _write(session: Session, changes: _Changes, listing: str | None) -> None:
    """The page's decisions as a few statements: executemany INSERT, UPDATE per shape."""
    if changes.created:
        if listing is not None:
            for row in changes.created:
                row["seen_listing"] = listing
        _insert(session, changes.created)
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row_id, values in changes.updated.items():
        names = tuple(sorted(values))
        shapes.setdefault(names, []).append(
            {"row_id": row_id, **{f"new_{name}": values[name] for name in names}}
        )
    for names, parameters in shapes.items():
        statement = (
            sa.update(EVENTS)
            .where(EVENTS.c.id == sa.bindparam("row_id"))
            .values(
                {name: sa.bindparam(f"new_{name}", type_=EVENTS.c[name].type) for name in names}
            )
        )
        session.execute(statement, parameters)
    if listing is not None:
        created = {row["id"] for row in changes.created}
        known = [row_id for row_id in changes.seen if row_id not in created]
        if known:
            session.execute(
                sa.update(EVENTS).where(EVENTS.c.id.in_(known)).values(seen_listing=listing)
            )
    session.add_all(changes.conflicts)
    _forget_loaded(session, set(changes.updated) | changes.seen)


#: Every column of calendar_events, in table order: the shape of a row handed to the driver.
_COLUMNS: tuple[str, ...] = tuple(EVENTS.columns.keys())
_ROW = operator.itemgetter(*_COLUMNS)
_TIMES = tuple(i for i, c in enumerate(EVENTS.columns) if isinstance(c.type, UTCDateTime))
_ENUMS = tuple(i for i, c in enumerate(EVENTS.columns) if isinstance(c.type, sa.Enum))


def _naive_utc(value: datetime) -> datetime:
    """UTCDateTime's conversion (db/models.py), without SQLAlchemy's call chain around it."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column; attach a time zone")
    return value.astimezone(UTC).replace(tzinfo=None)


def _sqlite_time(value: datetime) -> str:
    """What SQLAlchemy's SQLite DateTime stores: 'YYYY-MM-DD HH:MM:SS.ffffff', always with the
    microseconds, so that times compare as text in the order they have."""
    if value.tzinfo is UTC:
        # Already UTC (what the sync makes): the same text less the "+00:00", without the
        # conversion and copy, which cost as much again as the formatting.
        return value.isoformat(" ", "microseconds")[:-6]
    return _naive_utc(value).isoformat(" ", "microseconds")


def driver_rows(dialect: sa.Dialect, rows: list[dict[str, Any]]) -> list[list[Any]]:
    """New calendar_events rows (every column named) as the driver takes them: the values
    SQLAlchemy's bind processing would send (tests/…/test_pull.py compares the two), at a
    fifth of its cost per row.

    A time object met again (a page's rows share one creation time) is converted once: keyed
    by identity, which is unique while `rows` holds every one of them.
    """
    time_value = _sqlite_time if dialect.name == "sqlite" else _naive_utc
    converted_times: dict[int, Any] = {}
    converted = []
    for row in rows:
        values = list(_ROW(row))
        for index in _TIMES:
            value = values[index]
            if value is not None:
                key = id(value)
                text = converted_times.get(key)
                if text is None:
                    text = converted_times[key] = time_value(value)
                values[index] = text
        for index in _ENUMS:
            if values[index] is not None:
                values[index] = values[index].value
        converted.append(values)
    return converted


#: Rows in one multi-row INSERT on SQLite: 22 values each, far under SQLite's limit of bound
#: values in a statement (999 before 3.32, 32,766 since).
_SQLITE_ROWS_A_STATEMENT = 500


@functools.cache
def _sqlite_insert(rows: int) -> str:
    """INSERT of `rows` new calendar_events rows, every column bound."""
    row = f"({', '.join('?' * len(_COLUMNS))})"
    return f"INSERT INTO {EVENTS.name} ({', '.join(_COLUMNS)}) VALUES {', '.join([row] * rows)}"  # noqa: S608


def _insert(session: Session, rows: list[dict[str, Any]]) -> None:
    """The page's new events in one go, prepared as the driver takes them.

    Through SQLAlchemy's executemany each row costs its parameter dictionary and per-value
    processing, and on PostgreSQL one INSERT statement executed per row (pipelined): five times
    the time of fetching the page. PostgreSQL is sent one COPY, SQLite one executemany of the
    sqlite3 module. A refusal (NUL, a duplicate) is raised as SQLAlchemy's error, as before, so
    the page is stored again event by event and the bad one skipped.
    """
    connection = session.connection()
    dialect = connection.dialect
    values = driver_rows(dialect, rows)
    columns = ", ".join(_COLUMNS)
    if dialect.name != "postgresql":
        # Several rows a statement: sqlite3's executemany binds and steps one row at a time
        # through Python's C API, a tenth of the insert's cost (SQLite's own limit on bound
        # values is 32,766 since 3.32).
        for start in range(0, len(values), _SQLITE_ROWS_A_STATEMENT):
            chunk = values[start : start + _SQLITE_ROWS_A_STATEMENT]
            connection.exec_driver_sql(
                _sqlite_insert(len(chunk)), tuple(itertools.chain.from_iterable(chunk))
            )
        return
    statement = f"COPY {EVENTS.name} ({columns}) FROM STDIN"
    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)
    except dialect.loaded_dbapi.Error as failure:
        raise sa.exc.DBAPIError.instance(
            statement, None, failure, dialect.loaded_dbapi.Error, dialect=dialect
        ) from failure


def _forget_loaded(session: Session, row_ids: set[str]) -> None:
    """Rows changed behind the ORM's back: a CalendarEvent already loaded in this session is
    read again on next use instead of showing what it held before."""
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, CalendarEvent) and loaded.id in row_ids:
            session.expire(loaded)


def reconcile_full_list(context: SyncContext, calendar_id: str, listing: str) -> None:
    """A full list has no tombstones: linked events it did not mention were deleted in Google.
    A session changed here since (pending) is kept and unlinked, so the push recreates it."""
    session = context.session
    session.flush()
    unmentioned = (
        EVENTS.c.trainer_id == context.trainer.id,
        EVENTS.c.google_calendar_id == calendar_id,
        EVENTS.c.google_event_id.is_not(None),
        EVENTS.c.deleted_at.is_(None),
        sa.or_(EVENTS.c.seen_listing.is_(None), EVENTS.c.seen_listing != listing),
    )
    session.execute(
        sa.update(EVENTS)
        .where(*unmentioned, EVENTS.c.sync_state == SyncState.PENDING)
        .values(google_event_id=None, google_etag=None)
    )
    deleted = session.execute(
        sa.update(EVENTS)
        .where(*unmentioned, EVENTS.c.sync_state != SyncState.PENDING)
        .values(deleted_at=utcnow(), status="cancelled", sync_state=SyncState.SYNCED)
    )
    context.run.deleted += max(deleted.rowcount or 0, 0)  # type: ignore[attr-defined]
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, CalendarEvent) and loaded.trainer_id == context.trainer.id:
            session.expire(loaded)
    session.commit()
