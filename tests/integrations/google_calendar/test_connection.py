"""Connecting a trainer's Google account through the consent page, and disconnecting it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from db.models import (
    CalendarEvent,
    ConnectionStatus,
    EventOrigin,
    GoogleCalendarSyncSettings,
    IntegrationCredential,
    OAuthState,
    utcnow,
)
from integrations.core.access import Actor
from integrations.core.errors import AccessDenied
from integrations.google_calendar import connection
from integrations.google_calendar.client import REQUIRED_SCOPES
from integrations.google_calendar.status import get_google_calendar_status
from tests.support.google_world import AccountFor, GoogleWorld


def test_a_trainer_connects_and_the_account_and_calendars_are_stored_encrypted(
    google_world: GoogleWorld, session: Session, people: dict[str, Actor], account: AccountFor
) -> None:
    dana = people["trainer"]
    email = account()
    google_world.control(
        "POST",
        "/_emulator/calendar/calendars",
        json={"email": email, "summary": "Studio", "accessRole": "owner"},
    )
    connected = google_world.connect(dana, email, session=session)
    assert connected.account_email == email
    assert {c.summary for c in connected.calendars} >= {"Studio"}
    credential = session.exec(select(IntegrationCredential)).one()
    assert credential.status is ConnectionStatus.CONNECTED
    assert credential.access_token_encrypted and "ya29." not in credential.access_token_encrypted
    assert credential.refresh_token_encrypted and "1//" not in credential.refresh_token_encrypted
    assert credential.token_expires_at is not None and credential.token_expires_at > utcnow()
    assert set(credential.scopes) >= REQUIRED_SCOPES
    settings = session.get(GoogleCalendarSyncSettings, dana.trainer_id)
    assert settings is not None and settings.default_calendar_id == email  # the primary calendar
    status = get_google_calendar_status(dana, dana.trainer_id or "", session=session)
    assert status.connected and status.account_email == email
    assert (
        status.sync_direction.value == "bidirectional" and status.sync_frequency.value == "realtime"
    )


def test_the_consent_asks_for_offline_access_and_the_narrowest_scopes(
    google_world: GoogleWorld, session: Session, people: dict[str, Actor]
) -> None:
    dana = people["trainer"]
    url = connection.initiate_google_oauth(
        dana,
        dana.trainer_id or "",
        session=session,
        settings=google_world.settings,
        cipher=google_world.cipher,
    )
    assert "access_type=offline" in url and "prompt=consent" in url and "code_challenge=" in url
    assert (
        "auth%2Fcalendar.events" in url
        and "auth%2Fcalendar&" not in url
        and not url.endswith("auth%2Fcalendar")
    )
    stored = session.exec(select(OAuthState)).one()
    assert stored.user_id == dana.user_id and stored.expires_at <= utcnow() + timedelta(minutes=10)
    assert stored.state_hash not in url  # only a hash of the state is kept


def test_a_callback_can_be_used_once(
    google_world: GoogleWorld, session: Session, people: dict[str, Actor], account: AccountFor
) -> None:
    dana = people["trainer"]
    url = connection.initiate_google_oauth(
        dana,
        dana.trainer_id or "",
        session=session,
        settings=google_world.settings,
        cipher=google_world.cipher,
    )
    answer = google_world.consent(url, account())
    kwargs = {"session": session, "settings": google_world.settings, "cipher": google_world.cipher}
    connection.handle_google_oauth_callback(
        dana, code=answer["code"], state=answer["state"], **kwargs
    )
    with pytest.raises(connection.ConsentError) as raised:
        connection.handle_google_oauth_callback(
            dana, code=answer["code"], state=answer["state"], **kwargs
        )
    assert raised.value.reason == "state_used"


def test_a_callback_started_by_someone_else_or_too_late_is_refused(
    google_world: GoogleWorld, session: Session, people: dict[str, Actor], account: AccountFor
) -> None:
    dana, yossi = people["trainer"], people["other_trainer"]
    kwargs = {"session": session, "settings": google_world.settings, "cipher": google_world.cipher}
    url = connection.initiate_google_oauth(dana, dana.trainer_id or "", **kwargs)
    answer = google_world.consent(url, account())
    with pytest.raises(connection.ConsentError) as raised:
        connection.handle_google_oauth_callback(
            yossi, code=answer["code"], state=answer["state"], **kwargs
        )
    assert raised.value.reason == "wrong_user"
    url = connection.initiate_google_oauth(dana, dana.trainer_id or "", **kwargs)
    answer = google_world.consent(url, account())
    pending = session.exec(select(OAuthState).order_by(col(OAuthState.created_at).desc())).first()
    assert pending is not None
    pending.expires_at = utcnow() - timedelta(seconds=1)
    session.add(pending)
    session.commit()
    with pytest.raises(connection.ConsentError) as raised:
        connection.handle_google_oauth_callback(
            dana, code=answer["code"], state=answer["state"], **kwargs
        )
    assert raised.value.reason == "state_expired"
    with pytest.raises(connection.ConsentError) as raised:
        connection.handle_google_oauth_callback(dana, code="x", state="forged", **kwargs)
    assert raised.value.reason == "state_unknown"


def test_unticking_the_calendar_permission_names_what_is_missing(
    google_world: GoogleWorld, session: Session, people: dict[str, Actor], account: AccountFor
) -> None:
    dana = people["trainer"]
    with pytest.raises(connection.ConsentError) as raised:
        google_world.connect(
            dana,
            account(),
            session=session,
            keep_scopes=["https://www.googleapis.com/auth/calendar.calendarlist.readonly"],
        )
    assert raised.value.reason == "missing_scopes"
    assert raised.value.missing == ("https://www.googleapis.com/auth/calendar.events",)
    assert session.exec(select(IntegrationCredential)).all() == []


def test_cancelling_on_google_connects_nothing(
    google_world: GoogleWorld, session: Session, people: dict[str, Actor], account: AccountFor
) -> None:
    with pytest.raises(connection.ConsentError) as raised:
        google_world.connect(people["trainer"], account(), session=session, decision="deny")
    assert raised.value.reason == "access_denied"
    assert session.exec(select(IntegrationCredential)).all() == []


def test_staff_cannot_connect_a_trainers_google(
    google_world: GoogleWorld, session: Session, people: dict[str, Actor]
) -> None:
    with pytest.raises(AccessDenied):
        connection.initiate_google_oauth(
            people["staff"],
            people["trainer"].trainer_id or "",
            session=session,
            settings=google_world.settings,
            cipher=google_world.cipher,
        )


@pytest.mark.parametrize("keep_events", [True, False])
def test_disconnect_revokes_the_grant_and_keeps_or_removes_google_events(
    google_world: GoogleWorld,
    session: Session,
    people: dict[str, Actor],
    account: AccountFor,
    keep_events: bool,
) -> None:
    dana = people["trainer"]
    trainer_id = dana.trainer_id or ""
    email = account()
    google_world.connect(dana, email, session=session)
    credential = session.exec(select(IntegrationCredential)).one()
    refresh = google_world.cipher.decrypt(credential.refresh_token_encrypted or "")
    now = utcnow()
    session.add(
        CalendarEvent(
            trainer_id=trainer_id,
            title="from Google",
            start_at=now,
            end_at=now,
            origin=EventOrigin.GOOGLE,
            google_event_id="g1",
            google_calendar_id=email,
        )
    )
    session.add(
        CalendarEvent(
            trainer_id=trainer_id,
            title="CRM session",
            start_at=now,
            end_at=now,
            origin=EventOrigin.CRM,
            google_event_id="g2",
            google_calendar_id=email,
        )
    )
    session.commit()
    removed = connection.disconnect_google(
        dana,
        trainer_id,
        keep_events=keep_events,
        session=session,
        settings=google_world.settings,
        cipher=google_world.cipher,
    )
    assert removed == (0 if keep_events else 1)
    assert session.exec(select(IntegrationCredential)).all() == []
    titles = sorted(e.title for e in session.exec(select(CalendarEvent)).all())
    assert titles == (["CRM session", "from Google"] if keep_events else ["CRM session"])
    assert all(e.google_event_id is None for e in session.exec(select(CalendarEvent)).all())
    import httpx

    refused = httpx.post(
        google_world.settings.GOOGLE_TOKEN_URI or "",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": google_world.settings.google_client_id,
            "client_secret": google_world.settings.google_client_secret,
        },
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_reconnecting_keeps_the_trainers_settings(
    google_world: GoogleWorld, session: Session, people: dict[str, Actor], account: AccountFor
) -> None:
    from integrations.google_calendar.status import update_google_calendar_sync_settings

    dana = people["trainer"]
    email = account()
    google_world.connect(dana, email, session=session)
    update_google_calendar_sync_settings(
        dana,
        dana.trainer_id or "",
        {"syncFrequency": "hourly", "syncDirection": "to_google"},
        session=session,
    )
    credential = session.exec(select(IntegrationCredential)).one()
    credential.status = ConnectionStatus.NEEDS_REAUTH
    session.add(credential)
    session.commit()
    again = google_world.connect(dana, email, session=session)
    assert again.reconnected
    settings = session.get(GoogleCalendarSyncSettings, dana.trainer_id)
    assert settings is not None
    assert (settings.sync_frequency.value, settings.sync_direction.value) == ("hourly", "to_google")
    session.refresh(credential)
    assert credential.status is ConnectionStatus.CONNECTED


def test_reconnecting_with_another_google_account_syncs_with_that_account_not_the_old_one(
    google_world: GoogleWorld, session: Session, people: dict[str, Actor], account: AccountFor
) -> None:
    """Calendar choices, sync tokens, channels and links of account A would 404 in account B."""
    from db.models import CalendarSyncState, RunOutcome, WebhookChannel
    from tests.support.google_world import NEXT_WEEK, Trainer, timed

    dana = people["trainer"]
    first, second = account("a"), account("b")
    google_world.connect(dana, first, session=session)
    in_a = Trainer(google_world, session, dana, first)
    in_a.in_google(timed(NEXT_WEEK, summary="Dentist (account A)"))
    crm = in_a.book("Personal training – Ron", NEXT_WEEK + timedelta(hours=3))
    assert in_a.sync().outcome is RunOutcome.SUCCESS
    [old_channel] = session.exec(select(WebhookChannel)).all()

    reconnected = google_world.connect(dana, second, session=session)
    assert reconnected.reconnected and reconnected.account_email == second
    in_b = Trainer(google_world, session, dana, second)
    in_b.in_google(timed(NEXT_WEEK + timedelta(hours=6), summary="Yoga (account B)"))
    run = in_b.sync()
    assert run.outcome is RunOutcome.SUCCESS, run.error
    assert sorted(e.title for e in in_b.local()) == ["Personal training – Ron", "Yoga (account B)"]
    assert sorted(e["summary"] for e in in_b.google()) == [
        "Personal training – Ron",
        "Yoga (account B)",
    ]
    pushed = next(e for e in in_b.local() if e.id == crm.id)
    assert pushed.google_calendar_id == second and pushed.google_event_id == crm.id
    # Account A's calendar is left as it was, and no longer pushes to us.
    assert sorted(e["summary"] for e in in_a.google()) == [
        "Dentist (account A)",
        "Personal training – Ron",
    ]
    channels_at_google = google_world.control(
        "GET", "/_emulator/push/channels", params={"email": first}
    ).json()["channels"]
    assert [c["stopped"] for c in channels_at_google if c["id"] == old_channel.channel_id] == [True]
    settings = session.get(GoogleCalendarSyncSettings, dana.trainer_id)
    assert settings is not None and settings.default_calendar_id == second
    session.expire_all()
    assert {s.calendar_id for s in session.exec(select(CalendarSyncState)).all()} == {second}
    assert {c.calendar_id for c in session.exec(select(WebhookChannel)).all()} == {second}
    again = in_b.sync()
    assert again.outcome is RunOutcome.SUCCESS, again.error


def test_a_trainer_whose_token_no_key_can_read_can_still_disconnect(
    google_world: GoogleWorld, session: Session, people: dict[str, Actor], account: AccountFor
) -> None:
    from db.models import WebhookChannel
    from integrations.core.crypto import TokenCipher, generate_key
    from tests.support.google_world import Trainer

    dana = people["trainer"]
    email = account()
    google_world.connect(dana, email, session=session)
    Trainer(google_world, session, dana, email).sync()  # opens a push channel
    credential = session.exec(select(IntegrationCredential)).one()
    foreign = TokenCipher([generate_key()])
    credential.access_token_encrypted = foreign.encrypt("ya29.lost")
    credential.refresh_token_encrypted = foreign.encrypt("1//lost")
    session.add(credential)
    session.commit()
    connection.disconnect_google(
        dana,
        dana.trainer_id or "",
        keep_events=False,
        session=session,
        settings=google_world.settings,
        cipher=google_world.cipher,
    )
    assert session.exec(select(IntegrationCredential)).all() == []
    assert all(c.stopped_at is not None for c in session.exec(select(WebhookChannel)).all())
