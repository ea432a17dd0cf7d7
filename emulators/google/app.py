"""The Google emulator's ASGI app: the OAuth/OIDC endpoints plus a control API for tests."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from emulators.google.oauth import build_router
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

    app = FastAPI(title="Google emulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.emulator = state
    app.include_router(build_router(state))

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
        state.reset()
        return {"ok": True}

    return app
