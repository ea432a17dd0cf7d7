"""The Google Calendar functions pages call: each opens its own short session and uses the
process's settings and keys, so a page needs nothing but the acting user."""

from __future__ import annotations

from typing import Any

from db.models import GoogleCalendarSyncSettings
from integrations.config import get_settings
from integrations.core.access import Actor
from integrations.core.crypto import cipher_from_settings
from integrations.google_calendar import connection, status
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
    settings = get_settings()
    with open_session() as session:
        return connection.handle_google_oauth_callback(
            actor,
            code=code,
            state=state,
            error=error,
            session=session,
            settings=settings,
            cipher=cipher_from_settings(settings),
        )


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
