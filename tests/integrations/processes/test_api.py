"""The api process: /healthz tells a load balancer whether this copy can do its work, and tells
anyone nothing more; the details are the operator's, through the command line."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from db.migrate import head_revision
from db.models import utcnow
from integrations.config import load_settings
from integrations.processes.api import create_app
from integrations.processes.cli import main
from integrations.processes.worker import record_heartbeat


def test_healthz_is_ok_when_store_and_queue_answer(database_url: str, session: Session) -> None:
    record_heartbeat(session, utcnow())
    response = TestClient(create_app(load_settings())).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_tells_anyone_no_revision_queue_depth_or_demo_mode(database_url: str) -> None:
    """A stranger learns only that the service is up, not what runs behind it."""
    settings = load_settings()
    assert settings.demo_mode
    response = TestClient(create_app(settings)).get("/healthz")
    assert response.json() == {"status": "ok"}
    for detail in (head_revision(), "demo", "pending", "revision", "sqlite", "worker"):
        assert detail not in response.text


def test_healthz_answers_503_and_logs_the_store_as_the_part_that_fails(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with caplog.at_level(logging.WARNING, logger="integrations.processes.api"):
        response = TestClient(create_app(settings)).get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    [line] = [r.getMessage() for r in caplog.records if "health check failing" in r.getMessage()]
    assert "store" in line and "queue" not in line
    assert "nobody" not in response.text + line  # no connection string leaks


def test_the_operator_gets_the_details_from_the_health_command(
    database_url: str, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """What /healthz no longer tells strangers: revision, queue depth, demo mode, the workers."""
    record_heartbeat(session, utcnow())
    assert main(["--json", "health"]) == 0
    details = json.loads(capsys.readouterr().out)
    assert details["store"]["revision"] == head_revision()
    assert details["queue"] == {"ok": True, "backend": "sqlite", "pending": 0}
    assert details["demo_mode"] is True
    assert details["worker"]["workers"] == 1
    # The heart beats but no tick was handled yet: the operator is told so.
    assert details["worker"]["ok"] is False
    assert details["worker"]["problem"] == "ticks_not_handled"
