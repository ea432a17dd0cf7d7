"""Google's errors in our words: what googleapiclient, google-auth and httplib2 raise, named as
an `ErrorKind` so that retry, alerts and pages never look at Google's exception types."""

from __future__ import annotations

import json

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError

from integrations.core.failures import Classified, ErrorKind, classify_network_error

#: 403 with these reasons is Google asking us to slow down, not refusing.
_RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})


def _reason(error: HttpError) -> str | None:
    # googleapiclient's own `reason` is the human message: the machine one is in the body.
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


def _kind_of_status(status: int | None, reason: str | None) -> ErrorKind:
    if status == 429 or (status == 403 and reason in _RATE_LIMIT_REASONS):
        return ErrorKind.RATE_LIMITED
    if status is not None and status >= 500:
        return ErrorKind.TRANSIENT
    if status == 403 and reason == "quotaExceeded":
        return ErrorKind.QUOTA_EXCEEDED
    by_status = {
        401: ErrorKind.NEEDS_REAUTH,
        403: ErrorKind.FORBIDDEN,
        404: ErrorKind.NOT_FOUND,
        409: ErrorKind.CONFLICT,
        410: ErrorKind.GONE,
        412: ErrorKind.PRECONDITION_FAILED,
    }
    if status in by_status:
        return by_status[status]
    if status is not None and 400 <= status < 500:
        return ErrorKind.INVALID
    return ErrorKind.UNKNOWN


def classify_google_error(error: BaseException) -> Classified | None:
    """Name an error raised while talking to Google; None when it is not one of Google's
    libraries' (a timeout or a reset connection is the network's: see `classify_network_error`).

    A refused refresh (`invalid_grant`) needs the trainer; quota exhaustion and permissions are
    permanent; rate limits, 5xx and transport failures are transient, with Retry-After kept.
    """
    if isinstance(error, RefreshError):
        retryable = getattr(error, "retryable", False)
        kind = ErrorKind.TRANSIENT if retryable else ErrorKind.NEEDS_REAUTH
        return Classified(kind, None, "invalid_grant" if not retryable else None, None)
    if isinstance(error, TransportError | httplib2.HttpLib2Error):
        return Classified(ErrorKind.TRANSIENT, None, type(error).__name__, None)
    if not isinstance(error, HttpError):
        return None
    status = int(error.resp.status) if error.resp is not None else None
    reason = _reason(error)
    return Classified(_kind_of_status(status, reason), status, reason, _retry_after(error))


def classify(error: BaseException) -> Classified:
    """Any error met on a Google call, named: Google's own, else the network's."""
    return classify_google_error(error) or classify_network_error(error)
