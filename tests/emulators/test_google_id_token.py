"""The id token verifies with google-auth against the emulator's JWKS, as it would with Google's."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import jwt
import pytest
from google.auth.transport.requests import Request
from google.oauth2 import id_token
from google_auth_oauthlib.flow import Flow

from tests.support.google_emulator import (
    CALENDAR_REDIRECT_URI,
    CALENDAR_SCOPES,
    OPENID,
    GoogleEmulator,
    callback_params,
)


@pytest.fixture(autouse=True)
def _loopback_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def _sign_in(
    google: GoogleEmulator, email: str, nonce: str, scopes: list[str] = CALENDAR_SCOPES
) -> dict[str, Any]:
    flow = Flow.from_client_config(
        google.client_config(), scopes=scopes, redirect_uri=CALENDAR_REDIRECT_URI
    )
    authorization_url, _ = flow.authorization_url(nonce=nonce)
    token: dict[str, Any] = flow.fetch_token(
        code=callback_params(google.consent(authorization_url, email=email))["code"]
    )
    return token


def test_id_token_verifies_and_names_the_person(google: GoogleEmulator) -> None:
    """verify_token with the emulator's certs URL accepts the id token and reads its claims.

    It carries email, name, a stable sub and the nonce sent, and its issuer is the one
    discovery announces.
    """
    nonce = secrets.token_urlsafe(16)
    token = _sign_in(google, "dana@example.com", nonce)

    claims = id_token.verify_token(
        token["id_token"],
        Request(),
        audience=google.client_id,
        certs_url=google.url("/oauth2/v3/certs"),
    )

    discovery = httpx.get(google.url("/.well-known/openid-configuration")).json()
    assert claims["iss"] == discovery["issuer"] == google.base_url
    assert discovery["jwks_uri"] == google.url("/oauth2/v3/certs")
    assert claims["aud"] == claims["azp"] == google.client_id
    assert claims["email"] == "dana@example.com"
    assert claims["email_verified"] is True
    assert claims["name"] == "Dana Cohen"
    assert claims["nonce"] == nonce
    assert claims["sub"].isdigit()
    assert claims["exp"] > claims["iat"]

    again = _sign_in(google, "dana@example.com", secrets.token_urlsafe(16))
    assert (
        jwt.decode(again["id_token"], options={"verify_signature": False})["sub"] == (claims["sub"])
    )


def test_id_token_for_another_app_is_rejected(google: GoogleEmulator) -> None:
    """The audience is our client id: a verifier expecting another app refuses the token."""
    token = _sign_in(google, "yossi@example.com", secrets.token_urlsafe(16))

    with pytest.raises(jwt.InvalidAudienceError):
        id_token.verify_token(
            token["id_token"],
            Request(),
            audience="someone-else.apps.googleusercontent.com",
            certs_url=google.url("/oauth2/v3/certs"),
        )


def test_sign_in_without_email_scope_reveals_no_email(google: GoogleEmulator) -> None:
    """As with Google, email and name come only with the email and profile scopes."""
    token = _sign_in(google, "yossi@example.com", secrets.token_urlsafe(16), scopes=[OPENID])

    claims = id_token.verify_token(
        token["id_token"],
        Request(),
        audience=google.client_id,
        certs_url=google.url("/oauth2/v3/certs"),
    )

    assert claims["sub"].isdigit()
    assert "email" not in claims
    assert "name" not in claims
