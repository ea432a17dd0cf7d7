"""`python -m integrations`: the operator's commands, in text and in --json."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlmodel import Session, select

from db.migrate import head_revision
from db.models import IntegrationCredential, OAuthState, Role, User, WebhookChannel, utcnow
from integrations.config import reset_settings_cache
from integrations.core.crypto import TokenCipher
from integrations.crm import accounts
from integrations.processes.cli import main


def _json_out(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, object]:
    code = main(["--json", *argv])
    return code, json.loads(capsys.readouterr().out)


def test_users_add_invites_and_the_person_can_log_in(
    database_url: str, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _json_out(
        capsys, "users", "add", "--email", "Lea@Example.com", "--role", "trainer", "--name", "Lea"
    )
    assert code == 0
    assert isinstance(out, dict) and out["email"] == "lea@example.com" and out["trainer_id"]
    actor = accounts.resolve_login("lea@example.com", session=session)
    assert actor is not None and actor.role is Role.TRAINER


def test_users_add_refuses_a_duplicate_with_a_clear_message(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["users", "add", "--email", "a@example.com", "--role", "staff"]) == 0
    capsys.readouterr()
    assert main(["users", "add", "--email", "a@example.com", "--role", "staff"]) == 1
    assert "a@example.com is already invited" in capsys.readouterr().err


def test_users_list_and_deactivate(
    database_url: str, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["users", "add", "--email", "m@example.com", "--role", "manager"])
    main(["users", "add", "--email", "s@example.com", "--role", "staff"])
    capsys.readouterr()
    code, out = _json_out(capsys, "users", "deactivate", "--email", "s@example.com")
    assert code == 0 and out == {"email": "s@example.com", "active": False}
    code, listed = _json_out(capsys, "users", "list")
    assert listed == [
        {"email": "m@example.com", "name": "", "role": "manager", "active": True},
        {"email": "s@example.com", "name": "", "role": "staff", "active": False},
    ]
    assert session.exec(select(User).where(User.email == "s@example.com")).one().is_active is False


def test_seed_demo_runs_once(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _json_out(capsys, "seed-demo") == (0, {"seeded": True})
    assert _json_out(capsys, "seed-demo") == (0, {"seeded": False})
    _, listed = _json_out(capsys, "users", "list")
    assert isinstance(listed, list)
    assert {user["role"] for user in listed} == {"manager", "staff", "trainer"}
    assert len(listed) == 5


def test_health_reports_store_and_queue(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _json_out(capsys, "health")
    assert code == 0
    assert isinstance(out, dict)
    assert out["store"]["ok"] and out["store"]["revision"] == head_revision()
    assert out["queue"] == {"ok": True, "backend": "sqlite", "pending": 0}


def test_keys_rotate_lets_the_old_key_be_dropped(
    database_url: str,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    user = accounts.add_user("t@example.com", "trainer", session=session)
    assert user.trainer_id is not None
    session.add(
        IntegrationCredential(
            trainer_id=user.trainer_id,
            integration="google_calendar",
            access_token_encrypted=TokenCipher([old_key]).encrypt("ya29.access"),
            refresh_token_encrypted=TokenCipher([old_key]).encrypt("1//refresh"),
        )
    )
    session.commit()
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", f"{new_key},{old_key}")
    reset_settings_cache()
    code, out = _json_out(capsys, "keys", "rotate")
    assert code == 0 and isinstance(out, dict)
    assert out["rotated"] == 2 and out["old_keys_may_go"] is True
    session.expire_all()
    stored = session.exec(select(IntegrationCredential)).one()
    only_new = TokenCipher([new_key])
    assert only_new.decrypt(stored.access_token_encrypted or "") == "ya29.access"
    assert only_new.decrypt(stored.refresh_token_encrypted or "") == "1//refresh"


def test_keys_generate_prints_a_usable_key(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _json_out(capsys, "keys", "generate")
    assert code == 0 and isinstance(out, dict)
    Fernet(out["key"])


def _secrets_of_every_kind(session: Session, key: str) -> dict[str, str]:
    """A connected trainer with a push channel and a consent in flight: every kind of secret."""
    cipher = TokenCipher([key])
    user = accounts.add_user("r@example.com", "trainer", session=session)
    assert user.trainer_id is not None
    credential = IntegrationCredential(
        trainer_id=user.trainer_id,
        integration="google_calendar",
        access_token_encrypted=cipher.encrypt("ya29.access"),
        refresh_token_encrypted=cipher.encrypt("1//refresh"),
    )
    channel = WebhookChannel(
        trainer_id=user.trainer_id,
        calendar_id="primary",
        channel_id="chan-1",
        token_encrypted=cipher.encrypt("channel-token"),
    )
    pending = OAuthState(
        state_hash="a" * 64,
        user_id=user.id,
        trainer_id=user.trainer_id,
        code_verifier_encrypted=cipher.encrypt("pkce-verifier"),
        expires_at=utcnow() + timedelta(minutes=10),
    )
    session.add_all([credential, channel, pending])
    session.commit()
    return {"credential": credential.id, "channel": channel.id}


def test_keys_rotate_reaches_every_encrypted_column_and_reports_each_table(
    database_url: str,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """After rotating, the old key can really go: the consent a trainer is in the middle of
    still finishes, because its PKCE verifier was rotated too."""
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    _secrets_of_every_kind(session, old_key)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", f"{new_key},{old_key}")
    reset_settings_cache()
    code, out = _json_out(capsys, "keys", "rotate")
    assert code == 0 and isinstance(out, dict)
    assert out["tables"] == {
        "integration_credentials": 2,
        "webhook_channels": 1,
        "oauth_states": 1,
    }
    assert out["rotated"] == 4 and out["old_keys_may_go"] is True and out["unreadable"] == []
    session.expire_all()
    only_new = TokenCipher([new_key])
    pending = session.exec(select(OAuthState)).one()
    assert only_new.decrypt(pending.code_verifier_encrypted) == "pkce-verifier"
    channel = session.exec(select(WebhookChannel)).one()
    assert only_new.decrypt(channel.token_encrypted) == "channel-token"


def test_keys_rotate_names_a_secret_no_key_opens_and_says_the_old_keys_must_stay(
    database_url: str,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lost_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    ids = _secrets_of_every_kind(session, new_key)
    channel = session.get(WebhookChannel, ids["channel"])
    assert channel is not None
    channel.token_encrypted = TokenCipher([lost_key]).encrypt("channel-token")
    session.add(channel)
    session.commit()
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", new_key)
    reset_settings_cache()
    assert main(["keys", "rotate"]) == 1
    text = capsys.readouterr().out
    assert f"webhook_channels id={ids['channel']} column=token_encrypted" in text
    assert "KEEP THE OLDER KEYS" in text and "may go" not in text
    assert "channel-token" not in text and lost_key not in text and new_key not in text
    code, out = _json_out(capsys, "keys", "rotate")
    assert code == 1 and isinstance(out, dict) and out["old_keys_may_go"] is False
    assert out["unreadable"] == [
        {"table": "webhook_channels", "id": ids["channel"], "column": "token_encrypted"}
    ]


def test_every_encrypted_column_of_the_store_is_found_for_rotation() -> None:
    from integrations.core.key_rotation import encrypted_columns

    found = {
        (table.name, column.name)
        for table, columns in encrypted_columns().items()
        for column in columns
    }
    assert found >= {
        ("integration_credentials", "access_token_encrypted"),
        ("integration_credentials", "refresh_token_encrypted"),
        ("webhook_channels", "token_encrypted"),
        ("oauth_states", "code_verifier_encrypted"),
    }
