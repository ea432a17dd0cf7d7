"""The integration log: errors and important events, kept in the store and written to the log."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from sqlmodel import Session

from db.models import IntegrationLog, LogLevel
from integrations.config import ConfigurationError, get_settings
from integrations.core.logging import Redactor, redact_value

log = logging.getLogger("integrations.audit")

_LEVELS = {
    LogLevel.INFO: logging.INFO,
    LogLevel.WARNING: logging.WARNING,
    LogLevel.ERROR: logging.ERROR,
}


@lru_cache(maxsize=4)
def _redactor(secret_values: tuple[str, ...]) -> Redactor:
    return Redactor(secret_values)


def _configured_redactor() -> Redactor:
    try:
        values = tuple(get_settings().secret_values())
    except ConfigurationError:  # a store row must never wait on a setting
        values = ()
    return _redactor(values)


def record(
    session: Session,
    event: str,
    message: str = "",
    *,
    level: LogLevel = LogLevel.INFO,
    trainer_id: str | None = None,
    integration: str | None = None,
    actor_user_id: str | None = None,
    sync_run_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> IntegrationLog:
    """Add a log entry to the caller's session (committed with the caller's change). The message
    and details are scrubbed like log lines: managers read these rows and export them."""
    redactor = _configured_redactor()
    message = redactor(message)
    entry = IntegrationLog(
        level=level,
        event=event,
        message=message,
        trainer_id=trainer_id,
        integration=integration,
        actor_user_id=actor_user_id,
        sync_run_id=sync_run_id,
        details=redact_value(details or {}, redactor),
    )
    session.add(entry)
    log.log(
        _LEVELS[level],
        message or event,
        extra={
            "event": event,
            "trainer_id": trainer_id,
            "integration": integration,
            "user_id": actor_user_id,
            "sync_run_id": sync_run_id,
        },
    )
    return entry
