"""What the status says and what the settings accept (specification: getGoogleCalendarStatus,
updateGoogleCalendarSyncSettings)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from db.models import RunOutcome, SyncRun, SyncTrigger, utcnow
from integrations.core.access import Actor
from integrations.core.errors import AccessDenied, InvalidInput, NotFound
from integrations.google_calendar.status import (
    TokenState,
    get_google_calendar_status,
    permissions,
    update_google_calendar_sync_settings,
)
from tests.support.google_world import AccountFor, GoogleWorld, Trainer


def test_a_trainer_who_never_connected_sees_sensible_defaults(
    session: Session, people: dict[str, Actor]
) -> None:
    dana = people["trainer"]
    status = get_google_calendar_status(dana, dana.trainer_id or "", session=session)
    assert (status.connected, status.status) == (False, "not_connected")
    assert (status.sync_direction.value, status.sync_frequency.value) == (
        "bidirectional",
        "realtime",
    )
    assert status.next_sync_at is None and status.last_sync_at is None
    with pytest.raises(NotFound, match="connect a Google account"):
        update_google_calendar_sync_settings(
            dana, dana.trainer_id or "", {"syncFrequency": "daily"}, session=session
        )


@pytest.fixture
def connected(
    google_world: GoogleWorld, session: Session, people: dict[str, Actor], account: AccountFor
) -> str:
    email = account()
    google_world.control(
        "POST",
        "/_emulator/calendar/calendars",
        json={
            "email": email,
            "id": "shared-readonly@group.calendar.google.com",
            "summary": "Gym timetable",
            "accessRole": "reader",
        },
    )
    google_world.control(
        "POST",
        "/_emulator/calendar/calendars",
        json={"email": email, "summary": "Studio", "accessRole": "owner"},
    )
    google_world.connect(people["trainer"], email, session=session)
    return email


def test_settings_accept_the_specifications_fields(
    connected: str, session: Session, people: dict[str, Actor]
) -> None:
    dana = people["trainer"]
    trainer_id = dana.trainer_id or ""
    status = get_google_calendar_status(dana, trainer_id, session=session)
    studio = next(c for c in status.calendars if c.summary == "Studio")
    update_google_calendar_sync_settings(
        dana,
        trainer_id,
        {
            "autoSyncEnabled": False,
            "syncDirection": "to_google",
            "syncFrequency": "daily",
            "defaultCalendarId": studio.id,
            "importCalendarIds": [connected, "shared-readonly@group.calendar.google.com"],
        },
        session=session,
    )
    status = get_google_calendar_status(dana, trainer_id, session=session)
    assert (status.auto_sync_enabled, status.sync_direction.value, status.sync_frequency.value) == (
        False,
        "to_google",
        "daily",
    )
    assert status.default_calendar_id == studio.id
    assert status.import_calendar_ids == [connected, "shared-readonly@group.calendar.google.com"]
    assert {c.summary for c in status.writable_calendars} >= {"Studio"}
    assert "Gym timetable" not in {c.summary for c in status.writable_calendars}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"syncDirection": "sideways"}, "sync_direction", "not valid"),
        ({"syncFrequency": "weekly"}, "sync_frequency", "not valid"),
        ({"autoSyncEnabled": "yes"}, "auto_sync_enabled", "on or off"),
        ({"defaultCalendarId": "nope@example.com"}, "default_calendar_id", "not one of"),
        (
            {"defaultCalendarId": "shared-readonly@group.calendar.google.com"},
            "default_calendar_id",
            "read-only",
        ),
        ({"importCalendarIds": ["nope"]}, "import_calendar_ids", "choose calendars"),
        ({"importCalendarIds": []}, "import_calendar_ids", "calendar to bring in"),
        (
            {"syncDirection": "from_google", "importCalendarIds": []},
            "import_calendar_ids",
            "calendar to bring in",
        ),
        ({"colour": "red"}, "colour", "unknown setting"),
    ],
)
def test_bad_settings_are_refused_by_field_and_change_nothing(
    connected: str,
    session: Session,
    people: dict[str, Actor],
    changes: dict[str, object],
    field: str,
    message: str,
) -> None:
    dana = people["trainer"]
    trainer_id = dana.trainer_id or ""
    with pytest.raises(InvalidInput, match=message) as raised:
        update_google_calendar_sync_settings(dana, trainer_id, changes, session=session)
    assert raised.value.field == field
    status = get_google_calendar_status(dana, trainer_id, session=session)
    assert (status.sync_direction.value, status.sync_frequency.value) == (
        "bidirectional",
        "realtime",
    )


def test_sending_only_to_google_needs_no_calendar_to_bring_in(
    connected: str, session: Session, people: dict[str, Actor]
) -> None:
    """Nothing is read from Google in that direction, so an empty list loses nothing."""
    dana = people["trainer"]
    trainer_id = dana.trainer_id or ""
    update_google_calendar_sync_settings(
        dana,
        trainer_id,
        {"syncDirection": "to_google", "importCalendarIds": []},
        session=session,
    )
    status = get_google_calendar_status(dana, trainer_id, session=session)
    assert (status.sync_direction.value, status.import_calendar_ids) == ("to_google", [])


def test_status_tells_when_the_last_run_ended_and_why_it_failed(
    connected: str, session: Session, people: dict[str, Actor]
) -> None:
    """A page following a sync needs the end and the kind of failure, not only the start."""
    dana = people["trainer"]
    trainer_id = dana.trainer_id or ""
    started = utcnow()
    session.add(
        SyncRun(
            trainer_id=trainer_id,
            trigger=SyncTrigger.MANUAL,
            started_at=started + timedelta(hours=1),
            finished_at=started + timedelta(hours=1, seconds=4),
            outcome=RunOutcome.FAILED,
            error="Google answered 403 quotaExceeded",
            error_kind="quota_exceeded",
        )
    )
    session.commit()
    status = get_google_calendar_status(dana, trainer_id, session=session)
    assert status.last_sync_finished_at == started + timedelta(hours=1, seconds=4)
    assert status.last_sync_error_kind == "quota_exceeded"


def test_staff_see_status_but_cannot_change_settings(
    connected: str, session: Session, people: dict[str, Actor]
) -> None:
    trainer_id = people["trainer"].trainer_id or ""
    assert get_google_calendar_status(people["staff"], trainer_id, session=session).connected
    with pytest.raises(AccessDenied):
        update_google_calendar_sync_settings(
            people["staff"], trainer_id, {"syncFrequency": "daily"}, session=session
        )
    with pytest.raises(AccessDenied):
        get_google_calendar_status(people["other_trainer"], trainer_id, session=session)


def test_a_fresh_connection_says_its_access_token_is_valid(trainer: Trainer) -> None:
    status = get_google_calendar_status(trainer.actor, trainer.id, session=trainer.session)
    assert status.token_state is TokenState.VALID
    assert status.token_expires_at is not None and status.token_expires_at > utcnow()


def test_after_google_refuses_the_grant_the_token_is_not_called_valid(trainer: Trainer) -> None:
    """A 401 that a refresh does not mend: the connection needs reconnecting, and the token's
    state says so too, though its expiry is still ahead (the card and the banner agree)."""
    trainer.fault(kind="error", status=401, reason="authError", times=5)
    run = trainer.sync()
    assert run.error_kind == "needs_reauth"
    trainer.session.expire_all()
    status = get_google_calendar_status(trainer.actor, trainer.id, session=trainer.session)
    assert status.status == "needs_reauth"
    assert status.token_expires_at is not None and status.token_expires_at > utcnow()
    assert status.token_state is TokenState.REFUSED


def _google_channels(trainer: Trainer) -> list[dict[str, object]]:
    listed: list[dict[str, object]] = trainer.world.control(
        "GET", "/_emulator/push/channels", params={"email": trainer.email}
    ).json()["channels"]
    return listed


def test_switching_to_hourly_stops_the_realtime_channel_at_once_at_google_too(
    trainer: Trainer,
) -> None:
    """Not at the next scheduled run, up to an hour later: Google's pushes stop now, and the
    status no longer speaks of a channel."""
    trainer.sync()
    status = get_google_calendar_status(trainer.actor, trainer.id, session=trainer.session)
    assert status.realtime and status.channel_expires_at is not None
    assert [c["stopped"] for c in _google_channels(trainer)] == [False]
    update_google_calendar_sync_settings(
        trainer.actor,
        trainer.id,
        {"syncFrequency": "hourly"},
        session=trainer.session,
        settings=trainer.world.settings,
        cipher=trainer.world.cipher,
    )
    status = get_google_calendar_status(trainer.actor, trainer.id, session=trainer.session)
    assert (status.sync_frequency.value, status.realtime) == ("hourly", False)
    assert status.channel_expires_at is None
    assert [c["stopped"] for c in _google_channels(trainer)] == [True]


def test_turning_auto_sync_off_stops_the_channel_too(trainer: Trainer) -> None:
    trainer.sync()
    update_google_calendar_sync_settings(
        trainer.actor,
        trainer.id,
        {"autoSyncEnabled": False},
        session=trainer.session,
        settings=trainer.world.settings,
        cipher=trainer.world.cipher,
    )
    status = get_google_calendar_status(trainer.actor, trainer.id, session=trainer.session)
    assert not status.realtime and status.channel_expires_at is None
    assert [c["stopped"] for c in _google_channels(trainer)] == [True]


def test_granted_permissions_are_named_and_an_unknown_one_keeps_googles_name(
    trainer: Trainer,
) -> None:
    status = get_google_calendar_status(trainer.actor, trainer.id, session=trainer.session)
    names = {p.name for p in status.permissions}
    assert {"calendar_events", "email"} <= names and None not in names
    other = "https://www.googleapis.com/auth/drive.file"
    listed = permissions(["https://www.googleapis.com/auth/calendar.events", other, other])
    assert [(p.name, p.scope) for p in listed] == [
        ("calendar_events", "https://www.googleapis.com/auth/calendar.events"),
        (None, other),
    ]
