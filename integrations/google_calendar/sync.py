"""The sync engine: Google Calendar and the CRM's sessions, in the direction the trainer chose.

Pull: per calendar, a full list (2,500 a page) the first time, then incremental with the stored
sync token; a 410 clears the token, lists again and reconciles, since a full list carries no
tombstones. Push: CRM sessions created, changed or deleted since the last sync, in batches of 50,
with client-chosen event ids (a retried insert cannot duplicate), If-Match etags and
sendUpdates=none. Both sides changed: the most recent change wins, and both versions are kept.

Every step commits before the next call to Google, so a worker killed mid-run loses nothing: the
next run starts from what was committed and converges.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from db.models import (
    CalendarEvent,
    CalendarSyncState,
    ConnectionStatus,
    GoogleCalendarSyncSettings,
    Integration,
    IntegrationCredential,
    LogLevel,
    RunOutcome,
    SyncConflict,
    SyncDirection,
    SyncRun,
    SyncState,
    SyncTrigger,
    Trainer,
    utcnow,
)
from integrations.config import Settings
from integrations.core import audit
from integrations.core.crypto import DecryptionError, TokenCipher
from integrations.core.ratelimit import RateLimiter
from integrations.core.retry import ErrorKind, RetryPolicy, classify
from integrations.google_calendar import channels, pull, push
from integrations.google_calendar.client import calendar_service, credentials_for
from integrations.google_calendar.events import GoogleEvent, local_version

# Re-exported: callers (bench/) still read the batch size here.
from integrations.google_calendar.push import BATCH_SIZE as BATCH_SIZE

log = logging.getLogger(__name__)

PAGE_SIZE = 2500
#: The error kind of a run stopped by something no known kind covers (a bug, a store refusal).
INTERNAL = "internal"
UNREADABLE_ACCESS = (
    "the stored Google access cannot be read with the configured keys; reconnect Google"
)


class SyncAborted(Exception):
    """The run cannot go on (re-auth needed, quota exhausted, ...); `kind` says why."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class SyncContext:
    """What one run needs and counts; built per run (httplib2 is not thread-safe)."""

    session: Session
    settings: Settings
    trainer: Trainer
    credential: IntegrationCredential
    sync_settings: GoogleCalendarSyncSettings
    run: SyncRun
    service: Any
    limiter: RateLimiter
    retry: RetryPolicy
    account: str
    requests: int = 0
    rate_limited: int = 0
    #: The mark of the full listing in progress (pull.new_listing), None when incremental.
    listing: str | None = None
    #: The store held no event of the calendar by Google id when this full listing began (the
    #: first sync after connecting): its pages look up no held events, see _store_page.
    held_none: bool = False

    def execute(self, request: HttpRequest, calls: int = 1) -> Any:
        """One HTTP round trip to Google: rate-limited, retried when transient, counted."""

        def attempt() -> Any:
            for _ in range(calls):
                self.limiter.acquire(self.account)
            self.requests += 1
            return request.execute()

        return self.retry.call(attempt)


def _count_retry(context_holder: list[SyncContext]) -> Any:
    def on_retry(classified: Any, attempt: int, delay: float) -> None:
        if context_holder and classified.kind is ErrorKind.RATE_LIMITED:
            context_holder[0].rate_limited += 1

    return on_retry


def sync_google_calendar(
    trainer_id: str,
    *,
    trigger: SyncTrigger,
    session: Session,
    settings: Settings,
    cipher: TokenCipher,
    limiter: RateLimiter,
    retry: RetryPolicy | None = None,
) -> SyncRun:
    """Run one sync of the trainer's Google Calendar now; the run record says how it went."""
    trainer = session.get(Trainer, trainer_id)
    credential = session.exec(
        select(IntegrationCredential).where(
            IntegrationCredential.trainer_id == trainer_id,
            IntegrationCredential.integration == Integration.GOOGLE_CALENDAR,
        )
    ).first()
    if trainer is None or credential is None:
        raise SyncAborted(ErrorKind.INVALID, "this trainer has no Google connection")
    sync_settings = session.get(
        GoogleCalendarSyncSettings, trainer_id
    ) or GoogleCalendarSyncSettings(trainer_id=trainer_id)
    _close_interrupted_runs(session, trainer_id)
    run = SyncRun(
        trainer_id=trainer_id, trigger=trigger, calendar_id=sync_settings.default_calendar_id
    )
    session.add(run)
    session.commit()
    run_id = run.id
    try:
        return _start(
            session,
            run,
            trainer,
            credential,
            sync_settings,
            settings=settings,
            cipher=cipher,
            limiter=limiter,
            retry=retry,
        )
    except Exception as failure:  # every run ends with an outcome, whatever broke
        return _close_after_crash(session, run_id, failure)


def _close_after_crash(session: Session, run_id: str, failure: Exception) -> SyncRun:
    """Something no known kind covers stopped the run: record it as failed, never leave it
    running (the next run would start from the same place and fail the same way unseen)."""
    log.error(
        "sync run %s stopped on an unexpected %s",
        run_id,
        type(failure).__name__,
        exc_info=failure,
        extra={"event": "sync_crashed", "sync_run_id": run_id, "integration": "google_calendar"},
    )
    message = (
        f"the sync stopped on an unexpected error ({type(failure).__name__}); "
        "the worker log has the details"
    )
    session.rollback()
    try:
        run = session.get(SyncRun, run_id)
        if run is not None:
            return _finish(session, run, None, RunOutcome.FAILED, message, INTERNAL)
    except Exception:  # the store itself fails: close the run by one update
        log.exception("recording the failed sync run %s failed", run_id)
        session.rollback()
    session.execute(
        sa.update(SyncRun)
        .where(col(SyncRun.id) == run_id, col(SyncRun.outcome) == RunOutcome.RUNNING)
        .values(outcome=RunOutcome.FAILED, error=message, error_kind=INTERNAL, finished_at=utcnow())
    )
    session.commit()
    closed = session.get(SyncRun, run_id)
    if closed is None:
        raise failure
    session.refresh(closed)
    return closed


def _start(
    session: Session,
    run: SyncRun,
    trainer: Trainer,
    credential: IntegrationCredential,
    sync_settings: GoogleCalendarSyncSettings,
    *,
    settings: Settings,
    cipher: TokenCipher,
    limiter: RateLimiter,
    retry: RetryPolicy | None,
) -> SyncRun:
    if credential.status is not ConnectionStatus.CONNECTED:
        return _finish(
            session, run, None, RunOutcome.FAILED, "reconnect Google first", ErrorKind.NEEDS_REAUTH
        )
    try:
        credentials = credentials_for(credential, settings, cipher)
    except DecryptionError:
        # A key was dropped before every token was re-encrypted: only a new consent mends it.
        mark_needs_reauth(session, credential, UNREADABLE_ACCESS)
        return _finish(
            session, run, None, RunOutcome.FAILED, UNREADABLE_ACCESS, ErrorKind.NEEDS_REAUTH
        )

    holder: list[SyncContext] = []
    policy = retry or RetryPolicy()
    policy.on_retry = _count_retry(holder)
    token_before = credentials.token
    context = SyncContext(
        session=session,
        settings=settings,
        trainer=trainer,
        credential=credential,
        sync_settings=sync_settings,
        run=run,
        service=calendar_service(credentials, settings),
        limiter=limiter,
        retry=policy,
        account=credential.account_email or trainer.id,
    )
    holder.append(context)
    started = time.perf_counter()
    try:
        return _run(context, credentials, token_before, cipher, started)
    finally:
        context.service.close()


def _run(
    context: SyncContext,
    credentials: Any,
    token_before: str | None,
    cipher: TokenCipher,
    started: float,
) -> SyncRun:
    session, run, sync_settings = context.session, context.run, context.sync_settings
    try:
        if sync_settings.sync_direction is not SyncDirection.TO_GOOGLE:
            for calendar_id in _calendars_to_pull(sync_settings):
                _pull_calendar(context, calendar_id)
        if sync_settings.sync_direction is not SyncDirection.FROM_GOOGLE:
            push.push_changes(context)
    except (HttpError, RefreshError, SyncAborted, OSError) as failure:
        session.rollback()
        kind = failure.kind if isinstance(failure, SyncAborted) else classify(failure).kind
        message = _describe(failure)
        if kind is ErrorKind.NEEDS_REAUTH:
            _needs_reauth(context, message)
        _persist_token(context, credentials, token_before, cipher)
        return _finish(session, run, context, RunOutcome.FAILED, message, kind, started)
    _keep_channels(context, cipher)
    _persist_token(context, credentials, token_before, cipher)
    return _finish(session, run, context, RunOutcome.SUCCESS, None, None, started)


def _keep_channels(context: SyncContext, cipher: TokenCipher) -> None:
    """Realtime calendars keep a live push channel; a failure here leaves polling to cover."""
    try:
        channels.ensure_channels(
            context.service,
            context.execute,
            trainer_id=context.trainer.id,
            calendar_ids=_calendars_to_pull(context.sync_settings)
            if context.sync_settings.sync_direction is not SyncDirection.TO_GOOGLE
            else [],
            sync_settings=context.sync_settings,
            settings=context.settings,
            cipher=cipher,
            session=context.session,
        )
    except (HttpError, OSError) as failure:
        context.session.rollback()
        audit.record(
            context.session,
            "channel_failed",
            f"could not open a push channel: {_describe(failure)}",
            level=LogLevel.WARNING,
            trainer_id=context.trainer.id,
            integration=Integration.GOOGLE_CALENDAR,
            sync_run_id=context.run.id,
        )
        context.session.commit()


def _close_interrupted_runs(
    session: Session,
    trainer_id: str | None,
    *,
    now: datetime | None = None,
    unless_leased_as: str | None = None,
) -> list[str]:
    """Close as interrupted the runs still marked running whose worker is gone; their ids.

    With `trainer_id` alone the caller holds that trainer's sync lease and runs of one trainer
    never overlap, so every running run of that trainer was killed mid-way. `unless_leased_as`
    (a lease name with `{trainer_id}` in it) spares the trainers whose lease is still live, as
    the tick needs. One UPDATE, so a run started under a lease taken meanwhile is never caught.
    """
    from db.models import Lease

    now = now or utcnow()
    statement = sa.update(SyncRun).where(col(SyncRun.outcome) == RunOutcome.RUNNING)
    if trainer_id is not None:
        statement = statement.where(col(SyncRun.trainer_id) == trainer_id)
    if unless_leased_as is not None:
        before, _, after = unless_leased_as.partition("{trainer_id}")
        live_lease = sa.exists().where(
            col(Lease.name) == sa.literal(before) + col(SyncRun.trainer_id) + sa.literal(after),
            col(Lease.expires_at) > now,
        )
        statement = statement.where(~live_lease)
    closed = session.execute(
        statement.values(
            outcome=RunOutcome.FAILED,
            error="interrupted (the worker stopped mid-run); the next sync resumes from there",
            error_kind="interrupted",
            finished_at=now,
        )
        .returning(col(SyncRun.id))
        .execution_options(synchronize_session=False)
    )
    run_ids = [str(run_id) for run_id in closed.scalars()]
    session.commit()
    for run_id in run_ids:
        log.warning(
            "sync run %s was interrupted: its worker stopped mid-run",
            run_id,
            extra={"event": "sync_interrupted", "sync_run_id": run_id},
        )
    return run_ids


def _calendars_to_pull(sync_settings: GoogleCalendarSyncSettings) -> list[str]:
    calendars = list(dict.fromkeys(sync_settings.import_calendar_ids or []))
    if sync_settings.default_calendar_id not in calendars:
        calendars.insert(0, sync_settings.default_calendar_id)
    return calendars


def _describe(failure: BaseException) -> str:
    if isinstance(failure, HttpError):
        classified = classify(failure)
        return f"Google answered {classified.status} {classified.reason or ''}".strip()
    if isinstance(failure, RefreshError):
        return "Google refused to refresh the access (the grant was revoked or expired)"
    return str(failure) or type(failure).__name__


def _persist_token(
    context: SyncContext, credentials: Any, token_before: str | None, cipher: TokenCipher
) -> None:
    """The client refreshed the token in place (expiry or a 401): keep the new one."""
    from datetime import UTC

    if credentials.token and credentials.token != token_before:
        credential = context.session.get(IntegrationCredential, context.credential.id)
        if credential is None:
            return
        credential.access_token_encrypted = cipher.encrypt(credentials.token)
        if credentials.expiry is not None:
            credential.token_expires_at = credentials.expiry.replace(tzinfo=UTC)
        credential.updated_at = utcnow()
        context.session.add(credential)
        context.session.commit()


def _needs_reauth(context: SyncContext, message: str) -> None:
    credential = context.session.get(IntegrationCredential, context.credential.id)
    if credential is not None:
        mark_needs_reauth(context.session, credential, message)


def mark_needs_reauth(session: Session, credential: IntegrationCredential, message: str) -> None:
    """Stop scheduled syncs for this connection until the trainer reconnects. It tells nobody:
    the alert engine raises `needs_reauth` from this state (the worker checks right after)."""
    if credential.status is ConnectionStatus.NEEDS_REAUTH:
        return
    credential.status = ConnectionStatus.NEEDS_REAUTH
    credential.last_error = message
    session.add(credential)
    audit.record(
        session,
        "google_needs_reauth",
        message,
        level=LogLevel.ERROR,
        trainer_id=credential.trainer_id,
        integration=Integration.GOOGLE_CALENDAR,
    )
    session.commit()


def _finish(
    session: Session,
    run: SyncRun,
    context: SyncContext | None,
    outcome: RunOutcome,
    error: str | None,
    kind: ErrorKind | str | None,
    started: float | None = None,
) -> SyncRun:
    run = session.get(SyncRun, run.id) or run
    run.outcome = outcome
    run.error = error
    run.error_kind = str(kind) if kind else None
    run.finished_at = utcnow()
    if started is not None:
        run.duration_ms = int((time.perf_counter() - started) * 1000)
    if context is not None:
        run.http_requests = context.requests
        run.rate_limited = context.rate_limited
        for name in ("fetched", "created", "updated", "deleted", "pushed", "conflicts"):
            setattr(run, name, getattr(context.run, name))
    session.add(run)
    audit.record(
        session,
        "sync_finished" if outcome is RunOutcome.SUCCESS else "sync_failed",
        error
        or f"fetched {run.fetched}, created {run.created}, updated {run.updated}, "
        f"deleted {run.deleted}, pushed {run.pushed}, conflicts {run.conflicts}",
        level=LogLevel.INFO if outcome is RunOutcome.SUCCESS else LogLevel.ERROR,
        trainer_id=run.trainer_id,
        integration=Integration.GOOGLE_CALENDAR,
        sync_run_id=run.id,
        details={"error_kind": run.error_kind, "http_requests": run.http_requests},
    )
    session.commit()
    return run


# --- Pull -----------------------------------------------------------------------------------


def _list_pages(
    context: SyncContext, calendar_id: str, sync_token: str | None
) -> Generator[dict[str, Any], None, None]:
    """events.list page after page; the next is fetched while this one is stored (pull.py)."""

    def fetch(page_token: str | None) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "calendarId": calendar_id,
            "maxResults": PAGE_SIZE,
            "singleEvents": True,
            "pageToken": page_token,
        }
        if sync_token:
            arguments["syncToken"] = sync_token
        page: dict[str, Any] = context.execute(context.service.events().list(**arguments))
        return page

    return pull.prefetched_pages(fetch)


def _pull_calendar(context: SyncContext, calendar_id: str) -> None:
    session = context.session
    state = session.get(CalendarSyncState, (context.trainer.id, calendar_id)) or CalendarSyncState(
        trainer_id=context.trainer.id, calendar_id=calendar_id
    )
    full = state.sync_token is None
    _begin_listing(context, calendar_id, full)
    try:
        next_token = _pull_pages(context, calendar_id, state.sync_token, full)
    except HttpError as failure:
        if classify(failure).kind is not ErrorKind.GONE:
            raise
        # 410 fullSyncRequired: the token expired; list everything again and reconcile.
        log.info(
            "sync token expired for %s, full sync",
            calendar_id,
            extra={
                "event": "full_sync_required",
                "trainer_id": context.trainer.id,
                "integration": "google_calendar",
            },
        )
        full = True
        _begin_listing(context, calendar_id, full)
        next_token = _pull_pages(context, calendar_id, None, full)
    if context.listing is not None:
        pull.reconcile_full_list(context, calendar_id, context.listing)
    state = session.get(CalendarSyncState, (context.trainer.id, calendar_id)) or state
    state.sync_token = next_token
    state.last_sync_at = utcnow()
    if full:
        state.last_full_sync_at = state.last_sync_at
    session.add(state)
    session.commit()


def _begin_listing(context: SyncContext, calendar_id: str, full: bool) -> None:
    context.listing = pull.new_listing() if full else None
    context.held_none = full and not pull.holds_linked_events(
        context.session, context.trainer.id, calendar_id
    )


def _pull_pages(
    context: SyncContext, calendar_id: str, sync_token: str | None, full: bool
) -> str | None:
    next_token: str | None = None
    # Closed on the way out, whatever happened: no request of ours outlives this call.
    with closing(_list_pages(context, calendar_id, sync_token)) as pages:
        for page in pages:
            items = [GoogleEvent(item) for item in page.get("items", [])]
            next_token = page.get("nextSyncToken") or next_token
            del page
            _store_page(context, calendar_id, items)
            del items  # the loop variable would keep this page alive while the next is fetched
    return next_token


def _store_page(context: SyncContext, calendar_id: str, items: list[GoogleEvent]) -> None:
    """One page at a time: memory stays flat, progress is kept. When the store refuses the
    page, it is stored again one event at a time, so one bad event is skipped, not fatal.

    A full listing into a calendar the store held nothing of stores its pages without looking
    up held events: only its own earlier pages could have written any, and Google lists an
    event once. Were one listed again, its insert would be refused as a duplicate, and the
    event by event pass, which looks up as always, would update the row instead.
    """
    session = context.session
    try:
        context.run.fetched += len(items)
        _apply_page(context, calendar_id, items, held_none=context.held_none)
        session.commit()
        return
    except (SQLAlchemyError, ValueError) as failure:
        session.rollback()
        if len(items) <= 1:
            if items:
                _skip_event(context, calendar_id, items[0], _refusal(failure))
                session.commit()
                return
            raise
        page_failure = failure
    context.run.fetched += len(items)
    session.commit()
    stored = 0
    for item in items:
        try:
            _apply_page(context, calendar_id, [item])
            session.commit()
            stored += 1
        except (SQLAlchemyError, ValueError) as failure:
            session.rollback()
            _skip_event(context, calendar_id, item, _refusal(failure))
            session.commit()
    if stored == 0:
        raise page_failure  # every event refused: the store is failing, not one event


def _refusal(failure: Exception) -> str:
    """Why the store refused an event, without its values (they may hold anything)."""
    if isinstance(failure, SQLAlchemyError):
        original = getattr(failure, "orig", None)
        return f"the store refused it ({type(original or failure).__name__})"
    return f"it could not be stored ({type(failure).__name__})"


def _skip_event(context: SyncContext, calendar_id: str, item: GoogleEvent, reason: str) -> None:
    """Leave one Google event out of this run and say so where an operator looks."""
    event_id = str(item.raw.get("id", ""))[:200]
    log.warning(
        "skipped Google event %s of %s: %s",
        event_id,
        calendar_id,
        reason,
        extra={
            "event": "google_event_skipped",
            "trainer_id": context.trainer.id,
            "integration": "google_calendar",
            "sync_run_id": context.run.id,
        },
    )
    audit.record(
        context.session,
        "google_event_skipped",
        f"Google event {event_id} was not brought in: {reason}",
        level=LogLevel.WARNING,
        trainer_id=context.trainer.id,
        integration=Integration.GOOGLE_CALENDAR,
        sync_run_id=context.run.id,
        details={"google_event_id": event_id, "calendar_id": calendar_id, "reason": reason},
    )


def _apply_page(
    context: SyncContext, calendar_id: str, items: list[GoogleEvent], *, held_none: bool = False
) -> None:
    """One page in bulk (pull.py): a few statements a page, not an ORM object per event."""
    pull.apply_page(
        context,
        calendar_id,
        items,
        skip=lambda item, reason: _skip_event(context, calendar_id, item, reason),
        listing=context.listing,
        held_none=held_none,
    )


def _local_wins(context: SyncContext, local: CalendarEvent, item: GoogleEvent) -> bool:
    """The documented rule: the most recent change wins; a tie goes to Google."""
    if context.sync_settings.sync_direction is SyncDirection.FROM_GOOGLE:
        return False
    remote_changed = item.updated
    return remote_changed is None or local.updated_at > remote_changed


def _record_conflict(
    context: SyncContext, local: CalendarEvent, item: GoogleEvent, *, winner: str
) -> None:
    context.session.add(
        SyncConflict(
            trainer_id=context.trainer.id,
            event_id=local.id,
            sync_run_id=context.run.id,
            local_version=local_version(local),
            google_version=item.comparable(),
            winner=winner,
        )
    )
    if winner == "google":
        local.sync_state = SyncState.SYNCED
    else:
        local.sync_state = SyncState.PENDING
    context.run.conflicts += 1


def last_good_sync(session: Session, trainer_id: str) -> datetime | None:
    return session.exec(
        select(SyncRun.finished_at)
        .where(SyncRun.trainer_id == trainer_id, SyncRun.outcome == RunOutcome.SUCCESS)
        .order_by(col(SyncRun.started_at).desc())
        .limit(1)
    ).first()
