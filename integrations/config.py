"""Every setting of every process, read once from the environment (and `.env`).

The web, api and worker processes all import `get_settings()`; a bad or missing value stops the
process at start with a message that names the setting, instead of failing later mid-request.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

log = logging.getLogger(__name__)

#: Values that must never be used outside development: the emulator's client and obvious fillers.
DEMO_SECRETS = frozenset(
    {
        "demo-client-secret",
        "demo-cookie-secret",
        "changeme",
        "change-me",
        "your_client_secret",
        "your_api_key",
        "your_password",
        "secret",
    }
)
#: Words that mark a filler wherever they appear in a secret (`changeme!`, `my-secret-here`).
PLACEHOLDER_WORDS = ("changeme", "placeholder", "example", "yoursecret", "replaceme", "demo")
#: The shortest secret production accepts: the cookie secret signs every login, the OAuth
#: client secrets Google issues are 35 characters (`GOCSPX-` and 28 more).
MIN_SECRET_LENGTH = {"AUTH_COOKIE_SECRET": 32, "GOOGLE_CLIENT_SECRET": 16, "AUTH_CLIENT_SECRET": 16}
#: At least this many different characters: `aaaa...` or `12341234...` is long but guessable.
MIN_DISTINCT_CHARACTERS = 10
#: Production serves and calls only these over https, and never a service on this machine.
HTTPS_SETTINGS = ("PUBLIC_URL", "API_PUBLIC_URL", "GOOGLE_REDIRECT_URI")
PROVIDER_ENDPOINT_SETTINGS = (
    "AUTH_SERVER_METADATA_URL",
    "GOOGLE_AUTH_URI",
    "GOOGLE_TOKEN_URI",
    "GOOGLE_REVOKE_URI",
    "GOOGLE_API_ENDPOINT",
)
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})  # noqa: S104
DEMO_KEY_FILE = "encryption.key"
DEMO_COOKIE_SECRET_FILE = "cookie_secret"  # noqa: S105 - a file name
DEMO_CLIENT_ID = "newym-demo.apps.googleusercontent.com"
DEMO_CLIENT_SECRET = "demo-client-secret"  # noqa: S105 - the emulator's public demo client


class AppEnv(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class ConfigurationError(SystemExit):
    """Raised at start when settings are invalid; its message names every bad setting."""


class Settings(BaseSettings):
    """The product's settings, by the names the specification gives them."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,  # `NAME=` in .env means "not set", not "empty secret"
        case_sensitive=True,
        validate_default=True,
    )

    APP_ENV: AppEnv = AppEnv.DEVELOPMENT
    DATA_DIR: Path = Path("data")
    DATABASE_URL: str = ""
    REDIS_URL: str | None = None
    TOKEN_ENCRYPTION_KEYS: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    LOG_LEVEL: str = "INFO"
    LOG_FORMAT: str = "json"
    DEFAULT_TIMEZONE: str = "Asia/Jerusalem"

    # Where people and Google reach us.
    PUBLIC_URL: str = "http://localhost:8501"
    API_PUBLIC_URL: str = "http://localhost:8000"
    WEB_PORT: int = Field(default=8501, ge=1, le=65535)
    API_PORT: int = Field(default=8000, ge=1, le=65535)
    EMULATOR_PORT: int = Field(default=8765, ge=1, le=65535)

    # Login (OpenID Connect). Empty in demo mode: the Google emulator is the provider.
    AUTH_SERVER_METADATA_URL: str | None = None
    AUTH_CLIENT_ID: str | None = None
    AUTH_CLIENT_SECRET: SecretStr | None = None
    AUTH_COOKIE_SECRET: SecretStr | None = None

    # Google Calendar.
    GOOGLE_CLIENT_ID: str | None = None
    GOOGLE_CLIENT_SECRET: SecretStr | None = None
    GOOGLE_REDIRECT_URI: str | None = None
    GOOGLE_AUTH_URI: str | None = None
    GOOGLE_TOKEN_URI: str | None = None
    GOOGLE_REVOKE_URI: str | None = None
    GOOGLE_API_ENDPOINT: str | None = None

    # Email.
    SMTP_HOST: str | None = None
    SMTP_PORT: int = Field(default=587, ge=1, le=65535)
    SMTP_USER: str | None = None
    SMTP_PASSWORD: SecretStr | None = None

    # SMS.
    SMS_PROVIDER: str = "twilio"
    SMS_API_KEY: str | None = None
    SMS_API_SECRET: SecretStr | None = None
    SMS_API_ENDPOINT: str | None = None

    # Payments.
    PAYMENT_PROVIDER: str = "stripe"
    PAYMENT_API_KEY: SecretStr | None = None
    PAYMENT_API_ENDPOINT: str | None = None

    @field_validator("TOKEN_ENCRYPTION_KEYS", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("TOKEN_ENCRYPTION_KEYS")
    @classmethod
    def _keys_are_fernet(cls, keys: list[SecretStr]) -> list[SecretStr]:
        for position, key in enumerate(keys, start=1):
            try:
                Fernet(key.get_secret_value())
            except ValueError:
                raise ValueError(
                    f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes); "
                    "make one with `python -m integrations keys generate`"
                ) from None
        return keys

    @field_validator("DEFAULT_TIMEZONE")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value

    @field_validator("LOG_LEVEL")
    @classmethod
    def _level_exists(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value.upper()

    @field_validator("LOG_FORMAT")
    @classmethod
    def _format_exists(cls, value: str) -> str:
        if value not in {"json", "text"}:
            raise ValueError("must be 'json' or 'text'")
        return value

    @field_validator(
        "DATABASE_URL",
        "REDIS_URL",
        "PUBLIC_URL",
        "API_PUBLIC_URL",
        "AUTH_SERVER_METADATA_URL",
        "GOOGLE_REDIRECT_URI",
        "GOOGLE_AUTH_URI",
        "GOOGLE_TOKEN_URI",
        "GOOGLE_REVOKE_URI",
        "GOOGLE_API_ENDPOINT",
        "SMS_API_ENDPOINT",
        "PAYMENT_API_ENDPOINT",
    )
    @classmethod
    def _looks_like_url(cls, value: str | None) -> str | None:
        if value and "://" not in value:
            raise ValueError(f"{value!r} is not a URL (expected scheme://host/...)")
        return value

    @field_validator("DATABASE_URL")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value:
            return value
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # SQLAlchemy 2.1 no longer picks psycopg 3 by itself: name the driver.
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        if not (value.startswith("sqlite") or value.startswith("postgresql+psycopg://")):
            raise ValueError("only sqlite:/// and postgresql+psycopg:// databases are supported")
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> Self:
        # Absolute, so that a process that changes directory still finds its files.
        self.DATA_DIR = self.DATA_DIR.absolute()
        if not self.DATABASE_URL:
            self.DATABASE_URL = f"sqlite:///{self.DATA_DIR / 'newym.db'}"
        if self.demo_mode:
            emulator = self.emulator_url
            self.GOOGLE_AUTH_URI = self.GOOGLE_AUTH_URI or f"{emulator}/o/oauth2/v2/auth"
            self.GOOGLE_TOKEN_URI = self.GOOGLE_TOKEN_URI or f"{emulator}/token"
            self.GOOGLE_REVOKE_URI = self.GOOGLE_REVOKE_URI or f"{emulator}/revoke"
            self.GOOGLE_API_ENDPOINT = self.GOOGLE_API_ENDPOINT or emulator
        else:
            self.GOOGLE_AUTH_URI = (
                self.GOOGLE_AUTH_URI or "https://accounts.google.com/o/oauth2/v2/auth"
            )
            self.GOOGLE_TOKEN_URI = self.GOOGLE_TOKEN_URI or "https://oauth2.googleapis.com/token"
            self.GOOGLE_REVOKE_URI = (
                self.GOOGLE_REVOKE_URI or "https://oauth2.googleapis.com/revoke"
            )
            self.GOOGLE_API_ENDPOINT = self.GOOGLE_API_ENDPOINT or "https://www.googleapis.com"
        self.GOOGLE_REDIRECT_URI = (
            self.GOOGLE_REDIRECT_URI or f"{self.PUBLIC_URL}/google_connection"
        )
        if self.APP_ENV is AppEnv.PRODUCTION:
            self._refuse_demo_values()
        return self

    def _refuse_demo_values(self) -> None:
        """Production refuses what works in a demo: filler or short secrets, the keys a demo
        generated, the emulator, and plain http. Messages name the setting, never its value."""
        problems: list[str] = []
        if not self.TOKEN_ENCRYPTION_KEYS:
            problems.append(
                "TOKEN_ENCRYPTION_KEYS: required in production (the generated demo key is refused)"
            )
        demo_key = _read_demo_file(self.DATA_DIR / DEMO_KEY_FILE)
        for position, key in enumerate(self.TOKEN_ENCRYPTION_KEYS, start=1):
            value = key.get_secret_value()
            if demo_key and value == demo_key:
                problems.append(
                    f"TOKEN_ENCRYPTION_KEYS: key {position} is the demo key generated in DATA_DIR; "
                    "make a new one with `python -m integrations keys generate`"
                )
            elif len(set(_fernet_bytes(value))) < 16:
                problems.append(f"TOKEN_ENCRYPTION_KEYS: key {position} is not random")
        if self.demo_mode:
            problems.append("GOOGLE_CLIENT_ID: required in production (demo mode is refused)")
        demo_cookie = _read_demo_file(self.DATA_DIR / DEMO_COOKIE_SECRET_FILE)
        for name in ("GOOGLE_CLIENT_SECRET", "AUTH_CLIENT_SECRET", "AUTH_COOKIE_SECRET"):
            secret: SecretStr | None = getattr(self, name)
            if secret is None:
                problems.append(f"{name}: required in production")
                continue
            value = secret.get_secret_value()
            if _is_placeholder(value) or value in (demo_key, demo_cookie):
                problems.append(f"{name}: a demo or placeholder value is refused in production")
            elif len(value) < MIN_SECRET_LENGTH[name]:
                problems.append(
                    f"{name}: too short for production (at least {MIN_SECRET_LENGTH[name]} "
                    "characters)"
                )
            elif len(set(value)) < MIN_DISTINCT_CHARACTERS:
                problems.append(f"{name}: not random enough for production")
        if self.GOOGLE_CLIENT_ID == DEMO_CLIENT_ID:
            problems.append("GOOGLE_CLIENT_ID: the emulator's demo client is refused in production")
        for name in ("AUTH_SERVER_METADATA_URL", "AUTH_CLIENT_ID"):
            if not getattr(self, name):
                problems.append(f"{name}: required in production")
        for name in (*HTTPS_SETTINGS, *PROVIDER_ENDPOINT_SETTINGS):
            url: str | None = getattr(self, name)
            if not url:
                continue
            parts = urlsplit(url)
            if parts.scheme != "https":
                problems.append(f"{name}: must be an https:// address in production")
            elif name in PROVIDER_ENDPOINT_SETTINGS and (parts.hostname or "") in LOOPBACK_HOSTS:
                problems.append(f"{name}: a service on this machine is refused in production")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def demo_mode(self) -> bool:
        """No Google client configured: the emulators stand in for the outside world."""
        return not self.GOOGLE_CLIENT_ID

    @property
    def emulator_url(self) -> str:
        return f"http://localhost:{self.EMULATOR_PORT}"

    @property
    def google_client_id(self) -> str:
        return self.GOOGLE_CLIENT_ID or DEMO_CLIENT_ID

    @property
    def google_client_secret(self) -> str:
        if self.GOOGLE_CLIENT_SECRET is not None:
            return self.GOOGLE_CLIENT_SECRET.get_secret_value()
        return DEMO_CLIENT_SECRET

    @property
    def auth_server_metadata_url(self) -> str:
        return self.AUTH_SERVER_METADATA_URL or (
            f"{self.emulator_url}/.well-known/openid-configuration"
        )

    @property
    def auth_client_id(self) -> str:
        return self.AUTH_CLIENT_ID or self.google_client_id

    @property
    def auth_client_secret(self) -> str:
        if self.AUTH_CLIENT_SECRET is not None:
            return self.AUTH_CLIENT_SECRET.get_secret_value()
        return self.google_client_secret

    @property
    def uses_loopback_http(self) -> bool:
        """True when every Google endpoint is plain http on this machine (demo and tests only)."""
        urls = [self.GOOGLE_AUTH_URI, self.GOOGLE_TOKEN_URI, self.GOOGLE_API_ENDPOINT]
        return all(
            url is not None
            and urlsplit(url).scheme == "http"
            and urlsplit(url).hostname in {"localhost", "127.0.0.1", "::1"}
            for url in urls
        )

    def secret_values(self) -> list[str]:
        """Every configured secret, so the log filter can scrub them wherever they appear."""
        values = [key.get_secret_value() for key in self.TOKEN_ENCRYPTION_KEYS]
        for name in (
            "AUTH_CLIENT_SECRET",
            "AUTH_COOKIE_SECRET",
            "GOOGLE_CLIENT_SECRET",
            "SMTP_PASSWORD",
            "SMS_API_SECRET",
            "PAYMENT_API_KEY",
        ):
            secret: SecretStr | None = getattr(self, name)
            if secret is not None:
                values.append(secret.get_secret_value())
        return [value for value in values if len(value) >= 6]


def _is_placeholder(value: str) -> bool:
    letters = "".join(character for character in value.lower() if character.isalnum())
    plain = {"".join(c for c in word if c.isalnum()) for word in DEMO_SECRETS}
    return letters in plain or any(word in letters for word in PLACEHOLDER_WORDS)


def _fernet_bytes(key: str) -> bytes:
    import base64

    try:
        return base64.urlsafe_b64decode(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return b""


def _read_demo_file(path: Path) -> str | None:
    """A secret a demo run generated into DATA_DIR, to refuse it if it was copied into prod."""
    try:
        return path.read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def describe_validation_error(error: ValidationError) -> str:
    """One line per bad setting, naming it, never echoing a secret's value."""
    lines = ["Invalid configuration:"]
    for problem in error.errors(include_url=False, include_input=False):
        location = ".".join(str(part) for part in problem["loc"] if not isinstance(part, int))
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"  {location or 'settings'}: {message}")
    return "\n".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Build settings or stop the process with a message naming each bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise ConfigurationError(describe_validation_error(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings; cached because the environment does not change under us."""
    return load_settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
