"""Retry with exponential backoff and jitter (tenacity), and what is worth retrying at all.

Provider errors are first classified: rate limits, 5xx and timeouts are transient and retried,
honouring Retry-After; quota exhaustion, permission and "needs re-auth" errors are permanent and
are raised at once, so that nothing retries in a loop against a wall.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


class ErrorKind(StrEnum):
    RATE_LIMITED = "rate_limited"  # 429, 403 rateLimitExceeded/userRateLimitExceeded
    TRANSIENT = "transient"  # 5xx, timeouts, dropped connections
    QUOTA_EXCEEDED = "quota_exceeded"  # 403 quotaExceeded: read-only for hours
    NEEDS_REAUTH = "needs_reauth"  # invalid_grant, revoked access, 401 after a refresh
    FORBIDDEN = "forbidden"  # 403 forbiddenForNonOrganizer, insufficientPermissions, ...
    NOT_FOUND = "not_found"  # 404
    GONE = "gone"  # 410: fullSyncRequired or already deleted
    CONFLICT = "conflict"  # 409 duplicate
    PRECONDITION_FAILED = "precondition_failed"  # 412 If-Match lost
    INVALID = "invalid"  # other 4xx
    UNKNOWN = "unknown"


RETRYABLE = frozenset({ErrorKind.RATE_LIMITED, ErrorKind.TRANSIENT})
_RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})


@dataclass(frozen=True, slots=True)
class Classified:
    kind: ErrorKind
    status: int | None
    reason: str | None
    retry_after: float | None

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


def _reason(error: HttpError) -> str | None:
    reason = getattr(error, "reason", None)
    try:
        body = json.loads(error.content.decode("utf-8"))
        errors = body.get("error", {}).get("errors") or []
        if errors and errors[0].get("reason"):
            return str(errors[0]["reason"])
    except (ValueError, AttributeError, UnicodeDecodeError):
        pass
    return str(reason) if reason else None


def _retry_after(error: HttpError) -> float | None:
    value = error.resp.get("retry-after") if error.resp is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare from Google; fall back to our own backoff


def classify(error: BaseException) -> Classified:
    """Name what went wrong, so the caller can decide between retry, re-auth and giving up."""
    if isinstance(error, RefreshError):
        retryable = getattr(error, "retryable", False)
        kind = ErrorKind.TRANSIENT if retryable else ErrorKind.NEEDS_REAUTH
        return Classified(kind, None, "invalid_grant" if not retryable else None, None)
    if isinstance(error, TransportError | TimeoutError | socket.timeout | ConnectionError):
        return Classified(ErrorKind.TRANSIENT, None, type(error).__name__, None)
    if isinstance(error, httplib2.HttpLib2Error | OSError):
        return Classified(ErrorKind.TRANSIENT, None, type(error).__name__, None)
    if not isinstance(error, HttpError):
        return Classified(ErrorKind.UNKNOWN, None, type(error).__name__, None)
    status = int(error.resp.status) if error.resp is not None else None
    reason = _reason(error)
    retry_after = _retry_after(error)
    if status == 429 or (status == 403 and reason in _RATE_LIMIT_REASONS):
        kind = ErrorKind.RATE_LIMITED
    elif status is not None and status >= 500:
        kind = ErrorKind.TRANSIENT
    elif status == 403 and reason == "quotaExceeded":
        kind = ErrorKind.QUOTA_EXCEEDED
    elif status == 401:
        kind = ErrorKind.NEEDS_REAUTH
    elif status == 403:
        kind = ErrorKind.FORBIDDEN
    elif status == 404:
        kind = ErrorKind.NOT_FOUND
    elif status == 410:
        kind = ErrorKind.GONE
    elif status == 409:
        kind = ErrorKind.CONFLICT
    elif status == 412:
        kind = ErrorKind.PRECONDITION_FAILED
    elif status is not None and 400 <= status < 500:
        kind = ErrorKind.INVALID
    else:
        kind = ErrorKind.UNKNOWN
    return Classified(kind, status, reason, retry_after)


def _wait_honouring_retry_after(
    base: Callable[[RetryCallState], float], cap: float
) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        backoff = base(state)
        error = state.outcome.exception() if state.outcome else None
        retry_after = classify(error).retry_after if error else None
        return min(cap, max(backoff, retry_after or 0.0))

    return wait


@dataclass
class RetryPolicy:
    """How hard to try: attempts, backoff (doubling, with jitter) and the longest single wait."""

    attempts: int = 5
    initial_wait: float = 1.0
    max_wait: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    on_retry: Callable[[Classified, int, float], None] | None = None

    def retrying(self) -> Retrying:
        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            if error is None:
                return
            classified = classify(error)
            delay = state.next_action.sleep if state.next_action else 0.0
            log.warning(
                "retrying after %s (%s %s), attempt %d, waiting %.1fs",
                classified.kind.value,
                classified.status,
                classified.reason,
                state.attempt_number,
                delay,
                extra={"event": "provider_retry"},
            )
            if self.on_retry is not None:
                self.on_retry(classified, state.attempt_number, delay)

        return Retrying(
            retry=retry_if_exception(lambda error: classify(error).retryable),
            stop=stop_after_attempt(self.attempts),
            wait=_wait_honouring_retry_after(
                wait_exponential_jitter(
                    multiplier=self.initial_wait, max=self.max_wait, jitter=self.initial_wait
                ),
                self.max_wait,
            ),
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )

    def call(self, function: Callable[[], T]) -> T:
        """Run `function`, retrying transient failures; permanent ones are raised at once."""
        result: Any = self.retrying()(function)
        return result  # type: ignore[no-any-return]
