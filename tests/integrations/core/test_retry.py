"""Which provider failures are retried, how long we wait, and which are never retried blindly.

Google's errors are the examples (the registered integration names them); how each Google error
is named is tested in `tests/integrations/google_calendar/test_errors.py`."""

from __future__ import annotations

import pytest
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from integrations.core.failures import Classified, ErrorKind
from integrations.core.retry import RetryPolicy
from tests.support.google_errors import google_error


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


class GatewayBusy(Exception):
    """A provider SDK's error that no registered integration knows."""


def test_a_policy_retries_what_its_own_classifier_names_transient() -> None:
    """Retry is generic: an integration's classifier decides, not Google's error types."""
    attempts: list[int] = []

    def busy_once() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise GatewayBusy("try later")
        return "sent"

    def gateway(error: BaseException) -> Classified | None:
        if isinstance(error, GatewayBusy):
            return Classified(ErrorKind.TRANSIENT, 503, "busy", None)
        return None

    assert RetryPolicy(sleep=lambda _: None, classifier=gateway).call(busy_once) == "sent"
    attempts.clear()
    with pytest.raises(GatewayBusy):  # unknown to the registered integrations: not retried
        RetryPolicy(sleep=lambda _: None).call(busy_once)
    assert attempts == [1]


def test_what_a_classifier_declines_is_named_by_the_network_rules() -> None:
    attempts: list[int] = []

    def reset_once() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionResetError("reset by peer")
        return "done"

    policy = RetryPolicy(sleep=lambda _: None, classifier=lambda error: None)
    assert policy.call(reset_once) == "done"
    assert len(attempts) == 2
