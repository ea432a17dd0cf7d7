"""Authlib against the emulator: what Streamlit's st.login does to sign a person in."""

from __future__ import annotations

import base64
import secrets
import warnings
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidClaimError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.google_emulator import (
    LOGIN_REDIRECT_URI,
    GoogleEmulator,
    callback_params,
    free_loopback_socket,
    serving,
)

SIGN_IN_SCOPE = "openid email profile"  # st.login's default


def test_authlib_signs_in_with_discovery_s256_pkce_and_a_verified_id_token(
    google: GoogleEmulator,
) -> None:
    """Discovery, S256 PKCE, client_secret_basic and JWKS validation of the id token all work.

    The id token passes Authlib's OpenID checks (issuer from discovery, audience, nonce,
    at_hash, expiry), exactly as Authlib's parse_id_token runs them.
    """
    metadata = requests.get(google.url("/.well-known/openid-configuration"), timeout=5).json()
    assert "S256" in metadata["code_challenge_methods_supported"]
    assert "client_secret_basic" in metadata["token_endpoint_auth_methods_supported"]

    sent_to_token_endpoint: list[requests.PreparedRequest] = []
    with OAuth2Session(
        google.client_id,
        google.client_secret,
        scope=SIGN_IN_SCOPE,
        redirect_uri=LOGIN_REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    ) as session:
        session.hooks["response"].append(
            lambda response, **_: sent_to_token_endpoint.append(response.request)
        )
        code_verifier = secrets.token_urlsafe(48)
        nonce = secrets.token_urlsafe(16)
        authorization_url, state = session.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=code_verifier, nonce=nonce
        )
        answer = google.consent(authorization_url, email="dana@example.com")
        assert callback_params(answer)["state"] == state

        token = session.fetch_token(
            metadata["token_endpoint"],
            authorization_response=answer.headers["location"],
            code_verifier=code_verifier,
        )
        jwks = session.get(metadata["jwks_uri"]).json()

    [token_request] = [r for r in sent_to_token_endpoint if r.url == metadata["token_endpoint"]]
    assert str(token_request.headers["Authorization"]).startswith("Basic ")
    assert "client_secret" not in str(token_request.body)

    decoded = jwt.decode(
        token["id_token"],
        KeySet.import_key_set(jwks),
        registry=JWSRegistry(algorithms=metadata["id_token_signing_alg_values_supported"]),
    )
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        {"iss": {"values": [metadata["issuer"]]}},
        {"nonce": nonce, "client_id": google.client_id, "access_token": token["access_token"]},
    )
    claims.validate(leeway=120)
    assert claims["email"] == "dana@example.com"
    assert claims["name"] == "Dana Cohen"
    assert "at_hash" in claims

    forged = CodeIDToken(
        decoded.claims,
        decoded.header,
        {"iss": {"values": [metadata["issuer"]]}},
        {"nonce": "another-nonce", "client_id": google.client_id},
    )
    with pytest.raises(InvalidClaimError, match="nonce"):
        forged.validate(leeway=120)


@dataclass(frozen=True)
class LoginApp:
    """A running app that signs people in the way st.login does, and the browser using it."""

    base_url: str

    def browser(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, follow_redirects=False)


def _st_login_like_app(google: GoogleEmulator, redirect_uri: str) -> Starlette:
    """Authlib's Starlette client configured as Streamlit 1.67 configures it for st.login."""
    with warnings.catch_warnings():
        # Authlib 1.9 asks for httpx2, which this project does not install; httpx still works.
        warnings.filterwarnings("ignore", "The httpx module is deprecated", DeprecationWarning)
        from authlib.integrations.starlette_client import OAuth, OAuthError

    oauth = OAuth()
    oauth.register(
        "google",
        client_id=google.client_id,
        client_secret=google.client_secret,
        server_metadata_url=google.url("/.well-known/openid-configuration"),
        # Streamlit's defaults, and the S256 it forces when discovery lists it.
        client_kwargs={
            "scope": SIGN_IN_SCOPE,
            "prompt": "select_account",
            "code_challenge_method": "S256",
        },
    )
    client: Any = oauth.create_client("google")

    async def login(request: Request) -> Response:
        response: Response = await client.authorize_redirect(request, redirect_uri)
        return response

    async def callback(request: Request) -> Response:
        try:
            token = await client.authorize_access_token(request)
        except OAuthError as error:
            return JSONResponse({"error": error.error}, status_code=401)
        return JSONResponse({"user": dict(token["userinfo"]), "scope": token["scope"]})

    return Starlette(
        routes=[Route("/auth/login", login), Route("/oauth2callback", callback)],
        middleware=[Middleware(SessionMiddleware, secret_key=secrets.token_hex(32))],
    )


@pytest.fixture(scope="module")
def login_app(google: GoogleEmulator) -> Iterator[LoginApp]:
    """The st.login-like app on its own port, registered with the emulator's client."""
    with closing(free_loopback_socket()) as sock:
        base_url = f"http://localhost:{sock.getsockname()[1]}"
        redirect_uri = f"{base_url}/oauth2callback"
        registered = httpx.post(
            google.url("/_emulator/clients"),
            json={
                "client_id": google.client_id,
                "client_secret": google.client_secret,
                "redirect_uris": [redirect_uri],
            },
        )
        assert registered.status_code == 200
        with serving(_st_login_like_app(google, redirect_uri), sock):
            yield LoginApp(base_url)


def test_st_login_style_sign_in_lands_with_the_persons_email(
    google: GoogleEmulator, login_app: LoginApp
) -> None:
    """The same Authlib Starlette client st.login uses signs a person in, nonce and all."""
    with login_app.browser() as browser:
        to_google = browser.get("/auth/login")
        assert to_google.status_code == 302
        authorization_url = to_google.headers["location"]
        assert authorization_url.startswith(google.url("/o/oauth2/v2/auth?"))
        assert "code_challenge_method=S256" in authorization_url
        assert "nonce=" in authorization_url

        answer = google.consent(authorization_url, email="yossi@example.com")
        landed = browser.get(answer.headers["location"])

    assert landed.status_code == 200, landed.text
    user = landed.json()["user"]
    assert user["email"] == "yossi@example.com"
    assert user["name"] == "Yossi Levi"
    assert user["iss"] == google.base_url


def test_st_login_style_sign_in_carries_what_our_login_gate_requires(
    google: GoogleEmulator, login_app: LoginApp
) -> None:
    """The demo's login keeps working: the ID token's claims that st.user carries hold a
    verified address, the issuer and a subject that stays the same at every login."""
    subjects = []
    for _ in range(2):
        with login_app.browser() as browser:
            authorization_url = browser.get("/auth/login").headers["location"]
            answer = google.consent(authorization_url, email="shira@example.com")
            user = browser.get(answer.headers["location"]).json()["user"]
        assert user["email_verified"] is True
        assert user["iss"] == google.base_url
        assert user["sub"]
        subjects.append(user["sub"])
    assert subjects[0] == subjects[1]


def test_st_login_style_sign_in_cancelled_at_google_reports_access_denied(
    google: GoogleEmulator, login_app: LoginApp
) -> None:
    """Cancel on the consent page comes back as error=access_denied, which Authlib raises."""
    with login_app.browser() as browser:
        to_google = browser.get("/auth/login")
        answer = google.consent(
            to_google.headers["location"], email="yossi@example.com", decision="deny"
        )
        landed = browser.get(answer.headers["location"])

    assert landed.status_code == 401
    assert landed.json() == {"error": "access_denied"}


def test_token_endpoint_accepts_basic_credentials_with_form_encoded_characters(
    google: GoogleEmulator,
) -> None:
    """client_secret_basic form-encodes id and secret first (RFC 6749 2.3.1); both are decoded."""
    encoded = f"{google.client_id}:{google.client_secret}".replace("-", "%2D")
    header = "Basic " + base64.b64encode(encoded.encode()).decode()
    answer = httpx.post(
        google.url("/token"),
        data={"grant_type": "refresh_token", "refresh_token": "1//0-unknown"},
        headers={"Authorization": header},
    )
    # Past client authentication: the unknown refresh token is what is refused.
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
