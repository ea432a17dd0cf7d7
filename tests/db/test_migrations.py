"""The store is built by Alembic migrations only, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from db.engine import get_engine
from db.migrate import downgrade, upgrade

EXPECTED_TABLES = {
    "users",
    "trainers",
    "clients",
    "integration_credentials",
    "google_calendar_sync_settings",
    "calendar_events",
    "sync_runs",
    "integration_logs",
    "notifications",
    "webhook_channels",
    "worker_heartbeats",
    "oauth_states",
    "calendar_sync_states",
    "sync_conflicts",
    "alert_incidents",
    "leases",
}


def _tables(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_migrations_build_every_table_from_empty_and_tear_down(database_url: str) -> None:
    """From an empty database, upgrade creates every table; downgrade removes them; again works."""
    engine = get_engine(database_url)
    downgrade(database_url, "base")
    assert _tables(engine) == set()
    upgrade(database_url)
    assert _tables(engine) == EXPECTED_TABLES


def test_models_and_migrations_agree(engine: Engine) -> None:
    """A model change without a migration would show up here as a difference."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_sqlite_store_runs_in_wal_mode_with_foreign_keys(tmp_path: object) -> None:
    """Several processes share the SQLite file: WAL, a busy timeout and enforced foreign keys."""
    url = f"sqlite:///{tmp_path}/wal.db"
    upgrade(url)
    with get_engine(url).connect() as connection:
        assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(sa.text("PRAGMA busy_timeout")).scalar() >= 5000
