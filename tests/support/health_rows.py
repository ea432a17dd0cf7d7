"""Rows of the store as the sync engine leaves them, written directly for health and alert tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from db.models import (
    ConnectionStatus,
    GoogleCalendarSyncSettings,
    Integration,
    IntegrationCredential,
    IntegrationLog,
    LogLevel,
    RunOutcome,
    SyncFrequency,
    SyncRun,
    SyncTrigger,
    WebhookChannel,
)


def connect(
    session: Session,
    trainer_id: str,
    *,
    at: datetime,
    status: ConnectionStatus = ConnectionStatus.CONNECTED,
    frequency: SyncFrequency = SyncFrequency.HOURLY,
    auto_sync: bool = True,
) -> IntegrationCredential:
    credential = IntegrationCredential(
        trainer_id=trainer_id,
        integration=Integration.GOOGLE_CALENDAR,
        status=status,
        account_email=f"{trainer_id}@gmail.test",
        created_at=at,
        updated_at=at,
    )
    session.add(credential)
    session.add(
        GoogleCalendarSyncSettings(
            trainer_id=trainer_id,
            sync_frequency=frequency,
            auto_sync_enabled=auto_sync,
            updated_at=at,
        )
    )
    session.commit()
    return credential


def sync_run(
    session: Session,
    trainer_id: str,
    started_at: datetime,
    outcome: RunOutcome = RunOutcome.SUCCESS,
    *,
    duration_ms: int | None = 1000,
    error_kind: str | None = None,
    error: str | None = None,
    http_requests: int = 0,
    rate_limited: int = 0,
    logged: bool = True,
    trigger: SyncTrigger = SyncTrigger.SCHEDULE,
    changes: int = 0,
) -> SyncRun:
    """A finished run; `logged` adds the line the sync engine writes when a run ends, `changes`
    counts events it changed locally from Google."""
    failed = outcome is RunOutcome.FAILED
    run = SyncRun(
        trainer_id=trainer_id,
        trigger=trigger,
        started_at=started_at,
        finished_at=None
        if outcome is RunOutcome.RUNNING
        else started_at + timedelta(milliseconds=duration_ms or 0),
        outcome=outcome,
        duration_ms=duration_ms,
        error_kind=error_kind or ("transient" if failed else None),
        error=error or ("Google answered 503" if failed else None),
        http_requests=http_requests,
        rate_limited=rate_limited,
        updated=changes,
    )
    session.add(run)
    session.flush()
    if logged and outcome is not RunOutcome.RUNNING:
        session.add(
            IntegrationLog(
                at=run.finished_at or started_at,
                level=LogLevel.ERROR if failed else LogLevel.INFO,
                integration=Integration.GOOGLE_CALENDAR.value,
                trainer_id=trainer_id,
                sync_run_id=run.id,
                event="sync_failed" if failed else "sync_finished",
                message=run.error or "fetched 0, created 0",
                details={"error_kind": run.error_kind, "http_requests": run.http_requests},
            )
        )
    session.commit()
    return run


def log_line(
    session: Session,
    at: datetime,
    message: str,
    *,
    level: LogLevel = LogLevel.ERROR,
    trainer_id: str | None = None,
    integration: str | None = Integration.GOOGLE_CALENDAR.value,
    event: str = "something_failed",
    sync_run_id: str | None = None,
) -> IntegrationLog:
    line = IntegrationLog(
        at=at,
        level=level,
        integration=integration,
        trainer_id=trainer_id,
        event=event,
        message=message,
        sync_run_id=sync_run_id,
    )
    session.add(line)
    session.commit()
    return line


def channel(
    session: Session,
    trainer_id: str,
    *,
    created_at: datetime,
    expires_at: datetime | None,
    last_notified_at: datetime | None = None,
    stopped_at: datetime | None = None,
    calendar_id: str = "primary",
) -> WebhookChannel:
    opened = WebhookChannel(
        trainer_id=trainer_id,
        calendar_id=calendar_id,
        channel_id=f"ch-{trainer_id[:8]}-{created_at.timestamp():.0f}-{calendar_id}",
        token_encrypted="not-a-real-token",
        created_at=created_at,
        expires_at=expires_at,
        last_notified_at=last_notified_at,
        stopped_at=stopped_at,
    )
    session.add(opened)
    session.commit()
    return opened
