"""Which provider failures are retried, how long we wait, and which are never retried blindly."""

from __future__ import annotations

import json

import httplib2
import pytest
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from integrations.core.retry import ErrorKind, RetryPolicy, classify


def google_error(
    status: int, reason: str | None = None, retry_after: str | None = None
) -> HttpError:
    """An HttpError exactly as googleapiclient builds it from Google's response."""
    headers = {"status": str(status), "content-type": "application/json; charset=UTF-8"}
    if retry_after is not None:
        headers["retry-after"] = retry_after
    body = {"error": {"code": status, "message": reason or "error", "errors": []}}
    if reason:
        body["error"]["errors"] = [{"domain": "usageLimits", "reason": reason, "message": reason}]
    return HttpError(
        httplib2.Response(headers), json.dumps(body).encode(), uri="https://x/calendar/v3"
    )


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


def test_retry_after_is_honoured_and_capped() -> None:
    waits: list[float] = []
    calls = iter([google_error(429, retry_after="7"), google_error(503), "done"])

    def flaky() -> str:
        outcome = next(calls)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    policy = RetryPolicy(attempts=5, initial_wait=1.0, max_wait=30.0, sleep=waits.append)
    assert policy.call(flaky) == "done"
    assert len(waits) == 2
    assert waits[0] >= 7.0  # the server asked for 7 s; backoff alone would be ~1-2 s
    assert 1.0 <= waits[1] <= 30.0


def test_backoff_grows_between_attempts_and_gives_up_in_the_end() -> None:
    waits: list[float] = []

    def always_down() -> None:
        raise google_error(500)

    policy = RetryPolicy(attempts=4, initial_wait=1.0, max_wait=60.0, sleep=waits.append)
    with pytest.raises(HttpError):
        policy.call(always_down)
    assert len(waits) == 3
    assert waits[2] > waits[0]


@pytest.mark.parametrize(
    "error",
    [
        google_error(403, "quotaExceeded"),
        google_error(403, "forbiddenForNonOrganizer"),
        google_error(404),
    ],
)
def test_permanent_failures_are_not_retried(error: HttpError) -> None:
    attempts: list[int] = []

    def fails() -> None:
        attempts.append(1)
        raise error

    with pytest.raises(HttpError):
        RetryPolicy(sleep=lambda _: None).call(fails)
    assert attempts == [1]


def test_a_revoked_grant_is_never_retried() -> None:
    attempts: list[int] = []

    def revoked() -> None:
        attempts.append(1)
        raise RefreshError("invalid_grant", {"error": "invalid_grant"}, retryable=False)

    with pytest.raises(RefreshError):
        RetryPolicy(sleep=lambda _: None).call(revoked)
    assert attempts == [1]
