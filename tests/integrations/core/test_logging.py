"""Log lines are structured and never carry a token, a secret or an authorization header."""

from __future__ import annotations

import io
import json
import logging

import pytest

from integrations.config import load_settings
from integrations.core.logging import REDACTED, build_handler


def _log_line(logger_name: str, message: str, *args: object, **extra: object) -> str:
    settings = load_settings(
        LOG_FORMAT="json", SMTP_PASSWORD="hunter2-smtp-password", GOOGLE_CLIENT_ID="id-x"
    )
    stream = io.StringIO()
    logger = logging.getLogger(logger_name)
    logger.propagate = False
    handler = build_handler(settings, stream)
    logger.addHandler(handler)
    try:
        logger.warning(message, *args, extra=extra)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        (
            "GET /calendar Authorization: Bearer ya29.A0ARrdaM-abcdefghijkl",
            "ya29.A0ARrdaM-abcdefghijkl",
        ),
        ("headers={'authorization': 'Bearer abcdefgh12345678'}", "abcdefgh12345678"),
        (
            "POST /token body=grant_type=refresh_token&refresh_token=1//0gLongRefresh",
            "1//0gLongRefresh",
        ),
        (
            'token response {"access_token": "opaque-access-value", "expires_in": 3599}',
            "opaque-access-value",
        ),
        ("callback ?code=4/0AVGzR1Bcode&state=xyz", "4/0AVGzR1Bcode"),
        (
            "stored gAAAAABlZ0123456789abcdefghijklmnopqrstuv",
            "gAAAAABlZ0123456789abcdefghijklmnopqrstuv",
        ),
        ("id token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl", "eyJzdWIiOiIxMjMifQ"),
        ("smtp login failed with hunter2-smtp-password", "hunter2-smtp-password"),
        ("client_secret=GOCSPX-abcdef", "GOCSPX-abcdef"),
    ],
)
def test_secrets_never_reach_a_log_line(message: str, secret: str) -> None:
    line = _log_line("test.redaction", message)
    assert secret not in line
    assert REDACTED in line


def test_secrets_in_format_arguments_are_redacted_too() -> None:
    line = _log_line("test.args", "refreshing with %s", "Bearer ya29.secretaccess123")
    assert "ya29.secretaccess123" not in line


def test_exception_tracebacks_are_redacted() -> None:
    settings = load_settings(LOG_FORMAT="json")
    stream = io.StringIO()
    logger = logging.getLogger("test.traceback")
    logger.propagate = False
    handler = build_handler(settings, stream)
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError("token endpoint said access_token=leaked-value-123")
        except RuntimeError:
            logger.exception("refresh failed")
    finally:
        logger.removeHandler(handler)
    assert "leaked-value-123" not in stream.getvalue()
    assert "RuntimeError" in stream.getvalue()


def test_important_events_carry_trainer_and_integration_as_fields() -> None:
    line = _log_line(
        "test.fields",
        "sync finished",
        event="sync_finished",
        trainer_id="t-1",
        integration="google_calendar",
    )
    record = json.loads(line)
    assert record["message"] == "sync finished"
    assert record["event"] == "sync_finished"
    assert record["trainer_id"] == "t-1"
    assert record["integration"] == "google_calendar"
    assert record["level"] == "warning"


def test_ordinary_words_survive_redaction() -> None:
    line = _log_line("test.plain", "synced 42 events for trainer Dana in 1.2 s")
    assert json.loads(line)["message"] == "synced 42 events for trainer Dana in 1.2 s"


def test_configure_logging_also_scrubs_libraries_with_their_own_handlers() -> None:
    from integrations.core.logging import configure_logging

    stream = io.StringIO()
    library = logging.getLogger("some.library.with.handler")
    own = logging.StreamHandler(stream)
    library.addHandler(own)
    library.propagate = False
    try:
        configure_logging(load_settings(), process="test")
        library.warning("callback ?code=4/0secret-code&state=s")
    finally:
        library.removeHandler(own)
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "_newym", False):
                logging.getLogger().removeHandler(handler)
    assert "4/0secret-code" not in stream.getvalue()
