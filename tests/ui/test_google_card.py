"""The Google connection card tells the truth, in Hebrew too: after Google refuses the grant
(a 401 a refresh does not mend) it says reconnect, not "valid until"; after switching to hourly
it shows hourly and no realtime channel; permissions read as what they allow, not as URLs.

Dana of the demo store connects to the running Google emulator through the real consent and
client libraries; the page is the real app.py under AppTest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from limits import RateLimitItemPerMinute
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from db.engine import get_engine
from db.models import SyncRun, SyncTrigger, User
from integrations.config import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    Settings,
    load_settings,
    reset_settings_cache,
)
from integrations.core.crypto import TokenCipher, cipher_from_settings
from integrations.core.ratelimit import RateLimiter
from integrations.core.retry import RetryPolicy
from integrations.crm import accounts
from integrations.google_calendar import connection
from integrations.google_calendar.sync import sync_google_calendar
from integrations.messages import MESSAGES
from tests.support.apptest import EMAILS
from tests.support.google_emulator import GoogleEmulator, callback_params

SCOPE_URL = "https://www.googleapis.com/auth"


@dataclass
class Dana:
    """The demo trainer, connected to the emulator with an account of this test's own."""

    store: str
    email: str
    trainer_id: str
    emulator: GoogleEmulator
    settings: Settings
    cipher: TokenCipher

    def sync(self) -> SyncRun:
        with Session(get_engine(self.store), expire_on_commit=False) as session:
            return sync_google_calendar(
                self.trainer_id,
                trigger=SyncTrigger.MANUAL,
                session=session,
                settings=self.settings,
                cipher=self.cipher,
                limiter=RateLimiter(RateLimitItemPerMinute(100_000)),
                retry=RetryPolicy(
                    attempts=2, initial_wait=0.01, max_wait=0.02, sleep=lambda _: None
                ),
            )

    def fault(self, **fault: Any) -> None:
        answer = httpx.post(
            self.emulator.url("/_emulator/faults"), json={"email": self.email, **fault}, timeout=30
        )
        answer.raise_for_status()

    def google_channels(self) -> list[dict[str, Any]]:
        answer = httpx.get(
            self.emulator.url("/_emulator/push/channels"), params={"email": self.email}, timeout=30
        )
        listed: list[dict[str, Any]] = answer.json()["channels"]
        return listed


@pytest.fixture
def dana_unconnected(
    demo_store: str,
    google: GoogleEmulator,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Dana:
    """The product set up against the emulator, Dana's own Google account not yet connected."""
    port = urlsplit(google.base_url).port
    monkeypatch.setenv("EMULATOR_PORT", str(port))
    monkeypatch.setenv("PUBLIC_URL", "http://localhost:8501")
    monkeypatch.setenv("API_PUBLIC_URL", "http://127.0.0.1:9")
    reset_settings_cache()
    settings = load_settings()
    assert settings.demo_mode
    httpx.post(
        google.url("/_emulator/clients"),
        json={
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "redirect_uris": [settings.GOOGLE_REDIRECT_URI],
        },
        timeout=10,
    ).raise_for_status()
    email = f"card.{request.node.name.lower().replace('_', '.')[-40:].strip('.')}@gmail.test"
    return Dana(
        demo_store, email, _dana_id(demo_store), google, settings, cipher_from_settings(settings)
    )


def _dana_id(store: str) -> str:
    with Session(get_engine(store)) as session:
        trainer_id = session.exec(
            select(User.trainer_id).where(User.email == EMAILS["trainer"])
        ).one()
    assert trainer_id is not None
    return trainer_id


def _consent(dana: Dana, **consent: Any) -> dict[str, str]:
    """Dana presses Connect and answers Google's consent page; where Google sends her back."""
    with Session(get_engine(dana.store), expire_on_commit=False) as session:
        user = session.exec(select(User).where(User.email == EMAILS["trainer"])).one()
        url = connection.initiate_google_oauth(
            accounts.actor_for(user),
            dana.trainer_id,
            session=session,
            settings=dana.settings,
            cipher=dana.cipher,
        )
    return callback_params(dana.emulator.consent(url, email=dana.email, **consent))


@pytest.fixture
def dana(dana_unconnected: Dana) -> Dana:
    """Dana connected with every permission ticked."""
    answer = _consent(dana_unconnected)
    with Session(get_engine(dana_unconnected.store), expire_on_commit=False) as session:
        user = session.exec(select(User).where(User.email == EMAILS["trainer"])).one()
        connection.handle_google_oauth_callback(
            accounts.actor_for(user),
            code=answer.get("code"),
            state=answer["state"],
            error=answer.get("error"),
            session=session,
            settings=dana_unconnected.settings,
            cipher=dana_unconnected.cipher,
        )
    return dana_unconnected


def _page(app_as: Callable[..., AppTest], page: str, lang: str = "he") -> AppTest:
    at = app_as(EMAILS["trainer"], lang).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _card_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def he(key: str) -> str:
    return MESSAGES[key]["he"]


def test_after_google_refuses_the_grant_the_card_says_reconnect_not_valid(
    app_as: Callable[..., AppTest], dana: Dana
) -> None:
    dana.sync()
    dana.fault(kind="error", status=401, reason="authError", times=5)
    assert dana.sync().error_kind == "needs_reauth"
    at = _page(app_as, "pages/google_connection.py")
    assert [w.value for w in at.warning] == [he("google.needs_reauth")]  # the banner
    card = _card_text(at)
    assert he("google.token_expires") not in card  # "valid until"
    assert f"**{he('google.token')}:** {he('google.token_refused')}" in card


def test_a_working_connection_says_until_when_its_token_is_valid(
    app_as: Callable[..., AppTest], dana: Dana
) -> None:
    dana.sync()
    card = _card_text(_page(app_as, "pages/google_connection.py"))
    assert f"**{he('google.token_expires')}:**" in card
    assert f"**{he('google.frequency')}:** {he('health.frequency.realtime')}" in card
    assert f"**{he('google.channel_expires')}:**" in card


def test_after_switching_to_hourly_the_card_shows_hourly_and_no_realtime_channel(
    app_as: Callable[..., AppTest], dana: Dana
) -> None:
    dana.sync()  # realtime: a channel is open
    assert [c["stopped"] for c in dana.google_channels()] == [False]
    settings_page = _page(app_as, "pages/sync_settings.py")
    settings_page.radio(key="sync_settings_frequency").set_value("hourly")
    settings_page.button[0].click().run()  # the form's save
    assert not settings_page.exception, settings_page.exception
    assert [c["stopped"] for c in dana.google_channels()] == [True]  # Google stops pushing now
    card = _card_text(_page(app_as, "pages/google_connection.py"))
    assert f"**{he('google.frequency')}:** {he('health.frequency.hourly')}" in card
    assert he("google.channel_expires") not in card


def test_permissions_read_as_what_they_allow_in_hebrew_not_as_urls(
    app_as: Callable[..., AppTest], dana: Dana
) -> None:
    at = _page(app_as, "pages/google_connection.py")
    texts = [m.value for m in at.markdown] + [c.value for c in at.code]
    assert not [text for text in texts if SCOPE_URL in text]
    assert "- לראות ולערוך אירועים ביומנים שלך" in texts
    assert f"- {he('google.scope.email')}" in texts
    english = _page(app_as, "pages/google_connection.py", "en")
    assert "- See and edit events on your calendars" in [m.value for m in english.markdown]


def test_a_permission_left_unticked_is_named_in_hebrew_not_by_its_url(
    app_as: Callable[..., AppTest], dana_unconnected: Dana
) -> None:
    """Back from Google's consent with the calendar box unticked: the page names what is
    missing as the consent page did, in the reader's language."""
    answer = _consent(
        dana_unconnected,
        keep_scopes=["openid", "email", f"{SCOPE_URL}/calendar.calendarlist.readonly"],
    )
    at = app_as(EMAILS["trainer"], "he").run()
    at.switch_page("pages/google_connection.py")
    at.query_params["state"] = answer["state"]
    at.query_params["code"] = answer["code"]
    at.run()
    assert not at.exception, at.exception
    [error] = [e.value for e in at.error]
    assert he("google.scope.calendar_events") in error
    assert SCOPE_URL not in error
