"""Google's errors as its client library raises them, for tests of what each one means."""

from __future__ import annotations

import json

import httplib2
from googleapiclient.errors import HttpError


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
