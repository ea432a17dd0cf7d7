"""A throwaway fifth integration, for tests that a new integration appears everywhere the
product lists integrations (health, the trainers' overview, the worker's schedule) without
their code changing: it fills in `IntegrationPort` and nothing else."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from integrations.core.failures import Classified, ErrorKind
from integrations.core.integration import (
    IntegrationHealth,
    IntegrationTile,
    PeriodicJob,
    Status,
    TrainerConnection,
)

NAME = "noop"


class NoopGatewayDown(Exception):
    """What the noop provider's SDK would raise."""


@dataclass
class NoopIntegration:
    """Every trainer is connected (account `noop:<trainer id>`); the tile counts them."""

    name: str = NAME
    #: The `now` of each time the worker ran its periodic job.
    ticks: list[datetime] = field(default_factory=list)

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

    def periodic_jobs(self) -> Sequence[PeriodicJob]:
        def noop_heartbeat(session: Session, now: datetime) -> None:
            self.ticks.append(now)

        return (noop_heartbeat,)
