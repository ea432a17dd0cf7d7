"""The Google emulator's ASGI app: OAuth/OIDC, Calendar API v3 with push and batch, and a
control API for tests."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from emulators.google import batch, calendar
from emulators.google.api_errors import ApiError
from emulators.google.calendar_control import build_control_router
from emulators.google.calendar_state import CalendarStore
from emulators.google.gate import ApiGateMiddleware, Gate
from emulators.google.oauth import build_router
from emulators.google.push import PushNotifier
from emulators.google.state import EmulatorState


class AccountIn(BaseModel):
    email: str
    name: str = ""


class ClientIn(BaseModel):
    client_id: str
    client_secret: str
    redirect_uris: list[str]


class RevokeIn(BaseModel):
    email: str


def create_app(
    issuer: str,
    *,
    clients: list[ClientIn] | None = None,
    accounts: list[AccountIn] | None = None,
) -> FastAPI:
    state = EmulatorState(issuer.rstrip("/"))
    for client in clients or []:
        state.add_client(client.client_id, client.client_secret, set(client.redirect_uris))
    for account in accounts or []:
        state.add_account(account.email, account.name)

    store = CalendarStore(state.lock)
    gate = Gate(state.lock)
    notifier = PushNotifier()
    store.subscribe(notifier.notify)

    app = FastAPI(title="Google emulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.emulator = state
    app.state.calendar = store
    app.state.gate = gate
    app.state.push = notifier
    app.include_router(build_router(state))
    app.include_router(calendar.build_router(store, notifier, lambda: state.issuer))
    app.include_router(batch.build_router())
    app.include_router(build_control_router(store, gate, notifier))
    app.add_middleware(ApiGateMiddleware, state=state, gate=gate)

    @app.exception_handler(ApiError)
    def api_error(request: Request, failure: ApiError) -> JSONResponse:
        return failure.response()

    @app.get("/_emulator/health")
    def health() -> dict[str, Any]:
        return {"ok": True, "issuer": state.issuer, "accounts": len(state.accounts)}

    @app.post("/_emulator/accounts")
    def add_account(account: AccountIn) -> dict[str, str]:
        added = state.add_account(account.email, account.name)
        return {"email": added.email, "sub": added.sub}

    @app.post("/_emulator/clients")
    def add_client(client: ClientIn) -> dict[str, str]:
        state.add_client(client.client_id, client.client_secret, set(client.redirect_uris))
        return {"client_id": client.client_id}

    @app.post("/_emulator/revoke-account")
    def revoke_account(body: RevokeIn) -> dict[str, int]:
        """As if the user removed the app under "Third-party access" in their Google account."""
        return {"revoked": state.revoke_account(body.email.strip().lower())}

    @app.post("/_emulator/reset")
    def reset() -> dict[str, bool]:
        """Forget tokens, calendars, channels, faults and the request log; keep accounts."""
        state.reset()
        store.reset()
        gate.reset()
        notifier.reset()
        return {"ok": True}

    return app
