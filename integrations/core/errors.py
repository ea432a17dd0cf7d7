"""Errors that service functions raise and pages turn into a message a person can act on."""

from __future__ import annotations


class IntegrationError(Exception):
    """Base of every error a service function raises on purpose."""


class AccessDenied(IntegrationError):
    """The acting user may not do this (for this trainer)."""


class NotFound(IntegrationError):
    """The thing asked for does not exist (or the actor may not know that it does)."""


class InvalidInput(IntegrationError):
    """A value from a person was refused; `field` names the form field to show it beside, and
    `reason` (when a field can be refused for more than one) which refusal it is."""

    def __init__(
        self, message: str, *, field: str | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.reason = reason
