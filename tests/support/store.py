"""The store of a test: a migrated SQLite database always, and a PostgreSQL one with
TEST_DATABASE_URL; each test that asks for it gets it empty."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from db.engine import get_engine
from db.migrate import upgrade
from db.models import Role
from integrations.config import reset_settings_cache
from integrations.core.access import Actor
from integrations.crm import accounts
from tests.support.ci import need


def _postgres_server_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return None
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@pytest.fixture(scope="session")
def _sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'test.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def _postgres_url() -> Iterator[str | None]:
    """A fresh database on the TEST_DATABASE_URL server, migrated once, dropped at the end."""
    server = _postgres_server_url()
    if server is None:
        yield None
        return
    name = f"newym_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        get_engine(url).dispose()
        get_engine.cache_clear()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_tables(engine: Engine) -> None:
    tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608 - table names


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest,
    _sqlite_url: str,
    _postgres_url: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """The URL of an empty, migrated store; services in the test use it through the settings."""
    if request.param == "postgresql":
        need(_postgres_url is not None, "TEST_DATABASE_URL is not set")
        url = str(_postgres_url)
    else:
        url = _sqlite_url
    empty_tables(get_engine(url))
    monkeypatch.setenv("DATABASE_URL", url)
    reset_settings_cache()
    return url


@pytest.fixture
def engine(database_url: str) -> Engine:
    return get_engine(database_url)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as db_session:
        yield db_session


@pytest.fixture
def people(session: Session) -> dict[str, Actor]:
    """A small organisation: a manager, a staff member and two trainers."""
    made = {
        "manager": accounts.add_user(
            "boss@example.com", Role.MANAGER, session=session, name="Boss"
        ),
        "staff": accounts.add_user("desk@example.com", Role.STAFF, session=session, name="Desk"),
        "trainer": accounts.add_user(
            "dana@example.com", Role.TRAINER, session=session, name="Dana"
        ),
        "other_trainer": accounts.add_user(
            "yossi@example.com", Role.TRAINER, session=session, name="Yossi"
        ),
    }
    return {key: accounts.actor_for(user) for key, user in made.items()}
