"""The push half of the sync engine: CRM sessions created, changed or deleted since the last sync.

Batches of 50 calls in one HTTP round trip, with client-chosen event ids (a retried insert cannot
duplicate), If-Match etags and sendUpdates=none; a batch commits before the next call to Google.
The run itself (SyncContext, errors, conflicts) lives in `sync`, which calls `push_changes`;
`sync` imports this module, so this one reaches back to it lazily.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest
from sqlmodel import col, select

from db.models import CalendarEvent, EventOrigin, Integration, LogLevel, SyncState, utcnow
from integrations.core import audit
from integrations.core.failures import ErrorKind
from integrations.google_calendar.batch import WireBatch
from integrations.google_calendar.errors import classify
from integrations.google_calendar.events import (
    GoogleEvent,
    UnusableEvent,
    assign_fields,
    google_body,
)

if TYPE_CHECKING:
    from integrations.google_calendar.sync import SyncContext

BATCH_SIZE = 50
#: CRM sessions older than this are not pushed on a first sync.
PUSH_HORIZON = timedelta(days=30)
_EVENTS: sa.Table = CalendarEvent.__table__  # type: ignore[attr-defined]


def _push_candidates(context: SyncContext) -> list[CalendarEvent]:
    since = utcnow() - PUSH_HORIZON
    trainer_id = context.trainer.id
    # One seek on (trainer_id, sync_state): a quiet trainer's synced events are never read.
    # The start_at bound sits inside the OR so that no planner prefers a range over them.
    return list(
        context.session.exec(
            select(CalendarEvent)
            .where(
                CalendarEvent.trainer_id == trainer_id,
                col(CalendarEvent.sync_state).in_([SyncState.PENDING, SyncState.LOCAL_ONLY]),
                sa.or_(
                    col(CalendarEvent.sync_state) == SyncState.PENDING,
                    sa.and_(
                        col(CalendarEvent.origin) == EventOrigin.CRM,
                        col(CalendarEvent.google_event_id).is_(None),
                        col(CalendarEvent.deleted_at).is_(None),
                        col(CalendarEvent.start_at) >= since,
                    ),
                ),
            )
            .order_by(col(CalendarEvent.sync_state).desc(), col(CalendarEvent.id))
        ).all()
    )


def push_changes(context: SyncContext) -> None:
    """Every pending session to Google, a batch of 50 per round trip, committed per batch."""
    candidates = _push_candidates(context)
    if not candidates:
        return
    # One events() resource for the run: googleapiclient builds all its methods (and their
    # docstrings) each time, ~20 ms, as much as a batch's own round trip.
    api = context.service.events()
    for start in range(0, len(candidates), BATCH_SIZE):
        _push_batch(context, api, candidates[start : start + BATCH_SIZE])
        context.session.commit()


def _request_for(context: SyncContext, api: Any, action: str, event: CalendarEvent) -> HttpRequest:
    """`api` is the run's one events() resource (see `push_changes`)."""
    calendar_id = event.google_calendar_id or context.sync_settings.default_calendar_id
    if action == "delete":
        return api.delete(calendarId=calendar_id, eventId=event.google_event_id, sendUpdates="none")
    if action == "insert":
        body = google_body(event) | {"id": event.id}
        return api.insert(calendarId=calendar_id, body=body, sendUpdates="none")
    request = api.patch(
        calendarId=calendar_id,
        eventId=event.google_event_id,
        body=google_body(event),
        sendUpdates="none",
    )
    if event.google_etag:
        request.headers["If-Match"] = event.google_etag
    return request


def _action_for(event: CalendarEvent) -> str | None:
    if event.deleted_at is not None:
        return "delete" if event.google_event_id else None
    return "insert" if event.google_event_id is None else "patch"


def _push_batch(context: SyncContext, api: Any, events: list[CalendarEvent]) -> None:
    """Up to 50 calls in one HTTP round trip; a call that failed transiently is retried alone."""
    results: dict[str, tuple[Any, HttpError | None]] = {}

    def collect(request_id: str, response: Any, exception: HttpError | None) -> None:
        results[request_id] = (response, exception)

    endpoint = (context.settings.GOOGLE_API_ENDPOINT or "https://www.googleapis.com").rstrip("/")
    batch = WireBatch(callback=collect, batch_uri=f"{endpoint}/batch/calendar/v3")
    planned: dict[str, tuple[str, CalendarEvent]] = {}
    for event in events:
        action = _action_for(event)
        if action is None:  # made and deleted here before it ever reached Google
            event.sync_state = SyncState.SYNCED
            context.session.add(event)
            continue
        planned[event.id] = (action, event)
        batch.add(_request_for(context, api, action, event), request_id=event.id)
    if not planned:
        return

    def run_batch() -> None:
        for _ in planned:
            context.limiter.acquire(context.account)
        context.requests += 1
        results.clear()
        batch.execute()

    context.retry.call(run_batch)
    accepted: list[dict[str, Any]] = []
    for request_id, (action, event) in planned.items():
        response, error = results.get(request_id, (None, None))
        if error is not None and classify(error).retryable:
            try:
                response, error = context.execute(_request_for(context, api, action, event)), None
            except HttpError as again:
                response, error = None, again
        if error is None:
            accepted.append(_accepted_row(context, action, event, response))
        else:
            _settle(context, action, event, error)
    _write_accepted(context, [event for _, event in planned.values()], accepted)


#: What Google's answer to a call it accepted changes in the session's row.
_ACCEPTED = ("google_event_id", "google_calendar_id", "google_etag", "google_updated_at")
_WRITE_ACCEPTED = (
    sa.update(_EVENTS)
    .where(_EVENTS.c.id == sa.bindparam("row_id"))
    .values(
        {name: sa.bindparam(f"new_{name}", type_=_EVENTS.c[name].type) for name in _ACCEPTED}
        | {"sync_state": SyncState.SYNCED}
    )
)


def _accepted_row(
    context: SyncContext, action: str, event: CalendarEvent, response: Any
) -> dict[str, Any]:
    """The parameters of `_WRITE_ACCEPTED` for one call Google accepted."""
    values: tuple[Any, ...]
    if action == "delete":  # the event keeps its Google id (a later 409 finds it cancelled)
        values = (event.google_event_id, event.google_calendar_id, None, event.google_updated_at)
    else:
        remote = GoogleEvent(response)
        calendar_id = event.google_calendar_id or context.sync_settings.default_calendar_id
        values = (remote.id, calendar_id, remote.etag, remote.updated)
    return {"row_id": event.id} | {f"new_{n}": v for n, v in zip(_ACCEPTED, values, strict=True)}


def _write_accepted(
    context: SyncContext, events: list[CalendarEvent], rows: list[dict[str, Any]]
) -> None:
    """The batch's accepted calls as one executemany UPDATE instead of an ORM flush of each
    object (which cost as much as the round trip); the objects are expired, not patched."""
    if not rows:
        return
    context.session.execute(_WRITE_ACCEPTED, rows)
    context.run.pushed += len(rows)
    accepted = {row["row_id"] for row in rows}
    for event in events:
        if event.id in accepted:
            context.session.expire(event)


def _settle(context: SyncContext, action: str, event: CalendarEvent, error: HttpError) -> None:
    """A call Google refused: a duplicate, a stale etag, a gone event, or a failure to log."""
    from integrations.google_calendar import sync  # imports this module: reached at call time

    session = context.session
    calendar_id = event.google_calendar_id or context.sync_settings.default_calendar_id
    kind = classify(error).kind
    if action == "insert" and kind is ErrorKind.CONFLICT:
        # 409 duplicate: our id is already there: an earlier insert whose answer was lost, or
        # our event deleted in Google (a deleted event keeps its id) while the session changed
        # here later. That one is brought back with our version, not linked as it lies.
        api = context.service.events()
        remote = GoogleEvent(context.execute(api.get(calendarId=calendar_id, eventId=event.id)))
        if remote.is_cancelled:
            body = google_body(event) | {"status": "confirmed"}
            remote = GoogleEvent(
                context.execute(
                    api.patch(
                        calendarId=calendar_id, eventId=event.id, body=body, sendUpdates="none"
                    )
                )
            )
        event.google_event_id = remote.id
        event.google_calendar_id = calendar_id
        event.google_etag = remote.etag
        event.sync_state = SyncState.SYNCED
        context.run.pushed += 1
    elif action == "delete" and kind in (ErrorKind.GONE, ErrorKind.NOT_FOUND):
        event.sync_state = SyncState.SYNCED  # already gone: that is what we wanted
    elif action == "patch" and kind is ErrorKind.PRECONDITION_FAILED:
        remote = GoogleEvent(
            context.execute(
                context.service.events().get(calendarId=calendar_id, eventId=event.google_event_id)
            )
        )
        if sync._local_wins(context, event, remote):
            sync._record_conflict(context, event, remote, winner="local")
            event.google_etag = remote.etag  # the next run's patch carries the fresh etag
        else:
            try:
                fields = remote.local_fields(context.trainer.timezone)
            except UnusableEvent as unusable:
                # Google's version cannot be stored: keep ours, pending, and say why.
                sync._skip_event(context, calendar_id, remote, str(unusable))
                session.add(event)
                return
            sync._record_conflict(context, event, remote, winner="google")
            assign_fields(event, fields)
    elif action == "patch" and kind in (ErrorKind.GONE, ErrorKind.NOT_FOUND):
        event.google_event_id = None  # deleted in Google, changed here: recreate it next run
        event.google_etag = None
    elif kind in (ErrorKind.QUOTA_EXCEEDED, ErrorKind.NEEDS_REAUTH):
        raise sync.SyncAborted(kind, sync._describe(error))
    else:
        # Still failing after the retries (5xx, 429, ...), it stays pending and the next run
        # tries again; only an error that would fail the same way every time marks it.
        if not classify(error).retryable:
            event.sync_state = SyncState.ERROR
        audit.record(
            session,
            "push_failed",
            f"{action} of '{event.title}' failed: {sync._describe(error)}",
            level=LogLevel.WARNING,
            trainer_id=context.trainer.id,
            integration=Integration.GOOGLE_CALENDAR,
            sync_run_id=context.run.id,
            details={"event_id": event.id, "kind": kind.value},
        )
    session.add(event)
