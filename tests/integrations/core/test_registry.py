"""A new integration is one object registered: it appears in `checkIntegrationHealth` and the
health tiles, in the trainers' overview and in the worker's schedule, and names its own errors,
without the code of any of them changing (issue 9's "done when")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, col, select

from db.models import AlertIncident, Integration, IntegrationLog, Notification
from integrations import messages
from integrations.core import registry
from integrations.core.access import Actor
from integrations.core.failures import ErrorKind
from integrations.core.integration import IntegrationPort, Status
from integrations.core.retry import RetryPolicy
from integrations.crm import trainers
from integrations.google_calendar.integration import GOOGLE_CALENDAR
from integrations.monitoring import alerts, health
from integrations.processes import worker
from tests.support.noop_integration import DOWN, NAME, NoopGatewayDown, NoopIntegration
from tests.support.times import at

NOW = at(2026, 12, 8, 9)


@pytest.fixture
def noop() -> Iterator[NoopIntegration]:
    with registry.registered(NoopIntegration()) as registered:
        assert isinstance(registered, NoopIntegration)
        yield registered
    assert registry.get(NAME) is None


def test_google_calendar_is_the_built_in_integration() -> None:
    assert [i.name for i in registry.integrations()] == [Integration.GOOGLE_CALENDAR.value]
    assert registry.get("google_calendar") is GOOGLE_CALENDAR
    assert isinstance(GOOGLE_CALENDAR, IntegrationPort)


def test_a_registered_integration_has_a_health_tile_after_the_specifications_four(
    session: Session, people: dict[str, Actor], noop: NoopIntegration
) -> None:
    tiles = health.integration_tiles(people["manager"], session=session, now=NOW)
    assert [tile.health.name for tile in tiles] == [
        "google_calendar",
        "email",
        "sms",
        "payments",
        NAME,
    ]
    mine = tiles[-1]
    assert mine.health.configured and mine.health.status is Status.CONNECTED
    assert mine.by_status["connected"] == 2  # the two trainers of `people`
    found = health.check_integration_health(people["manager"], NAME, session=session, now=NOW)
    assert found.as_spec() == {
        "name": NAME,
        "status": "connected",
        "lastSync": NOW,
        "errorCount": 0,
    }


def test_an_integration_unregistered_is_unknown_again(
    session: Session, people: dict[str, Actor]
) -> None:
    with registry.registered(NoopIntegration()):
        health.check_integration_health(people["manager"], NAME, session=session, now=NOW)
    with pytest.raises(health.InvalidInput, match="no integration 'noop'"):
        health.check_integration_health(people["manager"], NAME, session=session, now=NOW)


def test_the_trainers_overview_shows_each_trainers_connection_to_it(
    session: Session, people: dict[str, Actor], noop: NoopIntegration
) -> None:
    """Staff see every trainer's connection; a trainer only their own (the overview's access
    rule reaches the integration: it is handed only the ids the actor may see)."""
    dana, yossi = people["trainer"].trainer_id, people["other_trainer"].trainer_id
    every = trainers.list_trainer_overviews(people["staff"], session=session, now=NOW)
    assert {o.id: o.connection(NAME).account for o in every} == {
        dana: f"noop:{dana}",
        yossi: f"noop:{yossi}",
    }
    assert {o.connection(NAME).status for o in every} == {"connected"}
    assert {o.google_status for o in every} == {trainers.NOT_CONNECTED}  # Google's unchanged
    [own] = trainers.list_trainer_overviews(people["trainer"], session=session, now=NOW)
    assert own.id == dana and set(own.connections) == {"google_calendar", NAME}


def test_the_worker_runs_its_periodic_jobs_on_each_tick(
    database_url: str, noop: NoopIntegration
) -> None:
    names = [job.__name__ for job in worker.schedule()]
    assert names == [
        "close_interrupted_google_syncs",
        "schedule_google_syncs",
        "refresh_expiring_google_tokens",
        "noop_heartbeat",
        "check_alerts",
    ]
    result = worker.run_tick(now=NOW)
    assert result is not None and result["failed"] == [] and result["handlers"] == 5
    assert noop.ticks == [NOW]


def test_its_alert_rules_raise_and_resolve_incidents_as_googles_do(
    session: Session,
    people: dict[str, Actor],
    noop: NoopIntegration,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The alert engine raises its finding once (a notice to the managers and the trainer, an
    audit line under its name) and resolves it after the rule's own delay (none here)."""
    # An integration brings its rule's name in the catalogue; the test's lives as long as the
    # test.
    monkeypatch.setitem(messages.MESSAGES, f"alert.rule.{DOWN}", {"en": "Noop down", "he": "נופ"})
    dana = people["trainer"].trainer_id
    assert dana is not None
    noop.down[dana] = "Dana"
    assert alerts.check_alerts(session, NOW).raised == [f"{DOWN}:{dana}"]
    assert alerts.check_alerts(session, NOW).raised == []
    incident = session.get(AlertIncident, f"{DOWN}:{dana}")
    assert incident is not None and incident.is_open and incident.rule == DOWN
    kinds = session.exec(
        select(Notification.kind).where(Notification.incident_key == f"{DOWN}:{dana}")
    ).all()
    assert kinds and set(kinds) == {f"alert:{DOWN}"}
    noop.down.clear()
    assert alerts.check_alerts(session, NOW).resolved == [f"{DOWN}:{dana}"]
    logged = session.exec(
        select(IntegrationLog.event, IntegrationLog.integration)
        .where(col(IntegrationLog.event).startswith("alert_"))
        .order_by(col(IntegrationLog.id))
    ).all()
    assert logged == [("alert_raised", NAME), ("alert_resolved", NAME)]


def test_its_errors_are_named_by_it_and_retried_as_it_says(noop: NoopIntegration) -> None:
    assert registry.classify(NoopGatewayDown("down")).kind is ErrorKind.TRANSIENT
    calls: list[int] = []

    def down_once() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise NoopGatewayDown("down")
        return "ok"

    assert RetryPolicy(sleep=lambda _: None).call(down_once) == "ok"
    assert len(calls) == 2


def test_a_name_is_registered_once_and_an_incomplete_object_not_at_all(
    noop: NoopIntegration,
) -> None:
    with pytest.raises(ValueError, match="registered already"):
        registry.register(NoopIntegration())
    with pytest.raises(TypeError, match="IntegrationPort"):
        registry.register(object())  # type: ignore[arg-type]
