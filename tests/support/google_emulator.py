"""The Google emulator as the real client libraries meet it: a uvicorn server on a free port.

One server for the whole session. Tests keep out of each other's way by signing in with their
own account, so revoking one person's access never touches another test's grant.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import uvicorn
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from googleapiclient.discovery import Resource, build
from googleapiclient.errors import HttpError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

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
    # Protocol named explicitly: with 0, asyncio does not set TCP_NODELAY on accepted
    # connections, and Nagle plus delayed ACKs add ~45 ms to every request.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
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


# -- Calendar API -----------------------------------------------------------------------------


def calendar_service(google: GoogleEmulator, credentials: Credentials, **kwargs: Any) -> Resource:
    """The real Calendar client, pointed at the emulator as FIELD-NOTES describes."""
    options = {"api_endpoint": google.url("/calendar/v3/")}
    if "http" in kwargs:
        return build(
            "calendar",
            "v3",
            static_discovery=True,
            cache_discovery=False,
            client_options=options,
            **kwargs,
        )
    return build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        cache_discovery=False,
        client_options=options,
    )


def error_reason(error: HttpError) -> str:
    """Google's machine-readable reason: `errors[0].reason` of the body.

    `HttpError.reason` is the human message, and `error_details` is `details` when Google sends
    it (the front end's ErrorInfo), so neither is the reason to branch on.
    """
    return str(json.loads(error.content)["error"]["errors"][0]["reason"])


@dataclass
class CalendarUser:
    """A person who connected their Google Calendar: credentials and a Calendar client."""

    google: GoogleEmulator
    email: str
    credentials: Credentials
    service: Resource

    def control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer = httpx.request(method, self.google.url(path), timeout=30, **kwargs)
        assert answer.status_code < 300, answer.text
        return answer

    def seed(self, events: list[dict[str, Any]] | None = None, **extra: Any) -> list[str]:
        body = {"email": self.email, "events": events or [], **extra}
        ids: list[str] = self.control("POST", "/_emulator/calendar/seed", json=body).json()["ids"]
        return ids

    def fault(self, **fault: Any) -> None:
        """Inject a fault for this person's next matching calls only."""
        self.control("POST", "/_emulator/faults", json={"email": self.email, **fault})

    def requests(self) -> dict[str, Any]:
        summary: dict[str, Any] = self.control(
            "GET", "/_emulator/requests", params={"email": self.email}
        ).json()
        return summary

    def http_requests(self) -> int:
        return int(self.requests()["httpRequests"])


ConnectUser = Callable[..., CalendarUser]


@pytest.fixture
def calendar_user(
    google: GoogleEmulator, connect_calendar: ConnectCalendar, request: pytest.FixtureRequest
) -> Iterator[ConnectUser]:
    """Connect a fresh account named after the test; `suffix` makes a second one."""
    services: list[Resource] = []

    def connect(suffix: str = "") -> CalendarUser:
        name = re.sub(r"[^a-z0-9]+", ".", request.node.name.lower()).strip(".")[-50:]
        email = f"{name}{suffix}@example.com"
        credentials = connect_calendar(email)
        service = calendar_service(google, credentials)
        services.append(service)
        return CalendarUser(google, email, credentials, service)

    yield connect
    for service in services:
        service.close()


# -- Push notifications -----------------------------------------------------------------------


@dataclass
class Notification:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushReceiver:
    """A real web server that records every notification POSTed to it, by path."""

    base_url: str
    notifications: list[Notification] = field(default_factory=list)
    condition: threading.Condition = field(default_factory=threading.Condition)

    def address(self) -> str:
        return f"{self.base_url}/hook/{uuid.uuid4().hex}"

    def received(self, address: str) -> list[Notification]:
        path = urlsplit(address).path
        with self.condition:
            return [n for n in self.notifications if n.path == path]

    def wait_for(self, address: str, count: int, timeout: float = 5.0) -> list[Notification]:
        """The first `count` notifications to `address`; fails if they do not come in time."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while len(self.received(address)) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    got = [n.headers.get("x-goog-resource-state") for n in self.received(address)]
                    raise AssertionError(f"expected {count} notifications, got {got}")
                self.condition.wait(remaining)
            return self.received(address)

    def record(self, notification: Notification) -> None:
        with self.condition:
            self.notifications.append(notification)
            self.condition.notify_all()


@pytest.fixture(scope="session")
def push_receiver() -> Iterator[PushReceiver]:
    with closing(free_loopback_socket()) as sock:
        receiver = PushReceiver(f"http://127.0.0.1:{sock.getsockname()[1]}")

        async def hook(request: Request) -> Response:
            body = await request.body()
            receiver.record(Notification(request.url.path, dict(request.headers), body))
            return Response(status_code=200)

        app = Starlette(routes=[Route("/hook/{name}", hook, methods=["POST"])])
        with serving(app, sock):
            yield receiver
