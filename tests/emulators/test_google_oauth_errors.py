"""The refusals a person or the app meets at Google, as the emulator answers them."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx
import pytest
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import (
    CustomOAuth2Error,
    InvalidClientError,
    InvalidGrantError,
)

from tests.support.google_emulator import (
    CALENDAR_REDIRECT_URI,
    CALENDAR_SCOPES,
    LOGIN_REDIRECT_URI,
    GoogleEmulator,
    callback_params,
)


@pytest.fixture(autouse=True)
def _loopback_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def _flow(
    google: GoogleEmulator,
    redirect_uri: str = CALENDAR_REDIRECT_URI,
    client_secret: str | None = None,
    **kwargs: str,
) -> Flow:
    return Flow.from_client_config(
        google.client_config(client_secret),
        scopes=CALENDAR_SCOPES,
        redirect_uri=redirect_uri,
        **kwargs,
    )


def _consented_code(google: GoogleEmulator, flow: Flow, email: str) -> str:
    authorization_url, _ = flow.authorization_url(access_type="offline", prompt="consent")
    return callback_params(google.consent(authorization_url, email=email))["code"]


def test_reloading_the_callback_cannot_use_the_code_twice(google: GoogleEmulator) -> None:
    """An authorization code is single use: the second exchange is invalid_grant."""
    flow = _flow(google)
    code = _consented_code(google, flow, "dana@example.com")
    flow.fetch_token(code=code)

    replay = _flow(google, state="ignored", code_verifier=flow.code_verifier)
    with pytest.raises(InvalidGrantError):
        replay.fetch_token(code=code)


def test_exchange_with_another_redirect_uri_is_refused_as_google_does(
    google: GoogleEmulator,
) -> None:
    """The exchange must name the authorization request's redirect_uri exactly.

    Google answers a different one, even another registered URI, with its own error code
    redirect_uri_mismatch ("Bad Request") rather than RFC 6749's invalid_grant.
    """
    flow = _flow(google)
    code = _consented_code(google, flow, "dana@example.com")

    elsewhere = _flow(google, redirect_uri=LOGIN_REDIRECT_URI, code_verifier=flow.code_verifier)
    with pytest.raises(CustomOAuth2Error) as refused:
        elsewhere.fetch_token(code=code)

    assert refused.value.error == "redirect_uri_mismatch"


def test_wrong_client_secret_is_unauthorised(google: GoogleEmulator) -> None:
    """A wrong client secret at the token endpoint answers 401 invalid_client."""
    flow = _flow(google, client_secret="GOCSPX-leaked-old-secret")
    code = _consented_code(google, flow, "yossi@example.com")

    with pytest.raises(InvalidClientError):
        flow.fetch_token(code=code)

    answer = httpx.post(
        google.url("/token"),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALENDAR_REDIRECT_URI,
            "client_id": google.client_id,
            "client_secret": "GOCSPX-leaked-old-secret",
            "code_verifier": flow.code_verifier,
        },
    )
    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid_client", "error_description": "Unauthorized"}


def test_unregistered_redirect_uri_stops_at_an_error_page(google: GoogleEmulator) -> None:
    """Google shows "Error 400: redirect_uri_mismatch" itself and never redirects anywhere."""
    flow = _flow(google, redirect_uri="http://evil.example/steal")
    authorization_url, _ = flow.authorization_url(access_type="offline", prompt="consent")

    page = httpx.get(authorization_url, follow_redirects=False)

    assert page.status_code == 400
    assert "redirect_uri_mismatch" in page.text
    assert "location" not in page.headers
    assert page.headers["content-type"].startswith("text/html")


def test_tampered_consent_form_cannot_redirect_elsewhere(google: GoogleEmulator) -> None:
    """Editing the redirect_uri inside the consent form is refused with no redirect."""
    flow = _flow(google)
    authorization_url, _ = flow.authorization_url(access_type="offline", prompt="consent")
    _, form = google.consent_page(authorization_url)
    assert form.request is not None
    request = json.loads(form.request)
    request["redirect_uri"] = "http://evil.example/steal"

    answer = httpx.post(
        google.url("/o/oauth2/v2/auth/approve"),
        data={"request": json.dumps(request), "decision": "allow", "email": "dana@example.com"},
        follow_redirects=False,
    )

    assert answer.status_code == 400
    assert "location" not in answer.headers


def test_cancel_on_the_consent_page_returns_access_denied_with_the_state(
    google: GoogleEmulator,
) -> None:
    """decision=deny redirects to the app with error=access_denied and the original state."""
    flow = _flow(google)
    authorization_url, state = flow.authorization_url(access_type="offline", prompt="consent")

    answer = google.consent(authorization_url, email="dana@example.com", decision="deny")

    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALENDAR_REDIRECT_URI
    assert callback_params(answer) == {"error": "access_denied", "state": state}
