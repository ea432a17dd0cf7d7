"""google-auth-oauthlib's Flow against the emulator: the Calendar connection as the app runs it."""

from __future__ import annotations

import pytest
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import InvalidGrantError

from tests.support.google_emulator import (
    CALENDAR_EVENTS,
    CALENDAR_READONLY,
    CALENDAR_REDIRECT_URI,
    CALENDAR_SCOPES,
    EMAIL,
    OPENID,
    GoogleEmulator,
    callback_params,
)


@pytest.fixture(autouse=True)
def _loopback_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """oauthlib refuses http:// endpoints unless told they are a local test."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def _flow(google: GoogleEmulator, scopes: list[str] = CALENDAR_SCOPES, **kwargs: str) -> Flow:
    return Flow.from_client_config(
        google.client_config(), scopes=scopes, redirect_uri=CALENDAR_REDIRECT_URI, **kwargs
    )


def test_connecting_google_calendar_gives_a_refresh_token_and_the_granted_scopes(
    google: GoogleEmulator,
) -> None:
    """Offline consent through Flow, with PKCE on by default, yields a refresh token and scopes."""
    flow = _flow(google)
    authorization_url, state = flow.authorization_url(access_type="offline", prompt="consent")
    assert authorization_url.startswith(google.url("/o/oauth2/v2/auth?"))
    assert "code_challenge_method=S256" in authorization_url

    params = callback_params(google.consent(authorization_url, email="dana@example.com"))
    assert params["state"] == state
    flow.fetch_token(code=params["code"])

    credentials = flow.credentials
    assert credentials.token.startswith("ya29.")
    assert credentials.refresh_token
    assert credentials.token_uri == google.url("/token")
    assert set(credentials.granted_scopes) == set(CALENDAR_SCOPES)
    assert credentials.expiry is not None


def test_callback_in_a_new_process_finishes_with_the_saved_state_and_verifier(
    google: GoogleEmulator,
) -> None:
    """A fresh Flow built from the stored state and code_verifier exchanges the code.

    The callback comes back as a full page load (a new Streamlit session, maybe another web
    process), so nothing survives in memory; the whole callback URL, with Google's extra
    `iss`, `authuser` and `prompt` parameters, is accepted as the authorization response.
    """
    first = _flow(google)
    authorization_url, state = first.authorization_url(access_type="offline", prompt="consent")
    saved_state, saved_verifier = state, first.code_verifier
    assert saved_verifier
    del first

    answer = google.consent(authorization_url, email="yossi@example.com")
    params = callback_params(answer)
    assert {"iss", "authuser", "prompt"} <= params.keys()

    second = _flow(google, state=saved_state, code_verifier=saved_verifier)
    second.fetch_token(authorization_response=answer.headers["location"])

    assert second.credentials.refresh_token
    assert set(second.credentials.granted_scopes) == set(CALENDAR_SCOPES)


def test_callback_without_the_saved_verifier_is_refused(google: GoogleEmulator) -> None:
    """A new Flow that lost the code_verifier gets invalid_grant "Missing code verifier."."""
    first = _flow(google)
    authorization_url, state = first.authorization_url(access_type="offline", prompt="consent")
    code = callback_params(google.consent(authorization_url, email="dana@example.com"))["code"]

    forgetful = _flow(google, state=state)
    with pytest.raises(InvalidGrantError) as missing:
        forgetful.fetch_token(code=code)
    assert missing.value.description == "Missing code verifier."

    guessing = _flow(google, state=state, code_verifier="x" * 64)
    with pytest.raises(InvalidGrantError) as wrong:
        guessing.fetch_token(code=code)
    assert wrong.value.description == "Invalid code verifier."


def test_unticked_calendar_scope_is_missing_from_the_grant(
    google: GoogleEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Granular consent: a box the person unticks is absent from the token's scope.

    With OAUTHLIB_RELAX_TOKEN_SCOPE=1 the exchange succeeds and the app compares the granted
    scopes itself; the refreshed grant keeps the reduced scope too.
    """
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    flow = _flow(google)
    authorization_url, _ = flow.authorization_url(access_type="offline", prompt="consent")
    page, form = google.consent_page(authorization_url)
    assert page.status_code == 200
    # Only the Calendar scopes are offered as boxes; sign-in scopes cannot be refused.
    assert set(form.scope_boxes) == {CALENDAR_EVENTS, CALENDAR_READONLY}

    answer = google.consent(
        authorization_url, email="dana@example.com", keep_scopes=[CALENDAR_READONLY]
    )
    assert CALENDAR_EVENTS not in callback_params(answer)["scope"].split()
    token = flow.fetch_token(code=callback_params(answer)["code"])

    assert CALENDAR_EVENTS not in token["scope"]
    granted = set(flow.credentials.granted_scopes)
    assert granted == set(CALENDAR_SCOPES) - {CALENDAR_EVENTS}

    # Refreshing with every scope the app wants still yields only what the person kept.
    stored = Credentials(
        token=None,
        refresh_token=flow.credentials.refresh_token,
        token_uri=google.url("/token"),
        client_id=google.client_id,
        client_secret=google.client_secret,
        scopes=CALENDAR_SCOPES,
    )
    stored.refresh(Request())
    assert set(stored.granted_scopes or []) == granted


def test_unticked_scope_raises_scope_has_changed_unless_relaxed(google: GoogleEmulator) -> None:
    """Without OAUTHLIB_RELAX_TOKEN_SCOPE, oauthlib raises Warning("Scope has changed ...")."""
    flow = _flow(google)
    authorization_url, _ = flow.authorization_url(access_type="offline", prompt="consent")
    answer = google.consent(authorization_url, email="yossi@example.com", keep_scopes=[])

    with pytest.raises(Warning, match="Scope has changed") as changed:
        flow.fetch_token(code=callback_params(answer)["code"])
    assert set(changed.value.new_scope) == {OPENID, EMAIL, CALENDAR_SCOPES[2]}


def test_short_sign_in_scope_names_come_back_long_as_google_answers(
    google: GoogleEmulator,
) -> None:
    """Asking for "email" gets userinfo.email back, so oauthlib sees a changed scope.

    Google does this too: request the long names, or relax the scope check.
    """
    flow = _flow(google, scopes=[OPENID, "email", CALENDAR_EVENTS])
    authorization_url, _ = flow.authorization_url(access_type="offline", prompt="consent")
    answer = google.consent(authorization_url, email="dana@example.com")

    with pytest.raises(Warning, match="Scope has changed") as changed:
        flow.fetch_token(code=callback_params(answer)["code"])
    assert set(changed.value.new_scope) == {OPENID, EMAIL, CALENDAR_EVENTS}


def test_reconnecting_without_prompt_consent_brings_no_new_refresh_token(
    google: GoogleEmulator,
) -> None:
    """Google sends a refresh token on the first offline grant, then only with prompt=consent.

    An app that drops prompt=consent on reconnect gets credentials without a refresh token.
    """
    email = "reconnect@example.com"
    first = _flow(google)
    authorization_url, _ = first.authorization_url(access_type="offline")
    first.fetch_token(code=callback_params(google.consent(authorization_url, email=email))["code"])
    assert first.credentials.refresh_token

    again = _flow(google)
    authorization_url, _ = again.authorization_url(access_type="offline")
    again.fetch_token(code=callback_params(google.consent(authorization_url, email=email))["code"])
    assert again.credentials.refresh_token is None

    forced = _flow(google)
    authorization_url, _ = forced.authorization_url(access_type="offline", prompt="consent")
    forced.fetch_token(code=callback_params(google.consent(authorization_url, email=email))["code"])
    assert forced.credentials.refresh_token
