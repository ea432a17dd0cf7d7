"""The api process: /healthz tells a load balancer whether this copy can do its work."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

from db.migrate import head_revision
from db.models import utcnow
from integrations.api import create_app
from integrations.config import load_settings
from integrations.worker import record_heartbeat


def test_healthz_is_ok_when_store_and_queue_answer(database_url: str, session: Session) -> None:
    record_heartbeat(session, utcnow())
    client = TestClient(create_app(load_settings()))
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["store"]["ok"] and body["store"]["revision"] == head_revision()
    assert body["queue"]["ok"]
    assert body["worker"]["ok"] and body["worker"]["workers"] == 1


def test_healthz_answers_503_naming_the_store_when_it_is_unreachable(tmp_path: Path) -> None:
    settings = load_settings(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = TestClient(create_app(settings)).get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["store"]["ok"] is False
    assert body["queue"]["ok"] is True
    assert "nobody" not in response.text  # no connection string leaks


def test_healthz_reports_a_stalled_worker_without_failing(database_url: str) -> None:
    """The api can run alone; a missing worker is reported, not fatal to the api's health."""
    response = TestClient(create_app(load_settings())).get("/healthz")
    assert response.status_code == 200
    assert response.json()["worker"] == {"ok": False, "last_tick_at": None, "workers": 0}
