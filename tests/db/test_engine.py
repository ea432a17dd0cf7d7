"""The PostgreSQL pool after the server dropped its connections (a restart, a failover, an idle
timeout on the way): an idle connection is checked and replaced before anyone uses it; one in
constant use fails once, and the pool then connects afresh."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from db.engine import _make_engine


def backend_pid(connection: sa.Connection) -> int:
    return int(connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


def drop_connection(url: str, pid: int) -> None:
    """What a restarting server does to one connection, done from another."""
    killer = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with killer.connect() as connection:
        assert connection.execute(sa.text(f"SELECT pg_terminate_backend({pid})")).scalar_one()
    killer.dispose()


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop connections")
    return database_url


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(postgres_url: str) -> None:
    engine = _make_engine(postgres_url, ping_after_idle_seconds=0)
    try:
        with engine.connect() as connection:
            dropped = backend_pid(connection)
        drop_connection(postgres_url, dropped)
        with engine.connect() as connection:  # pinged at checkout, found dead, replaced
            assert backend_pid(connection) != dropped
    finally:
        engine.dispose()


def test_a_busy_connection_the_server_dropped_fails_once_then_the_pool_recovers(
    postgres_url: str,
) -> None:
    engine = _make_engine(postgres_url, ping_after_idle_seconds=3600)
    try:
        with engine.connect() as connection:
            dropped = backend_pid(connection)
        drop_connection(postgres_url, dropped)
        with pytest.raises(sa.exc.DBAPIError) as failure, engine.connect() as connection:
            backend_pid(connection)  # not pinged: used a moment ago
        assert failure.value.connection_invalidated
        with engine.connect() as connection:
            assert backend_pid(connection) != dropped
    finally:
        engine.dispose()
