"""Refreshing and revoking with google-auth, and what userinfo says about each token."""

from __future__ import annotations

import httpx
import pytest
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import AuthorizedSession, Request
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow

from tests.support.google_emulator import (
    CALENDAR_READONLY,
    CALENDAR_SCOPES,
    EMAIL,
    LOGIN_REDIRECT_URI,
    OPENID,
    ConnectCalendar,
    GoogleEmulator,
    callback_params,
)


def _stored(
    google: GoogleEmulator, refresh_token: str, scopes: list[str] | None = None
) -> Credentials:
    """Credentials rebuilt from the store: a refresh token and no access token yet."""
    return Credentials(
        token=None,
        refresh_token=refresh_token,
        token_uri=google.url("/token"),
        client_id=google.client_id,
        client_secret=google.client_secret,
        scopes=scopes,
    )


def test_stored_refresh_token_gets_a_new_access_token(
    google: GoogleEmulator, connect_calendar: ConnectCalendar
) -> None:
    """Credentials(token=None, refresh_token=...).refresh() gets a fresh, working access token."""
    connected = connect_calendar("refresh.ok@example.com")
    credentials = _stored(google, connected.refresh_token, scopes=CALENDAR_SCOPES)

    credentials.refresh(Request())

    assert credentials.valid
    assert credentials.token and credentials.token != connected.token
    assert credentials.expiry is not None
    assert set(credentials.granted_scopes or []) == set(CALENDAR_SCOPES)
    assert credentials.refresh_token == connected.refresh_token  # Google keeps the same one
    assert credentials.id_token  # openid was granted, so Google sends a fresh id token
    with AuthorizedSession(credentials) as session:
        me = session.get(google.url("/v1/userinfo"))
    assert me.status_code == 200
    assert me.json()["email"] == "refresh.ok@example.com"


@pytest.mark.parametrize("how", ["person removes app access", "app revokes refresh token"])
def test_revoked_access_fails_refresh_as_needing_reauth(
    google: GoogleEmulator, connect_calendar: ConnectCalendar, how: str
) -> None:
    """After revocation refresh raises RefreshError: not retryable, body error invalid_grant."""
    email = f"revoked.{len(how)}@example.com"
    connected = connect_calendar(email)
    if how == "person removes app access":
        answer = httpx.post(google.url("/_emulator/revoke-account"), json={"email": email})
        assert answer.json() == {"revoked": 1}
    else:
        answer = httpx.post(google.url("/revoke"), data={"token": connected.refresh_token})
        assert answer.status_code == 200

    with pytest.raises(RefreshError) as refused:
        _stored(google, connected.refresh_token).refresh(Request())

    assert refused.value.retryable is False
    assert refused.value.args[1]["error"] == "invalid_grant"
    assert refused.value.args[1]["error_description"] == "Token has been expired or revoked."


def test_userinfo_answers_for_a_live_token_and_refuses_a_revoked_one(
    google: GoogleEmulator, connect_calendar: ConnectCalendar
) -> None:
    """userinfo returns the email for a live access token and 401 once it is revoked.

    Revoking the access token ends the whole grant, as with Google: the refresh token dies
    too, and revoking again answers 400 invalid_token.
    """
    connected = connect_calendar("userinfo@example.com")
    bearer = {"Authorization": f"Bearer {connected.token}"}

    live = httpx.get(google.url("/v1/userinfo"), headers=bearer)
    assert live.status_code == 200
    assert live.json()["email"] == "userinfo@example.com"
    assert live.json()["sub"].isdigit()

    revoked = httpx.post(google.url("/revoke"), params={"token": connected.token})
    assert revoked.status_code == 200

    after = httpx.get(google.url("/v1/userinfo"), headers=bearer)
    assert after.status_code == 401
    assert after.headers["WWW-Authenticate"].startswith("Bearer")
    with pytest.raises(RefreshError):
        _stored(google, connected.refresh_token).refresh(Request())

    again = httpx.post(google.url("/revoke"), data={"token": connected.token})
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_token"


def test_refresh_with_another_apps_secret_is_refused(
    google: GoogleEmulator, connect_calendar: ConnectCalendar
) -> None:
    """A wrong client secret on refresh is invalid_client, also a RefreshError."""
    connected = connect_calendar("wrong.secret@example.com")
    credentials = Credentials(
        token=None,
        refresh_token=connected.refresh_token,
        token_uri=google.url("/token"),
        client_id=google.client_id,
        client_secret="GOCSPX-not-ours",
    )

    with pytest.raises(RefreshError) as refused:
        credentials.refresh(Request())

    assert refused.value.args[1]["error"] == "invalid_client"


def test_refresh_asking_for_fewer_scopes_gets_a_narrower_token(
    google: GoogleEmulator, connect_calendar: ConnectCalendar
) -> None:
    """Stored credentials that ask for a subset get an access token for that subset only."""
    connected = connect_calendar("narrow@example.com")
    credentials = _stored(google, connected.refresh_token, scopes=[CALENDAR_READONLY])

    credentials.refresh(Request())

    assert credentials.granted_scopes == [CALENDAR_READONLY]
    assert credentials.id_token is None  # no openid asked, no id token


def test_removing_app_access_also_ends_sign_in_only_tokens(
    google: GoogleEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Access tokens from an online sign-in (no refresh token) die when access is removed."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    flow = Flow.from_client_config(
        google.client_config(), scopes=[OPENID, EMAIL], redirect_uri=LOGIN_REDIRECT_URI
    )
    authorization_url, _ = flow.authorization_url(access_type="online")
    email = "online.only@example.com"
    token = flow.fetch_token(
        code=callback_params(google.consent(authorization_url, email=email))["code"]
    )
    assert "refresh_token" not in token
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert httpx.get(google.url("/v1/userinfo"), headers=bearer).status_code == 200

    httpx.post(google.url("/_emulator/revoke-account"), json={"email": email})

    assert httpx.get(google.url("/v1/userinfo"), headers=bearer).status_code == 401
