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

import uuid
from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session

from db.models import (
    CalendarEvent,
    EventOrigin,
    SyncConflict,
    SyncDirection,
    SyncState,
    new_id,
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


@dataclass
class _Changes:
    """What one page does to the store, gathered before a single statement is sent."""

    created: list[dict[str, Any]] = field(default_factory=list)
    #: Row id to the columns changed and their final values (a row may be met twice).
    updated: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    conflicts: list[SyncConflict] = field(default_factory=list)
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
) -> None:
    """Apply one page of Google events; the caller commits (and retries one by one on refusal).

    `listing` is the mark of the full listing this page belongs to (None when incremental).
    """
    if not items:
        return
    session = context.session
    session.flush()
    trainer_id = context.trainer.id
    _custom_plans(session)
    linked = {
        row["google_event_id"]: row
        for row in _rows(
            session,
            EVENTS.c.trainer_id == trainer_id,
            EVENTS.c.google_calendar_id == calendar_id,
            EVENTS.c.google_event_id.in_([item.id for item in items]),
        )
    }
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


def _rows(session: Session, *where: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in session.execute(sa.select(EVENTS).where(*where)).mappings()]


def _custom_plans(session: Session) -> None:
    """PostgreSQL plans a statement prepared for the 6th time once for any values: for the page's
    `IN (2,500 ids)` that generic plan filters the whole calendar. Plan each page for its ids."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))


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
        changes.change(local, deleted_at=utcnow(), status="cancelled", sync_state=SyncState.SYNCED)
        changes.deleted_count += 1
        return
    if local is None:
        now = utcnow()
        created = {
            "id": new_id(),
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
        local, **fields, deleted_at=None, sync_state=SyncState.SYNCED, updated_at=utcnow()
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
        session.execute(sa.insert(EVENTS), changes.created)
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
