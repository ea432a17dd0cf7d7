"""The port every integration fills in, and what it answers in.

An integration (Google Calendar today; email, SMS and payments next) is one package that provides
one object of this shape and registers it (`integrations.core.registry`). Health, the trainers'
overview, alerts and the worker's schedule iterate the registered integrations and call only
these members, so a new integration appears in all of them without their code changing.

Members answer from the store (a session is passed in) and never call the provider: a health
page or a tick must not wait on the network.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from integrations.core.failures import Classified


@runtime_checkable
class IntegrationPort(Protocol):
    """What the shared parts of the product need from one integration."""

    #: Its `db.models.Integration` value: the key of its rows, runs, logs and message texts.
    name: str

    def classify_error(self, error: BaseException) -> Classified | None:
        """Name one of its provider's errors; None for an error that is not its provider's."""
        ...
