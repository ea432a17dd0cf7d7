"""What the worker does for Google Calendar: run syncs, keep tokens fresh, schedule the rest.

Each job opens its own session; each is safe to run twice (two workers, a retried task).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from sqlmodel import Session, col, select

from db.models import (
    ConnectionStatus,
    GoogleCalendarSyncSettings,
    Integration,
    IntegrationCredential,
    RunOutcome,
    SyncFrequency,
    SyncRun,
    SyncTrigger,
    utcnow,
)
from integrations.config import get_settings
from integrations.core.crypto import DecryptionError, cipher_from_settings
from integrations.core.ratelimit import shared_google_rate_limiter
from integrations.core.retry import ErrorKind, classify
from integrations.google_calendar import sync
from integrations.google_calendar.client import credentials_for
from integrations.google_calendar.status import FREQUENCY_INTERVAL, REALTIME_BACKSTOP
from integrations.runtime import session as open_session

log = logging.getLogger(__name__)

#: Tokens are refreshed this long before they expire, so a sync never starts on a dying token.
REFRESH_AHEAD = timedelta(minutes=10)
#: A failed run is retried by the schedule after this long (growing with each failure).
FAILED_RETRY_BASE = timedelta(minutes=5)
#: The lease a worker holds while it syncs one trainer: runs of one trainer never overlap.
SYNC_LEASE = "google-sync:{trainer_id}"


def sync_lease_name(trainer_id: str) -> str:
    return SYNC_LEASE.format(trainer_id=trainer_id)


def close_interrupted_runs(session: Session, now: datetime) -> list[str]:
    """Runs still `running` whose trainer's sync lease has lapsed lost their worker (SIGKILL, a
    lost machine): close them as interrupted, so the schedule and "Sync now" run that trainer
    again instead of showing a run that never ends."""
    return sync._close_interrupted_runs(session, None, now=now, unless_leased_as=SYNC_LEASE)


def run_sync(trainer_id: str, trigger: SyncTrigger) -> dict[str, Any]:
    settings = get_settings()
    with open_session() as session:
        run = sync.sync_google_calendar(
            trainer_id,
            trigger=trigger,
            session=session,
            settings=settings,
            cipher=cipher_from_settings(settings),
            limiter=shared_google_rate_limiter(settings.REDIS_URL or "memory://"),
        )
        return {"run_id": run.id, "outcome": run.outcome.value, "error": run.error}


def trainer_of(credential_id: str) -> str | None:
    with open_session() as session:
        credential = session.get(IntegrationCredential, credential_id)
        return credential.trainer_id if credential is not None else None


def refresh_token(credential_id: str) -> bool:
    """Refresh one access token ahead of expiry; a revoked grant becomes `needs_reauth`."""
    settings = get_settings()
    cipher = cipher_from_settings(settings)
    with open_session() as session:
        credential = session.get(IntegrationCredential, credential_id)
        if credential is None or credential.status is not ConnectionStatus.CONNECTED:
            return False
        try:
            credentials = credentials_for(credential, settings, cipher)
        except DecryptionError:
            # A key was dropped before this token was re-encrypted: only a new consent mends it.
            sync.mark_needs_reauth(session, credential, sync.UNREADABLE_ACCESS)
            return False
        try:
            with requests.Session() as http:
                credentials.refresh(Request(http))  # type: ignore[no-untyped-call]
        except RefreshError as failure:
            if classify(failure).kind is ErrorKind.NEEDS_REAUTH:
                sync.mark_needs_reauth(session, credential, "Google refused to refresh the access")
            return False
        credential.access_token_encrypted = cipher.encrypt(str(credentials.token))
        if credentials.expiry is not None:
            credential.token_expires_at = credentials.expiry.replace(tzinfo=UTC)
        credential.updated_at = utcnow()
        session.add(credential)
        session.commit()
        return True


def due_syncs(session: Session, now: datetime) -> list[str]:
    """Trainers whose schedule says sync now: hourly, daily, the realtime backstop, retries."""
    rows = session.exec(
        select(IntegrationCredential.trainer_id, GoogleCalendarSyncSettings)
        .join(
            GoogleCalendarSyncSettings,
            col(GoogleCalendarSyncSettings.trainer_id) == col(IntegrationCredential.trainer_id),
        )
        .where(
            IntegrationCredential.integration == Integration.GOOGLE_CALENDAR,
            IntegrationCredential.status == ConnectionStatus.CONNECTED,
            col(GoogleCalendarSyncSettings.auto_sync_enabled),
        )
    ).all()
    due = []
    for trainer_id, settings in rows:
        recent = session.exec(
            select(SyncRun.started_at, SyncRun.outcome)
            .where(
                SyncRun.trainer_id == trainer_id, SyncRun.integration == Integration.GOOGLE_CALENDAR
            )
            .order_by(col(SyncRun.started_at).desc())
            .limit(5)
        ).all()
        if not recent:
            due.append(trainer_id)
            continue
        last_started, last_outcome = recent[0]
        interval = FREQUENCY_INTERVAL.get(settings.sync_frequency, REALTIME_BACKSTOP)
        if last_outcome is RunOutcome.FAILED:
            failures = next(
                (i for i, (_, o) in enumerate(recent) if o is not RunOutcome.FAILED), len(recent)
            )
            interval = min(interval, FAILED_RETRY_BASE * (2 ** (failures - 1)))
        if (
            settings.sync_frequency is SyncFrequency.REALTIME
            and last_outcome is not RunOutcome.FAILED
        ):
            interval = REALTIME_BACKSTOP
        if now - last_started >= interval:
            due.append(trainer_id)
    return due


def expiring_credentials(session: Session, now: datetime) -> list[str]:
    return list(
        session.exec(
            select(IntegrationCredential.id).where(
                IntegrationCredential.integration == Integration.GOOGLE_CALENDAR,
                IntegrationCredential.status == ConnectionStatus.CONNECTED,
                col(IntegrationCredential.refresh_token_encrypted).is_not(None),
                col(IntegrationCredential.token_expires_at) < now + REFRESH_AHEAD,
            )
        ).all()
    )
