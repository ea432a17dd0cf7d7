"""Users: invitation by email with a role, login resolution, role changes and deactivation."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, func, select

from db.models import LogLevel, Role, Trainer, User, utcnow
from integrations.core import audit
from integrations.core.access import Actor, Capability
from integrations.core.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEFAULT_TIMEZONE = "Asia/Jerusalem"


@dataclass(frozen=True, slots=True)
class UserView:
    id: str
    email: str
    name: str
    role: Role
    is_active: bool
    trainer_id: str | None
    trainer_name: str | None
    created_at: datetime
    last_login_at: datetime | None


def normalise_email(email: str) -> str:
    cleaned = email.strip().lower()
    if not _EMAIL.match(cleaned) or len(cleaned) > 320:
        raise InvalidInput(f"'{email.strip()}' is not an email address", field="email")
    return cleaned


#: A first character a spreadsheet would run as a formula when the address is exported.
_FORMULA_START = ("=", "+", "-", "@")


def invitable_email(email: str) -> str:
    """The address to invite, refused when it holds a control character (a NUL would also be
    refused by PostgreSQL) or starts like a spreadsheet formula (it ends up in exports)."""
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in email.strip()):
        raise InvalidInput("the address holds a control character", field="email", reason="control")
    if email.strip().startswith(_FORMULA_START):
        raise InvalidInput(
            "the address starts like a spreadsheet formula", field="email", reason="formula"
        )
    return normalise_email(email)


def parse_role(role: str | Role) -> Role:
    try:
        return Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role '{role}' (choose {allowed})", field="role") from None


def actor_for(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        email=user.email,
        role=user.role,
        name=user.name,
        trainer_id=user.trainer_id,
        locale=user.locale,
    )


class LoginRefusal(StrEnum):
    """Why a person the login provider vouched for is not let in."""

    UNVERIFIED = "unverified"  # the provider did not say the address is verified
    NOT_INVITED = "not_invited"
    DEACTIVATED = "deactivated"
    OTHER_IDENTITY = "other_identity"  # the address is bound to another account at the provider


@dataclass(frozen=True, slots=True)
class LoginResult:
    actor: Actor | None
    refusal: LoginRefusal | None = None


def _claim(claims: Mapping[str, object], name: str) -> str:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) else ""


def log_in(claims: Mapping[str, object], *, session: Session) -> LoginResult:
    """Who is logging in, from the ID token's claims. The address must be verified by the
    provider (a missing `email_verified` proves nothing), and the first login binds the user to
    the provider's issuer and subject: later, only that account at that provider is this user,
    even if someone else comes to hold the same address (a recycled mailbox, another provider)."""
    verified = claims.get("email_verified")
    issuer, subject = _claim(claims, "iss"), _claim(claims, "sub")
    email = _claim(claims, "email")
    if verified not in (True, "true") or not issuer or not subject:
        log.warning("login refused: the provider did not verify the address", extra=_login_extra())
        return LoginResult(None, LoginRefusal.UNVERIFIED)
    try:
        address = normalise_email(email)
    except InvalidInput:
        return LoginResult(None, LoginRefusal.NOT_INVITED)
    user = session.exec(select(User).where(User.email == address)).first()
    if user is None:
        return LoginResult(None, LoginRefusal.NOT_INVITED)
    if not user.is_active:
        return LoginResult(None, LoginRefusal.DEACTIVATED)
    if user.auth_subject is None:
        holder = session.exec(
            select(User.id).where(User.auth_issuer == issuer, User.auth_subject == subject)
        ).first()
        if holder is not None and holder != user.id:
            return _other_identity(user, issuer, session=session)
        user.auth_issuer, user.auth_subject = issuer, subject
        audit.record(
            session,
            "login_identity_bound",
            f"{address} is bound to their account at {issuer}",
            actor_user_id=user.id,
            details={"user_id": user.id, "issuer": issuer},
        )
    elif (user.auth_issuer, user.auth_subject) != (issuer, subject):
        return _other_identity(user, issuer, session=session)
    if user.last_login_at is None or (utcnow() - user.last_login_at).total_seconds() > 300:
        user.last_login_at = utcnow()
    session.add(user)
    session.commit()
    return LoginResult(actor_for(user))


def _login_extra() -> dict[str, str]:
    return {"event": "login_refused"}


def _other_identity(user: User, issuer: str, *, session: Session) -> LoginResult:
    audit.record(
        session,
        "login_identity_mismatch",
        f"a login as {user.email} came from another account (at {issuer}) than the one this "
        "user is bound to; refused",
        level=LogLevel.WARNING,
        details={"user_id": user.id, "issuer": issuer},
    )
    session.commit()
    return LoginResult(None, LoginRefusal.OTHER_IDENTITY)


def resolve_login(email: str, *, session: Session) -> Actor | None:
    """The actor for an invited, active email, for callers that already know who the person is
    (the command line, tests, benchmarks). The login gate uses `log_in`, which also checks the
    provider's verification and identity binding."""
    try:
        address = normalise_email(email)
    except InvalidInput:
        return None
    user = session.exec(select(User).where(User.email == address)).first()
    if user is None or not user.is_active:
        return None
    if user.last_login_at is None or (utcnow() - user.last_login_at).total_seconds() > 300:
        user.last_login_at = utcnow()
        session.add(user)
        session.commit()
    return actor_for(user)


def still_active(actor: Actor, *, session: Session) -> Actor | None:
    """The actor as the store has them now, or None once their access is turned off. A page
    keeps the actor it was opened with, and its self-refreshing parts run without the login
    gate: they ask again on every run, so a deactivation or a role change reaches them."""
    user = session.get(User, actor.user_id)
    if user is None or not user.is_active:
        return None
    return actor_for(user)


def is_deactivated(email: str, *, session: Session) -> bool:
    """Whether a refused login belongs to someone whose access was turned off (as opposed to an
    address never invited): they are told so, and whom to ask."""
    try:
        address = normalise_email(email)
    except InvalidInput:
        return False
    found = session.exec(select(User.is_active).where(User.email == address)).first()
    return found is False


def add_user(
    email: str,
    role: str | Role,
    *,
    session: Session,
    name: str = "",
    trainer_timezone: str = DEFAULT_TIMEZONE,
    invited_by: Actor | None = None,
) -> User:
    """Create a user; a trainer user gets (or is linked to) the trainer record of that email."""
    address = invitable_email(email)
    chosen_role = parse_role(role)
    name = name.strip()
    if len(name) > 200:
        raise InvalidInput("the name is longer than 200 characters", field="name")
    if session.exec(select(User).where(User.email == address)).first() is not None:
        raise InvalidInput(f"{address} is already invited", field="email", reason="taken")
    trainer_id = None
    if chosen_role is Role.TRAINER:
        trainer_id = _trainer_for(address, name, trainer_timezone, session=session).id
    user = User(
        email=address,
        name=name,
        role=chosen_role,
        trainer_id=trainer_id,
        invited_by_id=invited_by.user_id if invited_by else None,
    )
    session.add(user)
    audit.record(
        session,
        "user_invited",
        f"{address} invited as {chosen_role.value}",
        trainer_id=trainer_id,
        actor_user_id=invited_by.user_id if invited_by else None,
        details={"email": address, "role": chosen_role.value},
    )
    session.commit()
    session.refresh(user)
    return user


def _trainer_for(email: str, name: str, timezone: str, *, session: Session) -> Trainer:
    trainer = session.exec(select(Trainer).where(Trainer.email == email)).first()
    if trainer is None:
        trainer = Trainer(name=name or email.split("@")[0], email=email, timezone=timezone)
        session.add(trainer)
        session.flush()
    return trainer


def invite_user(
    actor: Actor, email: str, role: str | Role, *, session: Session, name: str = ""
) -> User:
    actor.require(Capability.ADMIN_USERS)
    return add_user(email, role, session=session, name=name, invited_by=actor)


def list_users(actor: Actor, *, session: Session) -> list[UserView]:
    actor.require(Capability.ADMIN_USERS)
    rows = session.exec(
        select(User, Trainer.name)
        .join(Trainer, col(User.trainer_id) == col(Trainer.id), isouter=True)
        .order_by(col(User.is_active).desc(), col(User.role), col(User.email))
    ).all()
    return [
        UserView(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            is_active=user.is_active,
            trainer_id=user.trainer_id,
            trainer_name=trainer_name,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
        )
        for user, trainer_name in rows
    ]


def _get_user(user_id: str, *, session: Session) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def _active_managers(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(User).where(User.role == Role.MANAGER, User.is_active)
    ).one()


def change_role(actor: Actor, user_id: str, role: str | Role, *, session: Session) -> User:
    actor.require(Capability.ADMIN_USERS)
    user = _get_user(user_id, session=session)
    new_role = parse_role(role)
    if user.role is new_role:
        return user
    if user.role is Role.MANAGER and user.is_active and _active_managers(session) <= 1:
        raise InvalidInput("the last active manager cannot lose the manager role", field="role")
    if new_role is Role.TRAINER and user.trainer_id is None:
        user.trainer_id = _trainer_for(user.email, user.name, DEFAULT_TIMEZONE, session=session).id
    previous = user.role
    user.role = new_role
    session.add(user)
    audit.record(
        session,
        "user_role_changed",
        f"{user.email}: {previous.value} -> {new_role.value}",
        actor_user_id=actor.user_id,
        details={"user_id": user.id, "from": previous.value, "to": new_role.value},
    )
    session.commit()
    session.refresh(user)
    return user


def set_user_active(actor: Actor, user_id: str, active: bool, *, session: Session) -> User:
    actor.require(Capability.ADMIN_USERS)
    user = _get_user(user_id, session=session)
    if not active and user.id == actor.user_id:
        raise InvalidInput("you cannot deactivate yourself", field="is_active")
    if (
        not active
        and user.role is Role.MANAGER
        and user.is_active
        and _active_managers(session) <= 1
    ):
        raise InvalidInput("the last active manager cannot be deactivated", field="is_active")
    user.is_active = active
    session.add(user)
    audit.record(
        session,
        "user_activated" if active else "user_deactivated",
        user.email,
        actor_user_id=actor.user_id,
        details={"user_id": user.id},
    )
    session.commit()
    session.refresh(user)
    return user


def set_locale(actor: Actor, locale: str, *, session: Session) -> None:
    if locale not in {"he", "en"}:
        raise InvalidInput(f"unsupported language '{locale}'", field="locale")
    user = _get_user(actor.user_id, session=session)
    user.locale = locale
    session.add(user)
    session.commit()


def deactivate_by_email(email: str, *, session: Session) -> User:
    """For the command line, where the operator stands outside the role system."""
    address = normalise_email(email)
    user = session.exec(select(User).where(User.email == address)).first()
    if user is None:
        raise NotFound(f"no user {address}")
    user.is_active = False
    session.add(user)
    audit.record(session, "user_deactivated", address, details={"user_id": user.id})
    session.commit()
    session.refresh(user)
    return user


def trainer_timezone(actor: Actor, *, session: Session) -> str | None:
    """The IANA zone a trainer reads times in: their own profile's. None for staff and managers
    (they see everyone's, so the organisation's default applies) and for a zone that this
    machine cannot load, so that the caller falls back to the default instead of failing."""
    if actor.role is not Role.TRAINER or actor.trainer_id is None:
        return None
    zone = session.exec(select(Trainer.timezone).where(Trainer.id == actor.trainer_id)).first()
    if not zone:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return zone


def count_users(*, session: Session) -> int:
    return session.exec(select(func.count()).select_from(User)).one()
