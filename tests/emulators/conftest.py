"""The Google emulator as the real client libraries meet it: a uvicorn server on a free port.

One server for the whole session. Tests keep out of each other's way by signing in with their
own account, so revoking one person's access never touches another test's grant.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import uvicorn
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow

from emulators.google.app import AccountIn, ClientIn, create_app

CLIENT_ID = "123456789012-newymtest.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-newym-test-secret"
#: Where Streamlit's st.login lands, and where the Calendar consent lands (a page path).
LOGIN_REDIRECT_URI = "http://localhost:8501/oauth2callback"
CALENDAR_REDIRECT_URI = "http://localhost:8501/google_calendar"

OPENID = "openid"
EMAIL = "https://www.googleapis.com/auth/userinfo.email"
PROFILE = "https://www.googleapis.com/auth/userinfo.profile"
CALENDAR_EVENTS = "https://www.googleapis.com/auth/calendar.events"
CALENDAR_READONLY = "https://www.googleapis.com/auth/calendar.readonly"
#: What the Calendar connection asks for, in the long names Google answers with.
CALENDAR_SCOPES = [OPENID, EMAIL, PROFILE, CALENDAR_EVENTS, CALENDAR_READONLY]


class _ConsentForm(HTMLParser):
    """Reads the consent page the way a browser would: the hidden request and the scope boxes."""

    def __init__(self) -> None:
        super().__init__()
        self.request: str | None = None
        self.scope_boxes: dict[str, bool] = {}
        self.account_buttons: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name, value = attributes.get("name"), attributes.get("value") or ""
        if tag == "input" and name == "request" and self.request is None:
            self.request = value
        elif tag == "input" and name == "scope" and attributes.get("type") == "checkbox":
            self.scope_boxes[value] = "checked" in attributes
        elif tag == "button" and name == "email":
            self.account_buttons.append(value)


@dataclass(frozen=True)
class GoogleEmulator:
    """A running emulator and the OAuth client our app is registered as."""

    base_url: str
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def client_config(self, client_secret: str | None = None) -> dict[str, Any]:
        """A "web" client secrets document, as downloaded from the Cloud console."""
        return {
            "web": {
                "client_id": self.client_id,
                "client_secret": client_secret or self.client_secret,
                "auth_uri": self.url("/o/oauth2/v2/auth"),
                "token_uri": self.url("/token"),
                "redirect_uris": [LOGIN_REDIRECT_URI, CALENDAR_REDIRECT_URI],
            }
        }

    def consent_page(self, authorization_url: str) -> tuple[httpx.Response, _ConsentForm]:
        page = httpx.get(authorization_url, follow_redirects=False)
        form = _ConsentForm()
        form.feed(page.text)
        return page, form

    def consent(
        self,
        authorization_url: str,
        *,
        email: str,
        keep_scopes: list[str] | None = None,
        decision: str = "allow",
    ) -> httpx.Response:
        """Open the consent page and answer it as a person: pick an account, keep some boxes.

        `keep_scopes=None` leaves every box ticked, as the page offers it. Returns the
        emulator's answer, a 302 to the app's redirect URI on success or refusal.
        """
        page, form = self.consent_page(authorization_url)
        assert page.status_code == 200, page.text
        assert form.request is not None, "the consent page carries no request"
        if keep_scopes is None:
            keep_scopes = [scope for scope, ticked in form.scope_boxes.items() if ticked]
        fields: list[tuple[str, str]] = [("request", form.request), ("decision", decision)]
        if decision == "allow":
            if email in form.account_buttons:
                fields.append(("email", email))
            else:
                fields.append(("other_email", email))
            fields += [("scope", scope) for scope in keep_scopes]
        return httpx.post(
            self.url("/o/oauth2/v2/auth/approve"), data=_form_fields(fields), follow_redirects=False
        )


def _form_fields(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    """httpx sends a repeated form field (the scope boxes) from a list."""
    grouped: dict[str, list[str]] = {}
    for name, value in fields:
        grouped.setdefault(name, []).append(value)
    return grouped


def callback_params(response: httpx.Response) -> dict[str, str]:
    """The query the browser would carry back to the app's redirect URI."""
    assert response.status_code == 302, response.text
    return dict(parse_qsl(urlsplit(response.headers["location"]).query))


def free_loopback_socket() -> socket.socket:
    """A socket bound to a free 127.0.0.1 port, kept so no other process can take the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serving(app: Any, sock: socket.socket) -> Iterator[uvicorn.Server]:
    """A real uvicorn server for `app` in a thread, on the already bound `sock`."""
    config = uvicorn.Config(app, log_level="warning", access_log=False, ws="none", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the Google emulator did not start")
        time.sleep(0.01)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def google() -> Iterator[GoogleEmulator]:
    """The emulator on a free loopback port, its issuer spelled with `localhost` like the app."""
    with closing(free_loopback_socket()) as sock:
        base_url = f"http://localhost:{sock.getsockname()[1]}"
        app = create_app(
            base_url,
            clients=[
                ClientIn(
                    client_id=CLIENT_ID,
                    client_secret=CLIENT_SECRET,
                    redirect_uris=[LOGIN_REDIRECT_URI, CALENDAR_REDIRECT_URI],
                )
            ],
            accounts=[
                AccountIn(email="dana@example.com", name="Dana Cohen"),
                AccountIn(email="yossi@example.com", name="Yossi Levi"),
            ],
        )
        with serving(app, sock):
            yield GoogleEmulator(base_url)


ConnectCalendar = Callable[[str], Credentials]


@pytest.fixture
def connect_calendar(google: GoogleEmulator, monkeypatch: pytest.MonkeyPatch) -> ConnectCalendar:
    """Connect a person's Google Calendar through Flow, as the app does; returns the credentials."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")

    def connect(email: str) -> Credentials:
        flow = Flow.from_client_config(
            google.client_config(), scopes=CALENDAR_SCOPES, redirect_uri=CALENDAR_REDIRECT_URI
        )
        authorization_url, _ = flow.authorization_url(access_type="offline", prompt="consent")
        flow.fetch_token(
            code=callback_params(google.consent(authorization_url, email=email))["code"]
        )
        credentials: Credentials = flow.credentials
        assert credentials.refresh_token
        return credentials

    return connect
