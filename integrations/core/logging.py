"""Structured log lines, with every token, secret and authorization header scrubbed out.

Call `configure_logging(settings)` once per process. Important events pass
`extra={"event": ..., "trainer_id": ..., "integration": ...}`; those fields become JSON keys.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from integrations.config import Settings

REDACTED = "[REDACTED]"
STRUCTURED_FIELDS = ("event", "trainer_id", "integration", "user_id", "sync_run_id", "channel_id")

_SECRET_NAMES = "|".join(  # the names of secrets, not secrets
    (
        "access_token",
        "refresh_token",
        "id_token",
        "auth_token",
        "authtoken",
        "client_secret",
        "code_verifier",
        "password",
        "passwd",
        "pwd",
        "api_key",
        "apikey",
        "api_secret",
        "secret",
        "token",
        "cookie_secret",
        "private_key",
        "signature",
    )
)
# A value's end: whitespace, a separator, a quote (plain, escaped or URL-encoded) or a bracket.
_VALUE = r"(?:(?!%2[26]|%3[bB]|\\)[^\s&'\"\\,;)}\]<>])+"
# A name right after a URL-encoded `?` or `&` (a redirect URL inside another URL).
_ENCODED_SEPARATOR = r"(?<=%3[fF])|(?<=%26)"
_QUOTED = r"[^'\"\\\r\n]+"
_KEY_VALUE = (
    # The name's closing quote if any (plain, or escaped inside a JSON string), the separator,
    # the value's opening quote if any; then the value, up to its closing quote when quoted.
    r"(?:\\?[\"'])?\s*(?:[:=]|%3[dDaA])\s*(?P<open>\\?[\"']|%22)?)"
    r"(?!\[REDACTED\])"
    rf"(?(open){_QUOTED}|{_VALUE})"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Passwords in URLs (postgresql://user:pw@host, https://AC...:authtoken@api.twilio.com).
    (
        re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/:@'\"]*:)[^\s/@'\"]+@"),
        r"\1" + REDACTED + "@",
    ),
    # Authorization headers and bearer credentials, wherever they appear.
    (
        re.compile(
            r"(?i)\b(authorization(?:\\?[\"'])?\s*[:=]\s*(?:\\?[\"'])?)"
            r"(?:(?:bearer|basic|token)\s+)?[^\s,;'\"}\\]+"
        ),
        r"\1" + REDACTED,
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + REDACTED),
    # name=value, name: value, "name": "value", name%3Dvalue, \"name\": \"value (any quoting).
    (
        re.compile(
            rf"(?i)(?P<kept>(?:(?<![A-Za-z0-9])|{_ENCODED_SEPARATOR})(?:x-goog-channel-token|{_SECRET_NAMES}){_KEY_VALUE}"
        ),
        r"\g<kept>" + REDACTED,
    ),
    # `code` is an OAuth authorisation code only as a parameter or a JSON key, not "error code: 3".
    (
        re.compile(
            rf"(?i)(?P<kept>(?:(?<![A-Za-z0-9_-])|{_ENCODED_SEPARATOR})code(?:=|%3[dD]|\\?[\"']\s*:\s*)"
            rf"(?P<open>\\?[\"']|%22)?)(?!\[REDACTED\])(?(open){_QUOTED}|{_VALUE})"
        ),
        r"\g<kept>" + REDACTED,
    ),
    # Token shapes: Google access and refresh tokens and authorisation codes, JWTs, Fernet
    # ciphertext, Google client secrets, Stripe keys and webhook secrets.
    (re.compile(r"ya29\.[A-Za-z0-9._-]+"), REDACTED),
    (re.compile(r"1//[A-Za-z0-9._-]{10,}"), REDACTED),
    (re.compile(r"(?<![A-Za-z0-9/])4(?:/|%2[fF])0[A-Za-z0-9_-]{8,}"), REDACTED),
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"gAAAAA[A-Za-z0-9_=-]{20,}"), REDACTED),
    (re.compile(r"GOCSPX-[A-Za-z0-9_-]{4,}"), REDACTED),
    (re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}"), REDACTED),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=]{8,}"), REDACTED),
)


class Redactor:
    """Scrubs known secret values and anything shaped like a credential out of text."""

    def __init__(self, secret_values: Iterable[str] = ()) -> None:
        values = sorted({value for value in secret_values if value}, key=len, reverse=True)
        self._values = (
            re.compile("|".join(re.escape(value) for value in values)) if values else None
        )

    def __call__(self, text: str) -> str:
        if self._values is not None:
            text = self._values.sub(REDACTED, text)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


_SECRET_KEY = re.compile(rf"(?i)(?:^|[_-])(?:{_SECRET_NAMES}|code|authorization)$")


def redact_value(value: Any, redactor: Redactor) -> Any:
    """A copy of a JSON-like value with secrets scrubbed; a key named like a secret loses its
    whole value, whatever its shape."""
    if isinstance(value, str):
        return redactor(value)
    if isinstance(value, dict):
        return {
            key: REDACTED
            if isinstance(key, str) and _SECRET_KEY.search(key) and value[key]
            else redact_value(value[key], redactor)
            for key in value
        }
    if isinstance(value, list | tuple):
        return [redact_value(item, redactor) for item in value]
    return value


class RedactingFilter(logging.Filter):
    """Rewrites each record's message and string extras before any handler formats it."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redactor(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor(record.exc_text)
        record.exc_info = None
        for name in STRUCTURED_FIELDS:
            value = getattr(record, name, None)
            if isinstance(value, str):
                setattr(record, name, self.redactor(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in STRUCTURED_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = [
            f"{name}={getattr(record, name)}"
            for name in STRUCTURED_FIELDS
            if getattr(record, name, None) is not None
        ]
        return f"{text} {' '.join(fields)}" if fields else text


def build_handler(settings: Settings, stream: Any = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter(Redactor(settings.secret_values())))
    handler.setFormatter(JsonFormatter() if settings.LOG_FORMAT == "json" else TextFormatter())
    return handler


def configure_logging(settings: Settings, process: str) -> None:
    """Route every logger of this process through one redacting handler."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_newym", False):
            root.removeHandler(handler)
    handler = build_handler(settings)
    handler._newym = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.LOG_LEVEL)
    # Libraries that keep handlers of their own (Streamlit, uvicorn) get the same scrubbing.
    redacting = RedactingFilter(Redactor(settings.secret_values()))
    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            for own in logger.handlers:
                if not any(isinstance(f, RedactingFilter) for f in own.filters):
                    own.addFilter(redacting)
    # Third-party loggers that print request URLs (which may carry codes) stay at WARNING.
    for noisy in ("httpx", "httpcore", "urllib3", "googleapiclient.discovery", "huey", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    logging.getLogger(__name__).debug("logging configured for %s", process)
