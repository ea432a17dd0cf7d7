"""The Google emulator running in this process, and trainers connected to it as a person would.

The emulator is served by uvicorn in a thread on a loopback port, as in the test suite; settings
come from the environment through `load_settings`, in demo mode, so the product's own client code
(google-api-python-client over httplib2) is what talks to it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from limits import RateLimitItemPerMinute
from sqlmodel import Session, col, delete, select

from db.engine import get_engine
from db.migrate import upgrade
from db.models import (
    CalendarEvent,
    CalendarSyncState,
    EventOrigin,
    IntegrationCredential,
    Role,
    SyncRun,
    SyncState,
    SyncTrigger,
    WebhookChannel,
    utcnow,
)
from emulators.google.app import create_app
from integrations.config import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    Settings,
    load_settings,
    reset_settings_cache,
)
from integrations.core.access import Actor
from integrations.core.crypto import TokenCipher, cipher_from_settings, generate_key
from integrations.core.ratelimit import RateLimiter
from integrations.core.retry import RetryPolicy
from integrations.crm import accounts
from integrations.google_calendar import connection
from integrations.google_calendar.client import calendar_service, credentials_for
from integrations.google_calendar.sync import PAGE_SIZE, sync_google_calendar
from tests.support.google_emulator import (
    GoogleEmulator,
    callback_params,
    free_loopback_socket,
    serving,
)

#: Where push channels point when nothing should hear them: the discard port, refused at once.
NOWHERE = "http://127.0.0.1:9"
#: Far above anything one run asks for, so neither Google's quota nor ours shapes the figures.
UNLIMITED_PER_MINUTE = 100_000_000
#: One key for the run, handed to child processes, so that no demo key file is written.
TOKEN_KEY = generate_key()


@contextmanager
def running_emulator() -> Iterator[GoogleEmulator]:
    """The emulator on a free loopback port; the environment points demo-mode settings at it."""
    with closing(free_loopback_socket()) as sock:
        port = sock.getsockname()[1]
        emulator = GoogleEmulator(f"http://localhost:{port}")
        with serving(create_app(emulator.base_url), sock):
            os.environ["EMULATOR_PORT"] = str(port)
            os.environ["PUBLIC_URL"] = "http://localhost:8501"
            reset_settings_cache()
            yield emulator


def reset_emulator(emulator: GoogleEmulator) -> None:
    """Google forgets every calendar, token, channel and quota; accounts and clients stay."""
    httpx.post(emulator.url("/_emulator/reset"), timeout=60).raise_for_status()


@dataclass(frozen=True)
class Trainer:
    """A CRM trainer whose Google account is connected; `email` names both."""

    id: str
    actor: Actor
    email: str


@dataclass
class World:
    """One store and the emulator, seen through the product's settings."""

    emulator: GoogleEmulator
    settings: Settings
    cipher: TokenCipher
    control_client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=600))

    @classmethod
    def open(cls, database_url: str, data_dir: Path, api_public_url: str = NOWHERE) -> World:
        """Migrate the store, register our demo client upstream and lift the emulator's quota."""
        upgrade(database_url)
        world = cls.attach(
            load_settings(
                DATABASE_URL=database_url,
                DATA_DIR=data_dir,
                API_PUBLIC_URL=api_public_url,
                TOKEN_ENCRYPTION_KEYS=TOKEN_KEY,
            )
        )
        world.control(
            "POST",
            "/_emulator/clients",
            json={
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "redirect_uris": [world.settings.GOOGLE_REDIRECT_URI],
            },
        )
        world.control("POST", "/_emulator/quota", json={"perMinute": UNLIMITED_PER_MINUTE})
        return world

    @classmethod
    def attach(cls, settings: Settings) -> World:
        """The world `settings` describe, as it is (a child process uses this)."""
        assert settings.demo_mode, "the benchmark measures against the emulator only"
        return cls(GoogleEmulator(settings.emulator_url), settings, cipher_from_settings(settings))

    def environment(self) -> dict[str, str]:
        """The environment of a child process that should see the same store, key and emulator."""
        return os.environ | {
            "DATABASE_URL": self.settings.DATABASE_URL,
            "DATA_DIR": str(self.settings.DATA_DIR),
            "TOKEN_ENCRYPTION_KEYS": ",".join(
                key.get_secret_value() for key in self.settings.TOKEN_ENCRYPTION_KEYS
            ),
            "PUBLIC_URL": self.settings.PUBLIC_URL,
            "API_PUBLIC_URL": self.settings.API_PUBLIC_URL,
            "EMULATOR_PORT": str(self.settings.EMULATOR_PORT),
        }

    @property
    def engine(self) -> sa.Engine:
        return get_engine(self.settings.DATABASE_URL)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.control_client.close()

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.control_client.request(method, self.emulator.url(path), **kwargs)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    # --- People -------------------------------------------------------------------------------

    def connect_trainer(self, label: str) -> Trainer:
        """A new trainer presses Connect and picks a Google account of their own on the consent
        page; nothing is synced yet."""
        email = f"{label}.{uuid.uuid4().hex[:8]}@example.com"
        with self.session() as session:
            user = accounts.add_user(email, Role.TRAINER, session=session, name=label)
            actor = accounts.actor_for(user)
            assert actor.trainer_id is not None
            url = connection.initiate_google_oauth(
                actor, actor.trainer_id, session=session, settings=self.settings, cipher=self.cipher
            )
            answer = callback_params(self.emulator.consent(url, email=email))
            connection.handle_google_oauth_callback(
                actor,
                code=answer.get("code"),
                state=answer["state"],
                session=session,
                settings=self.settings,
                cipher=self.cipher,
            )
        return Trainer(actor.trainer_id, actor, email)

    # --- Google's side ------------------------------------------------------------------------

    def seed(self, trainer: Trainer, count: int) -> list[str]:
        """`count` one-hour events put in place silently; the first 1,000 ids come back."""
        start = utcnow().replace(minute=0, second=0, microsecond=0)
        answer = self.control(
            "POST",
            "/_emulator/calendar/seed",
            json={"email": trainer.email, "generate": count, "generateStart": start.isoformat()},
        )
        ids: list[str] = answer["ids"]
        return ids

    def change_in_google(self, trainer: Trainer, event_id: str, summary: str) -> None:
        """Someone renames an event in Google Calendar (its watch channels hear of it)."""
        self.control(
            "PATCH",
            f"/_emulator/calendar/events/{event_id}",
            json={"email": trainer.email, "changes": {"summary": summary}},
        )

    def requests_seen(self, trainer: Trainer) -> RequestLog:
        """What reached Google for this account so far."""
        return RequestLog(
            self.control("GET", "/_emulator/requests", params={"email": trainer.email})["calls"]
        )

    # --- Our side -----------------------------------------------------------------------------

    def sync(self, trainer_id: str) -> SyncRun:
        """The worker's sync, with waits too short and budgets too large to shape the figures."""
        with self.session() as session:
            return sync_google_calendar(
                trainer_id,
                trigger=SyncTrigger.MANUAL,
                session=session,
                settings=self.settings,
                cipher=self.cipher,
                limiter=RateLimiter(RateLimitItemPerMinute(UNLIMITED_PER_MINUTE)),
                retry=RetryPolicy(attempts=4, initial_wait=0.01, max_wait=0.05),
            )

    def fetch_only(self, trainer_id: str, calendar_id: str = "primary") -> int:
        """The pages a full sync reads, with the same client and arguments, parsed and dropped;
        returns how many events they held."""
        with self.session() as session:
            credential = session.exec(
                select(IntegrationCredential).where(IntegrationCredential.trainer_id == trainer_id)
            ).one()
        credentials = credentials_for(credential, self.settings, self.cipher)
        service = calendar_service(credentials, self.settings)
        events = 0
        page_token: str | None = None
        try:
            while True:
                page = (
                    service.events()
                    .list(
                        calendarId=calendar_id,
                        maxResults=PAGE_SIZE,
                        singleEvents=True,
                        pageToken=page_token,
                    )
                    .execute()
                )
                events += len(page.get("items", []))
                page_token = page.get("nextPageToken")
                if not page_token:
                    return events
        finally:
            service.close()

    def forget_local_copy(self, trainer: Trainer) -> None:
        """Back to just after connecting: no local events, no sync token, no push channel."""
        with self.session() as session:
            for table in (CalendarEvent, CalendarSyncState, WebhookChannel):
                session.exec(delete(table).where(col(table.trainer_id) == trainer.id))
            session.commit()

    def book_sessions(self, trainer: Trainer, count: int) -> None:
        """`count` CRM sessions waiting to reach Google, as `bookings.create_booking` leaves
        them (inserted in one transaction: booking is not what is measured)."""
        start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        with self.session() as session:
            session.add_all(
                CalendarEvent(
                    trainer_id=trainer.id,
                    title=f"Personal training {number + 1}",
                    start_at=start + timedelta(hours=number),
                    end_at=start + timedelta(hours=number, minutes=50),
                    origin=EventOrigin.CRM,
                    sync_state=SyncState.PENDING,
                )
                for number in range(count)
            )
            session.commit()

    def live_channels(self, trainer_ids: list[str]) -> list[WebhookChannel]:
        with self.session() as session:
            return list(
                session.exec(
                    select(WebhookChannel).where(
                        col(WebhookChannel.trainer_id).in_(trainer_ids),
                        col(WebhookChannel.stopped_at).is_(None),
                    )
                ).all()
            )


@dataclass(frozen=True)
class RequestLog:
    """The emulator's log of one account's HTTP requests (a batch is one, its parts apart)."""

    calls: list[dict[str, Any]]

    def since(self, earlier: RequestLog) -> RequestLog:
        return RequestLog(self.calls[len(earlier.calls) :])

    @property
    def http_requests(self) -> int:
        return sum(1 for call in self.calls if not call["inBatch"])

    @property
    def api_calls(self) -> int:
        return sum(1 for call in self.calls if call["path"] != "/batch/calendar/v3")

    def count(self, method: str, path_suffix: str) -> int:
        """HTTP requests (not batch parts) of this method whose path ends so."""
        return sum(
            1
            for call in self.calls
            if not call["inBatch"]
            and call["method"] == method
            and call["path"].endswith(path_suffix)
        )
