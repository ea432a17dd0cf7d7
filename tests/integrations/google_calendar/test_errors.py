"""Google's errors named in our words: what is retried, what needs the trainer, what is final."""

from __future__ import annotations

import pytest
from google.auth.exceptions import RefreshError, TransportError

from integrations.core.failures import ErrorKind
from integrations.core.registry import classify as classify_registered
from integrations.google_calendar.errors import classify, classify_google_error
from tests.support.google_errors import google_error


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (google_error(429), ErrorKind.RATE_LIMITED),
        (google_error(403, "rateLimitExceeded"), ErrorKind.RATE_LIMITED),
        (google_error(403, "userRateLimitExceeded"), ErrorKind.RATE_LIMITED),
        (google_error(500), ErrorKind.TRANSIENT),
        (google_error(503), ErrorKind.TRANSIENT),
        (google_error(403, "quotaExceeded"), ErrorKind.QUOTA_EXCEEDED),
        (google_error(403, "forbiddenForNonOrganizer"), ErrorKind.FORBIDDEN),
        (google_error(401, "authError"), ErrorKind.NEEDS_REAUTH),
        (google_error(410, "fullSyncRequired"), ErrorKind.GONE),
        (google_error(409, "duplicate"), ErrorKind.CONFLICT),
        (google_error(412, "conditionNotMet"), ErrorKind.PRECONDITION_FAILED),
        (google_error(404, "notFound"), ErrorKind.NOT_FOUND),
        (google_error(400, "invalid"), ErrorKind.INVALID),
        (
            RefreshError(
                "invalid_grant: Token has been expired or revoked.",
                {"error": "invalid_grant"},
                retryable=False,
            ),
            ErrorKind.NEEDS_REAUTH,
        ),
        (TimeoutError("timed out"), ErrorKind.TRANSIENT),
        (ConnectionResetError("reset"), ErrorKind.TRANSIENT),
    ],
)
def test_each_failure_is_named(error: BaseException, kind: ErrorKind) -> None:
    assert classify(error).kind is kind
    # Registered, Google Calendar names its errors wherever the product classifies one.
    assert classify_registered(error).kind is kind


def test_only_googles_own_errors_are_claimed() -> None:
    """A timeout is the network's, not Google's: another integration's call may raise it."""
    assert classify_google_error(TimeoutError("timed out")) is None
    assert classify_google_error(ValueError("bad")) is None
    claimed = classify_google_error(TransportError("connection refused"))
    assert claimed is not None and claimed.kind is ErrorKind.TRANSIENT


def test_retry_after_and_reason_are_read_from_googles_answer() -> None:
    found = classify(google_error(403, "rateLimitExceeded", retry_after="12"))
    assert (found.status, found.reason, found.retry_after) == (403, "rateLimitExceeded", 12.0)
    assert found.retryable
