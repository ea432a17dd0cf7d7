"""Who may do what. Every service function asks here before it reads or writes a trainer's data.

- trainer: only the trainer record linked to their user;
- staff: view every trainer's integration status and trigger syncs;
- manager: everything, including health and user administration.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from db.models import Role
from integrations.core.errors import AccessDenied


class Capability(StrEnum):
    VIEW_TRAINER = "view_trainer"
    MANAGE_TRAINER = "manage_trainer"
    TRIGGER_SYNC = "trigger_sync"
    VIEW_ALL_TRAINERS = "view_all_trainers"
    VIEW_HEALTH = "view_health"
    ADMIN_USERS = "admin_users"


_GLOBAL: dict[Role, frozenset[Capability]] = {
    Role.TRAINER: frozenset(),
    Role.STAFF: frozenset(
        {Capability.VIEW_TRAINER, Capability.TRIGGER_SYNC, Capability.VIEW_ALL_TRAINERS}
    ),
    Role.MANAGER: frozenset(Capability),
}
_OWN_TRAINER = frozenset(
    {Capability.VIEW_TRAINER, Capability.MANAGE_TRAINER, Capability.TRIGGER_SYNC}
)


@dataclass(frozen=True, slots=True)
class Actor:
    """The logged-in user on whose behalf a service function runs."""

    user_id: str
    email: str
    role: Role
    name: str = ""
    trainer_id: str | None = None
    locale: str = "he"

    def can(self, capability: Capability, trainer_id: str | None = None) -> bool:
        if capability in _GLOBAL[self.role]:
            return True
        return (
            trainer_id is not None
            and self.trainer_id is not None
            and trainer_id == self.trainer_id
            and capability in _OWN_TRAINER
        )

    def require(self, capability: Capability, trainer_id: str | None = None) -> None:
        if not self.can(capability, trainer_id):
            target = f" for trainer {trainer_id}" if trainer_id else ""
            raise AccessDenied(f"{self.role.value} {self.email} may not {capability.value}{target}")
