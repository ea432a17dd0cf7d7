"""Invitations, login resolution, role changes and deactivation, as a manager would use them."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from db.models import IntegrationLog, Role, Trainer
from integrations.core.access import Actor
from integrations.core.errors import AccessDenied, InvalidInput
from integrations.crm import accounts
from integrations.messages import MESSAGES


def test_an_invited_email_logs_in_whatever_its_case(
    session: Session, people: dict[str, Actor]
) -> None:
    actor = accounts.resolve_login("  Dana@Example.COM ", session=session)
    assert actor is not None
    assert actor.role is Role.TRAINER
    assert actor.trainer_id == people["trainer"].trainer_id


def test_an_email_never_invited_does_not_log_in(session: Session, people: dict[str, Actor]) -> None:
    assert accounts.resolve_login("stranger@example.com", session=session) is None
    assert accounts.resolve_login("", session=session) is None


def test_inviting_a_trainer_creates_their_trainer_profile(
    session: Session, people: dict[str, Actor]
) -> None:
    user = accounts.invite_user(
        people["manager"], "noa@example.com", "trainer", session=session, name="Noa"
    )
    trainer = session.get(Trainer, user.trainer_id)
    assert trainer is not None and trainer.name == "Noa"
    assert trainer.timezone == "Asia/Jerusalem"
    log = session.exec(select(IntegrationLog).where(IntegrationLog.event == "user_invited")).all()
    assert any(entry.details.get("email") == "noa@example.com" for entry in log)


@pytest.mark.parametrize(
    ("email", "role", "field"),
    [
        ("not-an-email", "staff", "email"),
        ("boss@example.com", "staff", "email"),  # already invited
        ("new@example.com", "admin", "role"),
    ],
)
def test_a_bad_invitation_is_refused_with_the_field_named(
    session: Session, people: dict[str, Actor], email: str, role: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        accounts.invite_user(people["manager"], email, role, session=session)
    assert raised.value.field == field


def test_a_deactivated_user_can_no_longer_log_in_and_can_come_back(
    session: Session, people: dict[str, Actor]
) -> None:
    manager, staff = people["manager"], people["staff"]
    accounts.set_user_active(manager, staff.user_id, False, session=session)
    assert accounts.resolve_login(staff.email, session=session) is None
    accounts.set_user_active(manager, staff.user_id, True, session=session)
    assert accounts.resolve_login(staff.email, session=session) is not None


def test_a_manager_cannot_lock_the_organisation_out(
    session: Session, people: dict[str, Actor]
) -> None:
    manager = people["manager"]
    with pytest.raises(InvalidInput, match="yourself"):
        accounts.set_user_active(manager, manager.user_id, False, session=session)
    with pytest.raises(InvalidInput, match="last active manager"):
        accounts.change_role(manager, manager.user_id, "staff", session=session)


def test_a_role_change_takes_effect_at_the_next_page_load(
    session: Session, people: dict[str, Actor]
) -> None:
    accounts.change_role(people["manager"], people["staff"].user_id, "manager", session=session)
    actor = accounts.resolve_login(people["staff"].email, session=session)
    assert actor is not None and actor.role is Role.MANAGER


def test_making_staff_a_trainer_gives_them_a_trainer_profile(
    session: Session, people: dict[str, Actor]
) -> None:
    user = accounts.change_role(
        people["manager"], people["staff"].user_id, Role.TRAINER, session=session
    )
    assert user.trainer_id is not None


@pytest.mark.parametrize("role", ["staff", "trainer"])
def test_only_managers_administer_users(
    session: Session, people: dict[str, Actor], role: str
) -> None:
    actor = people[role]
    with pytest.raises(AccessDenied):
        accounts.list_users(actor, session=session)
    with pytest.raises(AccessDenied):
        accounts.invite_user(actor, "x@example.com", "manager", session=session)
    with pytest.raises(AccessDenied):
        accounts.change_role(actor, actor.user_id, "manager", session=session)
    with pytest.raises(AccessDenied):
        accounts.set_user_active(actor, people["manager"].user_id, False, session=session)


def test_a_trainer_reads_times_in_their_own_zone_and_others_in_the_default(
    session: Session, people: dict[str, Actor]
) -> None:
    """Staff and managers get None (the caller's default applies); so does a zone this machine
    cannot load, rather than a page that fails."""
    trainer = session.get(Trainer, people["trainer"].trainer_id)
    assert trainer is not None
    trainer.timezone = "America/New_York"
    session.add(trainer)
    session.commit()
    assert accounts.trainer_timezone(people["trainer"], session=session) == "America/New_York"
    assert accounts.trainer_timezone(people["other_trainer"], session=session) == "Asia/Jerusalem"
    assert accounts.trainer_timezone(people["manager"], session=session) is None
    assert accounts.trainer_timezone(people["staff"], session=session) is None
    trainer.timezone = "Mars/Olympus_Mons"
    session.add(trainer)
    session.commit()
    assert accounts.trainer_timezone(people["trainer"], session=session) is None


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("noa\x00@example.com", "control"),
        ("noa@exa\x07mple.com", "control"),
        ("=HYPERLINK(a@b.co)", "formula"),
        ("+972@example.com", "formula"),
        ("-noa@example.com", "formula"),
        ("@noa@example.com", "formula"),
    ],
)
def test_an_invited_address_with_a_nul_or_a_formula_is_refused_and_no_one_is_invited(
    session: Session, people: dict[str, Actor], email: str, reason: str
) -> None:
    """The users page shows users.invalid.email.<reason> beside the address, in both languages."""
    before = len(accounts.list_users(people["manager"], session=session))
    with pytest.raises(InvalidInput) as raised:
        accounts.invite_user(people["manager"], email, "staff", session=session)
    assert (raised.value.field, raised.value.reason) == ("email", reason)
    assert len(accounts.list_users(people["manager"], session=session)) == before
    assert set(MESSAGES[f"users.invalid.email.{reason}"]) == {"en", "he"}


# --- Login: a verified address, bound to the provider's issuer and subject -----------------

GOOGLE = "https://accounts.google.com"


def _claims(email: str = "dana@example.com", **changes: object) -> dict[str, object]:
    return {"email": email, "email_verified": True, "iss": GOOGLE, "sub": "1001", **changes}


@pytest.mark.parametrize(
    "changes",
    [
        {"email_verified": None},
        {"email_verified": False},
        {"email_verified": "false"},
        {"email_verified": "yes"},
        {"iss": None},
        {"sub": ""},
    ],
    ids=["missing", "false", "false_string", "odd_value", "no_issuer", "no_subject"],
)
def test_an_address_the_provider_did_not_verify_does_not_log_in(
    session: Session, people: dict[str, Actor], changes: dict[str, object]
) -> None:
    claims = {key: value for key, value in _claims(**changes).items() if value is not None}
    result = accounts.log_in(claims, session=session)
    assert result.actor is None and result.refusal is accounts.LoginRefusal.UNVERIFIED


def test_the_first_login_binds_the_user_to_the_providers_account(
    session: Session, people: dict[str, Actor]
) -> None:
    first = accounts.log_in(_claims(email="Dana@Example.com"), session=session)
    assert first.actor is not None and first.actor.trainer_id == people["trainer"].trainer_id
    again = accounts.log_in(_claims(), session=session)
    assert again.actor is not None and again.actor.user_id == first.actor.user_id
    bound = session.exec(
        select(IntegrationLog).where(IntegrationLog.event == "login_identity_bound")
    ).all()
    assert len(bound) == 1


@pytest.mark.parametrize(
    "other",
    [{"sub": "2002"}, {"iss": "https://login.example.net"}],
    ids=["another_subject", "another_issuer"],
)
def test_someone_else_holding_the_same_address_later_is_refused_and_logged(
    session: Session, people: dict[str, Actor], other: dict[str, object]
) -> None:
    """A recycled mailbox or an account at another provider claiming the address is not Dana."""
    assert accounts.log_in(_claims(), session=session).actor is not None
    refused = accounts.log_in(_claims(**other), session=session)
    assert refused.actor is None and refused.refusal is accounts.LoginRefusal.OTHER_IDENTITY
    line = session.exec(
        select(IntegrationLog).where(IntegrationLog.event == "login_identity_mismatch")
    ).one()
    assert "dana@example.com" in line.message
    assert "2002" not in line.message and "1001" not in line.message
    assert accounts.log_in(_claims(), session=session).actor is not None  # Dana still can


def test_a_provider_account_bound_to_one_user_cannot_take_over_another(
    session: Session, people: dict[str, Actor]
) -> None:
    assert accounts.log_in(_claims(), session=session).actor is not None
    staff_email = people["staff"].email
    taken = accounts.log_in(_claims(email=staff_email), session=session)
    assert taken.actor is None and taken.refusal is accounts.LoginRefusal.OTHER_IDENTITY
    own = accounts.log_in(_claims(email=staff_email, sub="3003"), session=session)
    assert own.actor is not None and own.actor.email == staff_email


def test_login_refusals_tell_never_invited_from_turned_off(
    session: Session, people: dict[str, Actor]
) -> None:
    stranger = accounts.log_in(_claims(email="stranger@example.com"), session=session)
    assert stranger.refusal is accounts.LoginRefusal.NOT_INVITED
    accounts.set_user_active(people["manager"], people["staff"].user_id, False, session=session)
    off = accounts.log_in(_claims(email=people["staff"].email), session=session)
    assert off.refusal is accounts.LoginRefusal.DEACTIVATED
