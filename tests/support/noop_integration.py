"""A throwaway fifth integration, for tests that a new integration appears everywhere the
product lists integrations (health, the trainers' overview, the worker's schedule) without
their code changing: it fills in `IntegrationPort` and nothing else."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from integrations.config import Settings
from integrations.core.failures import Classified, ErrorKind
from integrations.core.integration import (
    AlertFinding,
    AlertFindings,
    IntegrationHealth,
    IntegrationTile,
    PeriodicJob,
    Status,
    TrainerConnection,
)
from integrations.core.webhooks import WebhookReceiver

NAME = "noop"
#: Its one alert rule: the trainer's noop connection is down (resolved as soon as it is up).
DOWN = "noop_down"


class NoopGatewayDown(Exception):
    """What the noop provider's SDK would raise."""


@dataclass
class NoopIntegration:
    """Every trainer is connected (account `noop:<trainer id>`); the tile counts them."""

    name: str = NAME
    #: The `now` of each time the worker ran its periodic job.
    ticks: list[datetime] = field(default_factory=list)
    #: Trainers whose connection is down now: `noop_down` fires for each.
    down: dict[str, str] = field(default_factory=dict)
    #: The trainer of each committed change to a CRM session it was told of.
    local_changes: list[str] = field(default_factory=list)

    def classify_error(self, error: BaseException) -> Classified | None:
        if isinstance(error, NoopGatewayDown):
            return Classified(ErrorKind.TRANSIENT, 503, "noop_down", None)
        return None

    def health_tile(self, session: Session, now: datetime) -> IntegrationTile:
        trainers = session.execute(sa.text("SELECT count(*) FROM trainers")).scalar_one()
        by_status = {"connected": int(trainers), "needs_reauth": 0, "error": 0}
        by_status |= {"disconnected": 0, "not_connected": 0}
        return IntegrationTile(IntegrationHealth(NAME, Status.CONNECTED, now, 0), by_status)

    def trainer_connections(
        self, session: Session, trainer_ids: sa.Select[Any]
    ) -> Mapping[str, TrainerConnection]:
        return {
            trainer_id: TrainerConnection("connected", f"noop:{trainer_id}")
            for trainer_id in session.execute(trainer_ids).scalars()
        }

    def alert_rules(self) -> Mapping[str, timedelta]:
        return {DOWN: timedelta(0)}

    def alert_findings(
        self, session: Session, now: datetime, trainer_id: str | None = None
    ) -> AlertFindings:
        return AlertFindings(
            [
                AlertFinding(DOWN, down, name, "alert.needs_reauth.body", detail="down")
                for down, name in self.down.items()
                if trainer_id in (None, down)
            ]
        )

    def periodic_jobs(self) -> Sequence[PeriodicJob]:
        def noop_heartbeat(session: Session, now: datetime) -> None:
            self.ticks.append(now)

        return (noop_heartbeat,)

    def after_local_change(self, session: Session, trainer_id: str) -> None:
        self.local_changes.append(trainer_id)

    def webhook_receivers(self, settings: Settings) -> Sequence[WebhookReceiver[Any]]:
        return ()
