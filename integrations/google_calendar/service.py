"""The Google Calendar functions pages call: each opens its own short session and uses the
process's settings and keys, so a page needs nothing but the acting user."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from db.models import GoogleCalendarSyncSettings, SyncTrigger
from integrations.config import get_settings
from integrations.core.access import Actor, Capability
from integrations.core.crypto import cipher_from_settings
from integrations.google_calendar import channels, connection, manual, status
from integrations.processes.worker import enqueue_sync
from integrations.runtime import session as open_session


def connect_url(actor: Actor, trainer_id: str) -> str:
    settings = get_settings()
    with open_session() as session:
        return connection.initiate_google_oauth(
            actor,
            trainer_id,
            session=session,
            settings=settings,
            cipher=cipher_from_settings(settings),
        )


def finish_connection(
    actor: Actor, *, code: str | None, state: str, error: str | None
) -> connection.ConnectedAccount:
    """Finish the consent, then queue the first sync so events appear without a click."""
    settings = get_settings()
    with open_session() as session:
        connected = connection.handle_google_oauth_callback(
            actor,
            code=code,
            state=state,
            error=error,
            session=session,
            settings=settings,
            cipher=cipher_from_settings(settings),
        )
    if actor.trainer_id is not None:
        enqueue_sync(actor.trainer_id, SyncTrigger.MANUAL)
    return connected


def request_sync(actor: Actor, trainer_id: str) -> bool:
    """A manual sync, run by the worker; False when one is already waiting."""
    actor.require(Capability.TRIGGER_SYNC, trainer_id)
    return enqueue_sync(trainer_id, SyncTrigger.MANUAL)


def after_local_change(trainer_id: str, *, session: Session) -> None:
    """A CRM session changed (committed): realtime trainers get it in Google within seconds.
    Called by the domain (`integrations.crm.bookings`), never by a page."""
    sync_settings = session.get(GoogleCalendarSyncSettings, trainer_id)
    connected = status.get_google_calendar_status_unchecked(trainer_id, session=session).connected
    if connected and sync_settings is not None and channels.wants_channels(sync_settings):
        enqueue_sync(trainer_id, SyncTrigger.MANUAL, delay=1)


def disconnect(actor: Actor, trainer_id: str, *, keep_events: bool) -> int:
    settings = get_settings()
    with open_session() as session:
        return connection.disconnect_google(
            actor,
            trainer_id,
            keep_events=keep_events,
            session=session,
            settings=settings,
            cipher=cipher_from_settings(settings),
        )


def google_status(actor: Actor, trainer_id: str) -> status.GoogleCalendarStatus:
    with open_session() as session:
        return status.get_google_calendar_status(actor, trainer_id, session=session)


def update_settings(
    actor: Actor, trainer_id: str, changes: dict[str, Any]
) -> GoogleCalendarSyncSettings:
    with open_session() as session:
        return status.update_google_calendar_sync_settings(
            actor, trainer_id, changes, session=session
        )


def start_manual_sync(actor: Actor, trainer_ids: list[str]) -> manual.ManualBatch:
    """Queue one sync per connected trainer on the worker; the page follows the runs."""
    with open_session() as session:
        batch = manual.plan_manual_sync(actor, trainer_ids, session=session)
    for trainer_id in batch.queued:
        enqueue_sync(trainer_id, SyncTrigger.MANUAL)
    return batch


def manual_progress(
    actor: Actor, trainer_ids: list[str], since: Any
) -> list[manual.TrainerProgress]:
    with open_session() as session:
        return manual.manual_sync_progress(actor, trainer_ids, since, session=session)
