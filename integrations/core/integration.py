"""The port every integration fills in, and the few value types it answers with.

An integration (Google Calendar today; email, SMS and payments next) is one package that provides
one object of this shape and registers it (`integrations.core.registry`). Health, the trainers'
overview, alerts and the worker's schedule iterate the registered integrations and call only
these members, so a new integration appears in all of them without their code changing.

Members answer from the store (a session is passed in) and never call the provider: a health
page or a tick must not wait on the network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

import sqlalchemy as sa
from sqlmodel import Session

from integrations.config import Settings
from integrations.core.failures import Classified
from integrations.core.webhooks import WebhookReceiver

#: `trainer_connections` for a trainer it holds nothing about.
NOT_CONNECTED = "not_connected"


class Status(StrEnum):
    """The specification's three states of an integration."""

    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class IntegrationHealth:
    """`checkIntegrationHealth`'s answer; `as_spec()` gives the specification's field names."""

    name: str
    status: Status
    last_sync: datetime | None
    error_count: int
    configured: bool = True

    def as_spec(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "lastSync": self.last_sync,
            "errorCount": self.error_count,
        }


@dataclass(frozen=True, slots=True)
class IntegrationTile:
    """One integration on the health page: its overall health and trainers counted by status."""

    health: IntegrationHealth
    #: connected / needs_reauth / error / disconnected / not_connected, each a number of trainers.
    by_status: dict[str, int] = field(default_factory=dict)
    #: Connected trainers whose latest finished run failed.
    failing: int = 0


@dataclass(frozen=True, slots=True)
class TrainerConnection:
    """One trainer's connection to one integration, as the trainers' overview shows it."""

    #: A `ConnectionStatus` value, or `NOT_CONNECTED`.
    status: str = NOT_CONNECTED
    #: The account at the provider (an email address, a merchant id), when there is one.
    account: str | None = None
    last_sync_at: datetime | None = None
    #: A `RunOutcome` value.
    last_sync_outcome: str | None = None


def incident_key(rule: str, trainer_id: str) -> str:
    """The key of an alert incident: the `Notification.incident_key` of every notice about it.
    Rule names are unique across integrations."""
    return f"{rule}:{trainer_id}"


@dataclass(frozen=True, slots=True)
class AlertFinding:
    """An alert rule whose condition holds now for one trainer."""

    rule: str
    trainer_id: str
    trainer_name: str
    #: The notification body's message key and values, rendered per recipient's language.
    body_key: str
    values: dict[str, Any] = field(default_factory=dict)
    detail: str = ""
    #: When the condition started, when known.
    since: datetime | None = None

    @property
    def key(self) -> str:
        return incident_key(self.rule, self.trainer_id)


@dataclass
class AlertFindings:
    """One integration's rules evaluated: what fires, and the incident keys held back by a more
    basic incident of the same trainer (neither raised nor resolved meanwhile)."""

    firing: list[AlertFinding] = field(default_factory=list)
    held_back: set[str] = field(default_factory=set)


#: Run once a minute by some worker (the holder of the tick lease), in a session of its own.
PeriodicJob = Callable[[Session, datetime], None]


@runtime_checkable
class IntegrationPort(Protocol):
    """What the shared parts of the product need from one integration."""

    #: Its `db.models.Integration` value: the key of its rows, runs, logs and message texts.
    name: str

    def classify_error(self, error: BaseException) -> Classified | None:
        """Name one of its provider's errors; None for an error that is not its provider's."""
        ...

    def health_tile(self, session: Session, now: datetime) -> IntegrationTile:
        """Its tile on the health page, which is also `checkIntegrationHealth`'s answer."""
        ...

    def trainer_connections(
        self, session: Session, trainer_ids: sa.Select[Any]
    ) -> Mapping[str, TrainerConnection]:
        """The connection of each trainer whose id `trainer_ids` selects, by trainer id; a
        trainer left out is not connected. One statement, whatever the number of trainers."""
        ...

    def alert_rules(self) -> Mapping[str, timedelta]:
        """Each alert rule it raises, with how long its condition must stay clear before the
        incident is resolved (zero: at once)."""
        ...

    def alert_findings(
        self, session: Session, now: datetime, trainer_id: str | None = None
    ) -> AlertFindings:
        """Its alert rules evaluated for every trainer, or for the one trainer given, from the
        store. It records outcomes and connection states and never notifies anyone itself:
        raising and resolving are the alert engine's (`integrations.monitoring.alerts`)."""
        ...

    def periodic_jobs(self) -> Sequence[PeriodicJob]:
        """What the worker runs for it every minute (schedules, refreshes, clean-ups); each is
        idempotent, since two workers may run the same minute's jobs."""
        ...

    def after_local_change(self, session: Session, trainer_id: str) -> None:
        """A trainer's CRM session was booked, changed or cancelled, and committed, by whoever
        did it (a page, the command line, the API): what it does at once, such as queueing a
        push. It queues work and never calls the provider; its schedule remains the backstop."""
        ...

    def webhook_receivers(self, settings: Settings) -> Sequence[WebhookReceiver[Any]]:
        """The webhooks its provider posts to, built once by the api process for its settings
        (`integrations.core.webhooks`); none for a provider that posts nothing."""
        ...
