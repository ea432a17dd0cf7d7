"""Log lines are structured and never carry a token, a secret or an authorization header."""

from __future__ import annotations

import io
import json
import logging

import pytest
from sqlmodel import Session, select

from db.models import IntegrationLog
from integrations.config import load_settings
from integrations.core import audit
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


#: Every secret shape seen in the wild, each with the secret that must not survive.
SECRET_SHAPES = {
    "quoted_refresh_token": ("refresh_token='1//0gAbcDefGhiJkl'", "0gAbcDefGhiJkl"),
    "spaced_token": ("token = sEcReTvAlUe", "sEcReTvAlUe"),
    "google_auth_code": ("Google sent 4/0AVGzR1BhIjKlMnOp back", "0AVGzR1BhIjKlMnOp"),
    "url_encoded_code": (
        "redirect=https%3A%2F%2Fapp%2Fcb%3Fcode%3DAuThCoDe12345%26state%3Dabc",
        "AuThCoDe12345",
    ),
    "client_secret_colon": ("client_secret: GOCSPX-AbCdEfGh123", "AbCdEfGh123"),
    "channel_token_header": ("x-goog-channel-token: ChAnNeLsEcReT99", "ChAnNeLsEcReT99"),
    "stripe_live_key": ("stripe said no for sk_live_51AbCdEfGhIjKl", "51AbCdEfGhIjKl"),
    "parenthesised_code": ("exchange failed (code=OpAqUeCoDe77)", "OpAqUeCoDe77"),
    "escaped_json_tail": (
        'body="{\\"token_type\\": \\"Bearer\\", \\"access_token\\": \\"OpAqUe-AcCeSs',
        "OpAqUe-AcCeSs",
    ),
    "google_access_token": ("retrying with ya29.a0AfH6SMBxYz-123", "a0AfH6SMBxYz-123"),
    "google_refresh_token": ("kept 1//09aBcDeFgHiJkLmN", "09aBcDeFgHiJkLmN"),
    "bearer_header": ("Authorization: Bearer oPaQuEbEaReR123", "oPaQuEbEaReR123"),
    "fernet_ciphertext": (
        "could not read gAAAAABnQ1w2e3r4t5y6u7i8o9p0aAbBcC",
        "gAAAAABnQ1w2e3r4t5y6u7i8o9p0aAbBcC",
    ),
    "stripe_test_key": ("key sk_test_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc"),
    "stripe_restricted_key": ("key rk_live_51HgFeDcBa98765", "51HgFeDcBa98765"),
    "stripe_webhook_secret": (
        "signing with whsec_MfKQ9r8GKYqrTwjUPD8ILPZI",
        "MfKQ9r8GKYqrTwjUPD8ILPZI",
    ),
    "twilio_token_in_url": (
        "POST https://AC0123456789abcdef:TwIlIoAuThToKeN@api.twilio.com/2010-04-01/Messages",
        "TwIlIoAuThToKeN",
    ),
    "jwt": ("id token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl", "eyJzdWIiOiIxMjMifQ"),
    "password_in_database_url": (
        "could not connect to postgresql://newym:PgPaSsWoRd@db.internal:5432/newym",
        "PgPaSsWoRd",
    ),
}


@pytest.mark.parametrize("shape", SECRET_SHAPES)
def test_no_secret_shape_reaches_a_log_line(shape: str) -> None:
    message, secret = SECRET_SHAPES[shape]
    line = _log_line("test.shapes", message)
    assert secret not in line
    assert REDACTED in line


@pytest.mark.parametrize("shape", SECRET_SHAPES)
def test_no_secret_shape_reaches_the_integration_log_a_manager_reads(
    session: Session, shape: str
) -> None:
    message, secret = SECRET_SHAPES[shape]
    audit.record(
        session,
        "sync_failed",
        message,
        integration="google_calendar",
        details={"answer": message, "nested": [{"body": message}], "refresh_token": "plain"},
    )
    session.commit()
    session.expire_all()
    row = session.exec(select(IntegrationLog)).one()
    stored = f"{row.message} {json.dumps(row.details)}"
    assert secret not in stored
    assert "plain" not in stored
    assert REDACTED in row.message


ORDINARY_TEXT = [
    "synced 42 events for trainer Dana in 1.2 s",
    "Yoga with Noa: 10:00-11:00 @ Studio 2 (+972 50-123-4567)",
    "אימון כוח: 3 סטים, 12 חזרות",
    "Google answered 403 (rateLimitExceeded), error code: 403; retry 2 of 5",
    "next page pageToken=CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA0 with syncToken missing",
    "token_uri=https://oauth2.googleapis.com/token status_code=500",
    "4/0 sessions kept; 1/2 done",
]


@pytest.mark.parametrize("text", ORDINARY_TEXT)
def test_ordinary_text_keeps_every_word_in_log_lines_and_in_the_store(
    session: Session, text: str
) -> None:
    assert json.loads(_log_line("test.ordinary", text))["message"] == text
    audit.record(session, "sync_finished", text, details={"summary": text, "count": 42})
    session.commit()
    row = session.exec(select(IntegrationLog)).one()
    assert row.message == text
    assert row.details == {"summary": text, "count": 42}
