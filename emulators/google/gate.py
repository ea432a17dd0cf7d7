"""What stands before every Calendar API call: the request log, injected faults, the access
token check and the per-user quota.

`ApiGateMiddleware` applies it to `/calendar/v3/...` and `/batch/calendar/v3`, and again to each
call inside a batch (the batch endpoint replays its parts through the app). The log counts HTTP
requests (a batch is one) and API calls (a batch's parts each count, as they do against Google's
quota), per account.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulators.google.api_errors import (
    ApiError,
    error_for,
    invalid_credentials,
    missing_credentials,
)
from emulators.google.state import AccessToken, EmulatorState

#: Scope key: the caller's live access token, for the routes.
TOKEN_KEY = "google_emulator.token"
#: Scope key: set on a call replayed from inside a batch.
BATCH_PART_KEY = "google_emulator.batch_part"
API_PREFIXES = ("/calendar/v3/", "/batch/calendar/v3")
BATCH_PATH = "/batch/calendar/v3"
DEFAULT_PER_MINUTE = 600

FaultKind = Literal["error", "delay", "drop"]


@dataclass
class Fault:
    """Answer the next `remaining` matching calls with an error, a delay or a dropped line."""

    kind: FaultKind
    remaining: int
    status: int = 500
    reason: str | None = None
    message: str | None = None
    retry_after: int | None = None
    seconds: float = 0.0
    method: str | None = None
    path: re.Pattern[str] | None = None
    email: str | None = None

    def matches(self, method: str, path: str, email: str | None, in_batch: bool) -> bool:
        if self.remaining <= 0 or (self.kind == "drop" and in_batch):
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        if self.path and not self.path.search(path):
            return False
        return not (self.email and self.email != email)

    def error(self) -> ApiError:
        failure = error_for(self.status, self.reason, self.message)
        if self.retry_after is not None:
            failure.headers["Retry-After"] = str(self.retry_after)
        return failure


@dataclass
class LoggedCall:
    email: str | None
    method: str
    path: str
    query: str
    in_batch: bool
    status: int | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "inBatch": self.in_batch,
            "status": self.status,
        }


@dataclass
class Gate:
    """Faults, quota and the request log; guarded by the emulator's lock."""

    lock: threading.RLock
    faults: list[Fault] = field(default_factory=list)
    calls: list[LoggedCall] = field(default_factory=list)
    per_minute: int = DEFAULT_PER_MINUTE
    per_minute_by_email: dict[str, int] = field(default_factory=dict)
    _recent: dict[str, deque[float]] = field(default_factory=dict)

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.calls.clear()
            self.per_minute = DEFAULT_PER_MINUTE
            self.per_minute_by_email.clear()
            self._recent.clear()

    def add_fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, method: str, path: str, email: str | None, in_batch: bool) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path, email, in_batch):
                    fault.remaining -= 1
                    self.faults = [f for f in self.faults if f.remaining > 0]
                    return fault
            return None

    def set_quota(self, per_minute: int, email: str | None) -> None:
        with self.lock:
            if email:
                self.per_minute_by_email[email] = per_minute
            else:
                self.per_minute = per_minute
            self._recent.clear()

    def within_quota(self, email: str) -> bool:
        """Count one call against the account's requests-per-minute, if there is room."""
        now = time.monotonic()
        with self.lock:
            limit = self.per_minute_by_email.get(email, self.per_minute)
            recent = self._recent.setdefault(email, deque())
            while recent and recent[0] <= now - 60:
                recent.popleft()
            if len(recent) >= limit:
                return False
            recent.append(now)
            return True

    def record(self, call: LoggedCall) -> None:
        with self.lock:
            self.calls.append(call)

    def summary(self, email: str | None) -> dict[str, Any]:
        with self.lock:
            chosen = [c for c in self.calls if email is None or c.email == email]
            return {
                "httpRequests": sum(1 for c in chosen if not c.in_batch),
                "apiCalls": sum(1 for c in chosen if c.path != BATCH_PATH),
                "calls": [c.describe() for c in chosen],
            }

    def clear_log(self) -> None:
        with self.lock:
            self.calls.clear()


class ApiGateMiddleware:
    """Pure ASGI, so a fault can hold the line or drop it before any response starts."""

    def __init__(self, app: ASGIApp, state: EmulatorState, gate: Gate) -> None:
        self.app = app
        self.state = state
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(API_PREFIXES):
            await self.app(scope, receive, send)
            return
        in_batch = bool(scope.get(BATCH_PART_KEY))
        method = scope["method"]
        bearer = _bearer(scope)
        with self.state.lock:
            known = self.state.access_tokens.get(bearer) if bearer else None
            email = known.email if known else None
        call = LoggedCall(
            email, method, path, scope.get("query_string", b"").decode("latin-1"), in_batch
        )
        self.gate.record(call)

        async def logged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                call.status = int(message["status"])
            await send(message)

        fault = self.gate.take_fault(method, path, email, in_batch)
        if fault is not None and fault.kind == "drop":
            await _drop_connection(receive)
            return
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
        elif fault is not None:
            await fault.error().response()(scope, receive, logged_send)
            return
        token: AccessToken | None = self.state.valid_access_token(bearer) if bearer else None
        if token is None and path == BATCH_PATH:
            # A batch may carry credentials only in its parts.
            await self.app(scope, receive, logged_send)
            return
        if token is None:
            failure = invalid_credentials() if bearer else missing_credentials()
            await failure.response()(scope, receive, logged_send)
            return
        if path != BATCH_PATH and not self.gate.within_quota(token.email):
            await ApiError(403, "rateLimitExceeded").response()(scope, receive, logged_send)
            return
        scope[TOKEN_KEY] = token
        await self.app(scope, receive, logged_send)


def _bearer(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            text = bytes(value).decode("latin-1").strip()
            if text[:7].lower() == "bearer ":
                return text[7:].strip()
    return ""


async def _drop_connection(receive: Receive) -> None:
    """Close the socket without a byte of response, as a dying proxy would.

    uvicorn keeps the connection on the request cycle whose bound `receive` it passes in; with
    another server the call just ends without a response, which it reports as a failure.
    """
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionAbortedError("injected dropped connection")
    transport.close()
    for _ in range(100):
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0.001)
