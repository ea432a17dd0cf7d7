"""What went wrong when we talked to a provider, in words every integration shares.

Each integration names its own SDK's errors (`IntegrationPort.classify_error`); what no provider
owns (a timeout, a dropped connection) is named here. Retry, rate-limit accounting, alerts and
the pages read only these words, never a provider's exception types.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class ErrorKind(StrEnum):
    RATE_LIMITED = (
        "rate_limited"  # 429, or a provider's "slow down" (Google: 403 rateLimitExceeded)
    )
    TRANSIENT = "transient"  # 5xx, timeouts, dropped connections
    QUOTA_EXCEEDED = "quota_exceeded"  # a quota used up for hours (Google: 403 quotaExceeded)
    NEEDS_REAUTH = "needs_reauth"  # invalid_grant, revoked access, 401 after a refresh
    FORBIDDEN = "forbidden"  # 403 other than rate and quota limits
    NOT_FOUND = "not_found"  # 404
    GONE = "gone"  # 410: Google's fullSyncRequired, or already deleted
    CONFLICT = "conflict"  # 409 duplicate
    PRECONDITION_FAILED = "precondition_failed"  # 412 If-Match lost
    INVALID = "invalid"  # other 4xx
    UNKNOWN = "unknown"


RETRYABLE = frozenset({ErrorKind.RATE_LIMITED, ErrorKind.TRANSIENT})


@dataclass(frozen=True, slots=True)
class Classified:
    kind: ErrorKind
    status: int | None
    reason: str | None
    retry_after: float | None

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


#: Names an error, or None when it is not this classifier's (another integration's, or ours).
ErrorClassifier = Callable[[BaseException], Classified | None]


def classify_network_error(error: BaseException) -> Classified:
    """What is left once every integration declined: the network's own failures are transient,
    anything else is unknown (and so never retried blindly)."""
    if isinstance(error, TimeoutError | socket.timeout | ConnectionError | OSError):
        return Classified(ErrorKind.TRANSIENT, None, type(error).__name__, None)
    return Classified(ErrorKind.UNKNOWN, None, type(error).__name__, None)
