"""Google API errors in the JSON shapes googleapis.com answers with.

Two families exist. The Calendar backend still answers in the legacy shape
(`{"error": {"errors": [...], "code": ..., "message": ...}}`); errors raised by Google's API
front end before the request reaches Calendar (bad or missing credentials, missing scopes) carry
a gRPC `status` and, for scopes, `details` with an `ErrorInfo`. googleapiclient's
`HttpError.reason` is the top-level `message`, and `error_details` is `details` when present,
otherwise `errors`.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

_AUTH_REALM = 'Bearer realm="https://accounts.google.com/"'

#: What Google says for a reason when nothing more specific is known: (domain, status, message).
KNOWN_REASONS: dict[str, tuple[str, int, str]] = {
    "badRequest": ("global", 400, "Bad Request"),
    "invalid": ("global", 400, "Invalid Value"),
    "required": ("global", 400, "Required"),
    "parseError": ("global", 400, "Parse Error"),
    "timeRangeEmpty": ("calendar", 400, "The specified time range is empty."),
    "authError": ("global", 401, "Invalid Credentials"),
    "forbidden": ("global", 403, "Forbidden"),
    "insufficientPermissions": ("global", 403, "Insufficient Permission"),
    "requiredAccessLevel": ("calendar", 403, "You need to have writer access to this calendar."),
    "rateLimitExceeded": ("usageLimits", 403, "Rate Limit Exceeded"),
    "userRateLimitExceeded": ("usageLimits", 403, "User Rate Limit Exceeded"),
    "dailyLimitExceeded": ("usageLimits", 403, "Daily Limit Exceeded"),
    "quotaExceeded": ("usageLimits", 403, "Calendar usage limits exceeded."),
    "forbiddenForNonOrganizer": (
        "calendar",
        403,
        "Shared properties can only be changed by the organizer of the event.",
    ),
    "notFound": ("global", 404, "Not Found"),
    "duplicate": ("global", 409, "The requested identifier already exists."),
    "fullSyncRequired": (
        "calendar",
        410,
        "Sync token is no longer valid, a full sync is required.",
    ),
    "deleted": ("calendar", 410, "Resource has been deleted"),
    "updatedMinTooLongAgo": (
        "calendar",
        410,
        "The requested minimum modification time lies too far in the past.",
    ),
    "conditionNotMet": ("global", 412, "Precondition Failed"),
    "backendError": ("global", 500, "Backend Error"),
}

#: The reason a status gets when a fault names none.
DEFAULT_REASONS: dict[int, str] = {
    400: "badRequest",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    409: "duplicate",
    410: "fullSyncRequired",
    412: "conditionNotMet",
    429: "rateLimitExceeded",
    500: "backendError",
    503: "backendError",
}

_STATUS_MESSAGES = {503: "The service is currently unavailable."}


class ApiError(Exception):
    """An error answer; raise it anywhere under a Calendar route."""

    def __init__(
        self,
        status: int,
        reason: str,
        message: str | None = None,
        *,
        domain: str | None = None,
        location: str | None = None,
        location_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        known_domain, _, known_message = KNOWN_REASONS.get(reason, ("global", status, reason))
        self.status = status
        self.reason = reason
        self.message = message or _STATUS_MESSAGES.get(status) or known_message
        self.domain = domain or known_domain
        self.location = location
        self.location_type = location_type
        self.headers = headers or {}
        super().__init__(f"{status} {reason}: {self.message}")

    def body(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "domain": self.domain,
            "reason": self.reason,
            "message": self.message,
        }
        if self.location is not None:
            item["locationType"] = self.location_type or "parameter"
            item["location"] = self.location
        return {"error": {"errors": [item], "code": self.status, "message": self.message}}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


class FrontEndError(ApiError):
    """An error from Google's API front end: the newer shape with a gRPC status."""

    def __init__(
        self,
        status: int,
        reason: str,
        item_message: str,
        message: str,
        *,
        grpc_status: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            status,
            reason,
            message,
            location="Authorization" if status == 401 else None,
            location_type="header",
            headers=headers,
        )
        self.item_message = item_message
        self.grpc_status = grpc_status
        self.details = details

    def body(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "message": self.item_message,
            "domain": self.domain,
            "reason": self.reason,
        }
        if self.location is not None:
            item["location"] = self.location
            item["locationType"] = self.location_type
        error: dict[str, Any] = {
            "code": self.status,
            "message": self.message,
            "errors": [item],
            "status": self.grpc_status,
        }
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


def error_for(status: int, reason: str | None = None, message: str | None = None) -> ApiError:
    """The error Google gives for a status and reason, as an injected fault uses it."""
    chosen = reason or DEFAULT_REASONS.get(status, "backendError")
    if status == 401 and chosen == "authError":
        return invalid_credentials()
    return ApiError(status, chosen, message)


def missing_credentials() -> FrontEndError:
    return FrontEndError(
        401,
        "required",
        "Login Required.",
        "Request is missing required authentication credential. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        grpc_status="UNAUTHENTICATED",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "CREDENTIALS_MISSING",
                "domain": "googleapis.com",
                "metadata": {"service": "calendar-json.googleapis.com"},
            }
        ],
        headers={"WWW-Authenticate": _AUTH_REALM},
    )


def invalid_credentials() -> FrontEndError:
    return FrontEndError(
        401,
        "authError",
        "Invalid Credentials",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        grpc_status="UNAUTHENTICATED",
        headers={"WWW-Authenticate": f'{_AUTH_REALM}, error="invalid_token"'},
    )


def insufficient_scopes(method: str, needed: list[str]) -> FrontEndError:
    return FrontEndError(
        403,
        "insufficientPermissions",
        "Insufficient Permission",
        "Request had insufficient authentication scopes.",
        grpc_status="PERMISSION_DENIED",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                "domain": "googleapis.com",
                "metadata": {"service": "calendar-json.googleapis.com", "method": method},
            }
        ],
        headers={
            "WWW-Authenticate": (
                f'{_AUTH_REALM}, error="insufficient_scope", scope="{" ".join(needed)}"'
            )
        },
    )


def not_found() -> ApiError:
    return ApiError(404, "notFound")


def invalid(message: str, location: str | None = None) -> ApiError:
    return ApiError(400, "invalid", message, location=location)


def required(message: str, location: str | None = None) -> ApiError:
    return ApiError(400, "required", message, location=location)
