"""Our Google Calendar code against the running emulator, through the real client libraries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from limits import RateLimitItemPerMinute
from sqlmodel import Session, col, select

from db.models import CalendarEvent, SyncRun, SyncTrigger
from integrations.config import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    Settings,
    load_settings,
    reset_settings_cache,
)
from integrations.core.access import Actor
from integrations.core.crypto import TokenCipher, cipher_from_settings
from integrations.core.ratelimit import RateLimiter
from integrations.core.retry import RetryPolicy
from integrations.crm import bookings
from integrations.google_calendar import connection
from integrations.google_calendar.sync import sync_google_calendar
from tests.support.google_emulator import GoogleEmulator, callback_params

PUBLIC_URL = "http://localhost:8501"


@dataclass
class GoogleWorld:
    """The emulator as our product is configured to see it, plus the tools to act in it."""

    emulator: GoogleEmulator
    settings: Settings
    cipher: TokenCipher

    def control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer = httpx.request(method, self.emulator.url(path), timeout=30, **kwargs)
        assert answer.status_code < 300, answer.text
        return answer

    def consent(self, url: str, email: str, **kwargs: Any) -> dict[str, str]:
        return callback_params(self.emulator.consent(url, email=email, **kwargs))

    def connect(
        self, actor: Actor, email: str, *, session: Session, **consent: Any
    ) -> connection.ConnectedAccount:
        """What a trainer does: press Connect, choose the account on Google's page, come back."""
        assert actor.trainer_id is not None
        url = connection.initiate_google_oauth(
            actor, actor.trainer_id, session=session, settings=self.settings, cipher=self.cipher
        )
        answer = self.consent(url, email, **consent)
        return connection.handle_google_oauth_callback(
            actor,
            code=answer.get("code"),
            state=answer["state"],
            error=answer.get("error"),
            session=session,
            settings=self.settings,
            cipher=self.cipher,
        )

    def events(self, email: str, calendar_id: str | None = None) -> list[dict[str, Any]]:
        params = {"email": email} | ({"calendarId": calendar_id} if calendar_id else {})
        items: list[dict[str, Any]] = self.control(
            "GET", "/_emulator/calendar/events", params=params
        ).json()["items"]
        return items

    def live_events(self, email: str) -> list[dict[str, Any]]:
        return [e for e in self.events(email) if e.get("status") != "cancelled"]

    def http_requests(self, email: str) -> int:
        return int(
            self.control("GET", "/_emulator/requests", params={"email": email}).json()[
                "httpRequests"
            ]
        )


@pytest.fixture
def google_world(
    google: GoogleEmulator,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> GoogleWorld:
    """Demo-mode settings whose emulator is the test's running one, our client registered there."""
    port = urlsplit(google.base_url).port
    monkeypatch.setenv("EMULATOR_PORT", str(port))
    monkeypatch.setenv("PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("API_PUBLIC_URL", "http://127.0.0.1:9")
    reset_settings_cache()
    settings = load_settings()
    assert settings.demo_mode and f"{google.base_url}/token" == settings.GOOGLE_TOKEN_URI
    httpx.post(
        google.url("/_emulator/clients"),
        json={
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "redirect_uris": [settings.GOOGLE_REDIRECT_URI],
        },
        timeout=10,
    ).raise_for_status()
    return GoogleWorld(google, settings, cipher_from_settings(settings))


def account_for(request: pytest.FixtureRequest, suffix: str = "") -> str:
    """A Google account of this test's own, so tests never see each other's calendars."""
    import re

    name = re.sub(r"[^a-z0-9]+", ".", request.node.name.lower()).strip(".")[-40:]
    return f"{name}{suffix}@gmail.test"


AccountFor = Callable[..., str]


@pytest.fixture
def account(request: pytest.FixtureRequest) -> AccountFor:
    return lambda suffix="": account_for(request, suffix)


JERUSALEM = ZoneInfo("Asia/Jerusalem")
NEXT_WEEK = datetime.now(JERUSALEM).replace(hour=7, minute=0, second=0, microsecond=0) + timedelta(
    days=7
)


def timed(start: datetime, minutes: int = 60, **extra: Any) -> dict[str, Any]:
    """A timed Google event body in Jerusalem time; `extra` adds fields (summary, ...)."""
    return {
        "start": {"dateTime": start.isoformat(), "timeZone": "Asia/Jerusalem"},
        "end": {
            "dateTime": (start + timedelta(minutes=minutes)).isoformat(),
            "timeZone": "Asia/Jerusalem",
        },
        **extra,
    }


class Trainer:
    """A connected trainer: the CRM side, the Google side, and a Sync button."""

    def __init__(self, world: GoogleWorld, session: Session, actor: Actor, email: str) -> None:
        self.world, self.session, self.actor, self.email = world, session, actor, email
        self.id = actor.trainer_id or ""
        self.waits: list[float] = []

    def sync(self, trigger: SyncTrigger = SyncTrigger.MANUAL) -> SyncRun:
        return sync_google_calendar(
            self.id,
            trigger=trigger,
            session=self.session,
            settings=self.world.settings,
            cipher=self.world.cipher,
            limiter=RateLimiter(RateLimitItemPerMinute(100_000)),
            retry=RetryPolicy(
                attempts=4, initial_wait=0.01, max_wait=0.05, sleep=self.waits.append
            ),
        )

    def alerts_checked(self) -> dict[str, list[str]]:
        """What the worker's sync task does as each run ends: the alert engine checks this
        trainer (the sync engine itself tells nobody)."""
        from integrations.processes import worker

        return worker.check_trainer_alerts(self.id)

    def local(self) -> list[CalendarEvent]:
        self.session.expire_all()
        return list(
            self.session.exec(
                select(CalendarEvent).where(
                    CalendarEvent.trainer_id == self.id, col(CalendarEvent.deleted_at).is_(None)
                )
            ).all()
        )

    def google(self) -> list[dict[str, Any]]:
        return self.world.live_events(self.email)

    def in_google(self, event: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self.world.control(
            "POST", "/_emulator/calendar/events", json={"email": self.email, "event": event}
        ).json()
        return answer

    def change_in_google(self, event_id: str, changes: dict[str, Any]) -> None:
        self.world.control(
            "PATCH",
            f"/_emulator/calendar/events/{event_id}",
            json={"email": self.email, "changes": changes},
        )

    def delete_in_google(self, event_id: str) -> None:
        self.world.control(
            "DELETE", f"/_emulator/calendar/events/{event_id}", params={"email": self.email}
        )

    def fault(self, **fault: Any) -> None:
        self.world.control("POST", "/_emulator/faults", json={"email": self.email, **fault})

    def book(self, title: str, start: datetime, minutes: int = 60) -> CalendarEvent:
        return bookings.create_booking(
            self.actor,
            self.id,
            {"title": title, "start_at": start, "end_at": start + timedelta(minutes=minutes)},
            session=self.session,
        )


@pytest.fixture
def trainer(
    google_world: GoogleWorld, session: Session, people: dict[str, Actor], account: AccountFor
) -> Trainer:
    """Dana, a trainer connected to a Google account of this test's own."""
    email = account()
    google_world.connect(people["trainer"], email, session=session)
    return Trainer(google_world, session, people["trainer"], email)
