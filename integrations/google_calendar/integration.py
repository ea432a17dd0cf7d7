"""Google Calendar as the product's first integration: its answers to `IntegrationPort`.

Registered as a built-in (`integrations.core.registry.BUILT_IN`). Each member hands over to the
module that holds the concept; those are imported when first asked for, so that the registry can
load this adapter (to classify an error, say) without importing the sync engine or the worker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from db.models import Integration
from integrations.config import Settings
from integrations.core.failures import Classified
from integrations.core.integration import (
    AlertFindings,
    IntegrationTile,
    PeriodicJob,
    TrainerConnection,
)
from integrations.core.webhooks import WebhookReceiver
from integrations.google_calendar.errors import classify_google_error


@dataclass(frozen=True)
class GoogleCalendarIntegration:
    name: str = Integration.GOOGLE_CALENDAR.value

    def classify_error(self, error: BaseException) -> Classified | None:
        return classify_google_error(error)

    def health_tile(self, session: Session, now: datetime) -> IntegrationTile:
        from integrations.google_calendar import monitoring

        return monitoring.health_tile(session, now)

    def trainer_connections(
        self, session: Session, trainer_ids: sa.Select[Any]
    ) -> Mapping[str, TrainerConnection]:
        from integrations.google_calendar import monitoring

        return monitoring.trainer_connections(session, trainer_ids)

    def alert_rules(self) -> Mapping[str, timedelta]:
        from integrations.google_calendar import alert_rules

        return alert_rules.RESOLVE_AFTER_BY_RULE

    def alert_findings(
        self, session: Session, now: datetime, trainer_id: str | None = None
    ) -> AlertFindings:
        from integrations.google_calendar import alert_rules

        return alert_rules.findings(session, now, trainer_id)

    def periodic_jobs(self) -> Sequence[PeriodicJob]:
        from integrations.google_calendar import periodic

        return periodic.PERIODIC_JOBS

    def after_local_change(self, session: Session, trainer_id: str) -> None:
        from integrations.google_calendar import service

        service.after_local_change(trainer_id, session=session)

    def webhook_receivers(self, settings: Settings) -> Sequence[WebhookReceiver[Any]]:
        from integrations.google_calendar.webhook import GooglePushReceiver

        return (GooglePushReceiver(settings),)


GOOGLE_CALENDAR = GoogleCalendarIntegration()
