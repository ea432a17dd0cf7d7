"""Settings: sensible demo defaults, and a bad value stops the process naming the setting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from integrations.config import ConfigurationError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
REAL_SECRETS = {
    "GOOGLE_CLIENT_ID": "1234-abc.apps.googleusercontent.com",
    "GOOGLE_CLIENT_SECRET": "GOCSPX-real-looking-secret",
    "AUTH_SERVER_METADATA_URL": "https://accounts.google.com/.well-known/openid-configuration",
    "AUTH_CLIENT_ID": "1234-abc.apps.googleusercontent.com",
    "AUTH_CLIENT_SECRET": "GOCSPX-another-real-secret",
    "AUTH_COOKIE_SECRET": "q7Rz-2vLx9Kp_WmT4nHb8sYe3JcQa6Uf",
    "PUBLIC_URL": "https://console.newym.example.co.il",
    "API_PUBLIC_URL": "https://api.newym.example.co.il",
}


def test_without_google_credentials_the_product_runs_in_demo_mode_against_the_emulator() -> None:
    """No GOOGLE_CLIENT_ID: every Google endpoint and the login provider point at the emulator."""
    settings = load_settings()
    assert settings.demo_mode
    assert settings.GOOGLE_TOKEN_URI == "http://localhost:8765/token"
    assert settings.GOOGLE_API_ENDPOINT == "http://localhost:8765"
    assert settings.auth_server_metadata_url.startswith("http://localhost:8765/")
    assert settings.DATABASE_URL.startswith("sqlite:///")
    assert settings.uses_loopback_http


def test_real_google_credentials_leave_demo_mode_and_use_google(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOOGLE_CLIENT_ID", REAL_SECRETS["GOOGLE_CLIENT_ID"])
    settings = load_settings()
    assert not settings.demo_mode
    assert settings.GOOGLE_TOKEN_URI == "https://oauth2.googleapis.com/token"
    assert not settings.uses_loopback_http


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("WEB_PORT", "eighty", "WEB_PORT"),
        ("API_PORT", "70000", "API_PORT"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "unknown time zone"),
        ("DATABASE_URL", "mysql://db/newym", "only sqlite"),
        ("PUBLIC_URL", "localhost:8501", "is not a URL"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("APP_ENV", "staging", "APP_ENV"),
    ],
)
def test_a_bad_value_stops_start_with_a_message_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, complaint: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    message = str(raised.value)
    assert name in message
    assert complaint in message


def test_a_bad_encryption_key_is_named_but_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    good = Fernet.generate_key().decode()
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", f"{good},not-a-real-key-but-secret")
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    message = str(raised.value)
    assert "TOKEN_ENCRYPTION_KEYS" in message and "key 2" in message
    assert "not-a-real-key-but-secret" not in message
    assert good not in message


def test_several_keys_are_read_newest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    newest, older = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", f" {newest} , {older} ")
    keys = load_settings().TOKEN_ENCRYPTION_KEYS
    assert [key.get_secret_value() for key in keys] == [newest, older]
    assert newest not in repr(load_settings())


def test_production_refuses_demo_mode_and_the_generated_demo_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    message = str(raised.value)
    assert "TOKEN_ENCRYPTION_KEYS" in message
    assert "GOOGLE_CLIENT_ID" in message
    assert "AUTH_COOKIE_SECRET" in message


def test_production_refuses_placeholder_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    for name, value in REAL_SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GOOGLE_CLIENT_SECRET", "your_client_secret")
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert "GOOGLE_CLIENT_SECRET: a demo or placeholder value" in str(raised.value)


def test_production_starts_with_real_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    for name, value in REAL_SECRETS.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert not settings.demo_mode


def test_a_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("WEB_PORT=9501\nSMTP_HOST=smtp.example.com\n", encoding="utf-8")
    settings = Settings()
    assert settings.WEB_PORT == 9501
    assert settings.SMTP_HOST == "smtp.example.com"


def test_postgres_urls_are_given_the_psycopg_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db.internal:5432/newym")
    assert load_settings().DATABASE_URL == "postgresql+psycopg://app@db.internal:5432/newym"


def test_every_setting_is_documented_in_env_example() -> None:
    """A newcomer reads .env.example to learn the settings: none may be missing there."""
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = {
        line.split("=", 1)[0].lstrip("# ").strip() for line in example.splitlines() if "=" in line
    }
    assert set(Settings.model_fields) <= documented


def test_the_command_line_stops_with_exit_code_2_and_names_the_bad_setting(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "integrations", "health"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path), "API_PORT": "not-a-port"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "API_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_empty_values_in_dotenv_mean_not_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Copying .env.example unchanged gives the demo defaults, not empty secrets."""
    (tmp_path / ".env").write_text(
        (ROOT / ".env.example").read_text(encoding="utf-8").replace("DATA_DIR=data", ""),
        encoding="utf-8",
    )
    settings = Settings()
    assert settings.demo_mode
    assert settings.AUTH_CLIENT_SECRET is None
    assert settings.TOKEN_ENCRYPTION_KEYS == []
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ValueError, match="AUTH_CLIENT_SECRET: required in production"):
        Settings()


def _production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **changes: str) -> str:
    """Start production with real-looking values and `changes`: what the operator is told."""
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    for name, value in {**REAL_SECRETS, **changes}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    return str(raised.value)


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("AUTH_COOKIE_SECRET", "abc", "too short"),
        ("AUTH_COOKIE_SECRET", "changeme!", "placeholder"),
        ("AUTH_COOKIE_SECRET", "ChangeMe-ChangeMe-ChangeMe-ChangeMe", "placeholder"),
        ("AUTH_COOKIE_SECRET", "ab" * 20, "not random"),
        ("GOOGLE_CLIENT_SECRET", "GOCSPX-x", "too short"),
        ("AUTH_CLIENT_SECRET", "Change_Me!", "placeholder"),
        ("PUBLIC_URL", "http://console.newym.example.co.il", "https://"),
        ("API_PUBLIC_URL", "http://api.newym.example.co.il", "https://"),
        (
            "AUTH_SERVER_METADATA_URL",
            "http://127.0.0.1:8765/.well-known/openid-configuration",
            "https://",
        ),
        (
            "AUTH_SERVER_METADATA_URL",
            "https://localhost:8765/.well-known/openid-configuration",
            "this machine",
        ),
        ("GOOGLE_TOKEN_URI", "http://localhost:8765/token", "https://"),
        ("GOOGLE_AUTH_URI", "http://127.0.0.1:8765/o/oauth2/v2/auth", "https://"),
        ("GOOGLE_API_ENDPOINT", "http://localhost:8765", "https://"),
        ("GOOGLE_REDIRECT_URI", "http://console.newym.example.co.il/google_connection", "https://"),
    ],
)
def test_production_refuses_a_weak_secret_or_an_insecure_address_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, complaint: str
) -> None:
    message = _production(monkeypatch, tmp_path, **{name: value})
    assert f"{name}: " in message and complaint in message
    if "SECRET" in name:
        assert value not in message


def test_production_refuses_the_demo_key_copied_from_a_demo_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from integrations.core.crypto import cipher_from_settings

    cipher_from_settings(load_settings(DATA_DIR=tmp_path))  # a demo run generates its key
    demo_key = (tmp_path / "encryption.key").read_text(encoding="ascii").strip()
    fresh = Fernet.generate_key().decode()
    message = _production(monkeypatch, tmp_path, TOKEN_ENCRYPTION_KEYS=f"{fresh},{demo_key}")
    assert "TOKEN_ENCRYPTION_KEYS: key 2 is the demo key" in message
    assert demo_key not in message


def test_production_refuses_the_demo_cookie_secret_copied_from_a_demo_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from integrations.processes.supervisor import auth_secrets

    demo_cookie = auth_secrets(load_settings(DATA_DIR=tmp_path))["cookie_secret"]
    message = _production(monkeypatch, tmp_path, AUTH_COOKIE_SECRET=demo_cookie)
    assert "AUTH_COOKIE_SECRET: a demo or placeholder value" in message
    assert demo_cookie not in message


def test_production_refuses_an_encryption_key_that_is_not_random(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import base64

    zeros = base64.urlsafe_b64encode(bytes(32)).decode()
    message = _production(monkeypatch, tmp_path, TOKEN_ENCRYPTION_KEYS=zeros)
    assert "TOKEN_ENCRYPTION_KEYS: key 1 is not random" in message
    assert zeros not in message


def test_a_refused_production_start_exits_2_naming_the_setting_without_the_secret(
    tmp_path: Path,
) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "DATA_DIR": str(tmp_path),
        "APP_ENV": "production",
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        **REAL_SECRETS,
        "AUTH_COOKIE_SECRET": "changeme!",
        "PUBLIC_URL": "http://console.newym.example.co.il",
    }
    result = subprocess.run(
        [sys.executable, "-m", "integrations", "health"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "AUTH_COOKIE_SECRET" in result.stderr and "PUBLIC_URL" in result.stderr
    assert "changeme!" not in result.stderr
    assert "Traceback" not in result.stderr
