"""What the worker runs for Google Calendar every minute: close runs whose worker is gone,
queue the syncs that are due, refresh tokens about to expire. Each is safe to run twice."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from db.models import SyncTrigger
from integrations.core.integration import PeriodicJob
from integrations.google_calendar import jobs
from integrations.processes import worker


def close_interrupted_google_syncs(session: Session, now: datetime) -> None:
    """Runs whose worker is gone (no live sync lease) are closed, so their trainer syncs again."""
    jobs.close_interrupted_runs(session, now)


def schedule_google_syncs(session: Session, now: datetime) -> None:
    for trainer_id in jobs.due_syncs(session, now):
        worker.enqueue_sync(trainer_id, SyncTrigger.SCHEDULE)


def refresh_expiring_google_tokens(session: Session, now: datetime) -> None:
    for credential_id in jobs.expiring_credentials(session, now):
        worker.refresh_google_token(credential_id)


#: In this order: a run closed as interrupted makes its trainer due again in the same tick.
PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    close_interrupted_google_syncs,
    schedule_google_syncs,
    refresh_expiring_google_tokens,
)
