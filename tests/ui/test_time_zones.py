"""Times as each person reads them: a trainer in their own time zone, everyone else in the
organisation's default (Asia/Jerusalem)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from db.engine import get_engine
from db.models import (
    IntegrationCredential,
    Notification,
    RunOutcome,
    SyncRun,
    SyncTrigger,
    Trainer,
    User,
)
from integrations.core.notifications import notify
from tests.support.apptest import EMAILS

#: 12:00 UTC on 1 July 2099: 08:00 in New York (EDT), 15:00 in Jerusalem (IDT); far ahead, so the
#: card shows it as a live token ("valid until") whatever day the suite runs.
TOKEN_EXPIRES = datetime(2099, 7, 1, 12, 0, tzinfo=UTC)
#: 06:45 UTC on 2 July 2026: 02:45 in New York, 09:45 in Jerusalem.
LAST_SYNC = datetime(2026, 7, 2, 6, 45, tzinfo=UTC)
#: 17:30 UTC on 15 January 2026: 12:30 in New York (EST), 19:30 in Jerusalem (IST).
NOTIFIED = datetime(2026, 1, 15, 17, 30, tzinfo=UTC)


def _user(store: str, email: str) -> User:
    with Session(get_engine(store)) as session:
        return session.exec(select(User).where(User.email == email)).one()


def _set_zone(store: str, email: str, zone: str) -> None:
    trainer_id = _user(store, email).trainer_id
    with Session(get_engine(store)) as session:
        trainer = session.get(Trainer, trainer_id)
        assert trainer is not None
        trainer.timezone = zone
        session.add(trainer)
        session.commit()


def _connect(store: str, email: str) -> None:
    """A Google connection with a known token expiry and one finished sync."""
    user = _user(store, email)
    assert user.trainer_id is not None
    with Session(get_engine(store)) as session:
        session.add(
            IntegrationCredential(
                trainer_id=user.trainer_id,
                integration="google_calendar",
                account_email="dana@gmail.com",
                token_expires_at=TOKEN_EXPIRES,
            )
        )
        session.add(
            SyncRun(
                trainer_id=user.trainer_id,
                trigger=SyncTrigger.MANUAL,
                outcome=RunOutcome.SUCCESS,
                started_at=LAST_SYNC,
            )
        )
        session.commit()


def _notify(store: str, email: str) -> None:
    """One notification, written at a known time."""
    user = _user(store, email)
    with Session(get_engine(store)) as session:
        notify([user.id], "sync_failed", "Google sync failed", session=session)
        session.commit()
        for note in session.exec(select(Notification).where(Notification.user_id == user.id)):
            note.created_at = NOTIFIED
            session.add(note)
        session.commit()


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def test_a_trainer_in_new_york_sees_google_and_notification_times_in_new_york(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    _set_zone(demo_store, EMAILS["trainer"], "America/New_York")
    _connect(demo_store, EMAILS["trainer"])
    _notify(demo_store, EMAILS["trainer"])
    at = app_as(EMAILS["trainer"]).run()
    assert "Times in America/New_York" in _captions(at)  # My integrations
    at.switch_page("pages/google_connection.py").run()
    assert not at.exception
    card = _markdown(at)
    assert "**Access token valid until:** 01/07/2099 08:00" in card
    assert "**Last sync:** 02/07/2026 02:45" in card
    assert "Times in America/New_York" in _captions(at)
    at.switch_page("pages/notifications.py").run()
    assert "15/01/2026 12:30" in _captions(at)
    assert "Times in America/New_York" in _captions(at)


def test_a_trainer_in_the_default_zone_sees_jerusalem_times(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    _connect(demo_store, EMAILS["trainer"])
    _notify(demo_store, EMAILS["trainer"])
    at = app_as(EMAILS["trainer"]).run()
    at.switch_page("pages/google_connection.py").run()
    assert "**Access token valid until:** 01/07/2099 15:00" in _markdown(at)
    assert "Times in Asia/Jerusalem" in _captions(at)
    at.switch_page("pages/notifications.py").run()
    assert "15/01/2026 19:30" in _captions(at)


@pytest.mark.parametrize("role", ["manager", "staff"])
def test_staff_and_managers_read_notification_times_in_the_default_zone(
    app_as: Callable[..., AppTest], demo_store: str, role: str
) -> None:
    """Even when the trainer a notification is about lives elsewhere."""
    _set_zone(demo_store, EMAILS["trainer"], "America/New_York")
    _notify(demo_store, EMAILS[role])
    at = app_as(EMAILS[role]).run()
    at.switch_page("pages/notifications.py").run()
    assert "15/01/2026 19:30" in _captions(at)
    assert "Times in Asia/Jerusalem" in _captions(at)


def test_a_zone_this_machine_does_not_know_falls_back_to_the_default(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    _set_zone(demo_store, EMAILS["trainer"], "Mars/Olympus_Mons")
    _connect(demo_store, EMAILS["trainer"])
    _notify(demo_store, EMAILS["trainer"])
    at = app_as(EMAILS["trainer"]).run()
    assert not at.exception
    at.switch_page("pages/google_connection.py").run()
    assert not at.exception
    assert "**Access token valid until:** 01/07/2099 15:00" in _markdown(at)


def test_a_time_at_the_end_of_year_9999_is_shown_not_a_crash(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    """Jerusalem is ahead of UTC: 23:30 UTC on 31/12/9999 has no local day after it to fall on."""
    _connect(demo_store, EMAILS["trainer"])
    with Session(get_engine(demo_store)) as session:
        for credential in session.exec(select(IntegrationCredential)):
            credential.token_expires_at = datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
            session.add(credential)
        session.commit()
    at = app_as(EMAILS["trainer"]).run()
    at.switch_page("pages/google_connection.py").run()
    assert not at.exception, at.exception
    assert "**Access token valid until:** 31/12/9999 23:59" in _markdown(at)
