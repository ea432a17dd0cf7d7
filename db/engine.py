"""One engine per database URL and short sessions: a session per user action, request or job."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web, api and worker read while one of them writes; the busy timeout makes a
    # second writer wait instead of failing at once; SQLite leaves foreign keys off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def private_directory(path: Path) -> None:
    """Create a missing directory that only this user can enter (DATA_DIR holds the store, the
    queue and generated demo secrets); an existing one is the operator's and left as it is."""
    if not path.exists():
        path.mkdir(parents=True, mode=0o700, exist_ok=True)
        path.chmod(0o700)  # mkdir's mode is masked by the umask


def private_sqlite_file(path: Path) -> None:
    """Create a SQLite file (and a missing directory) that only this user can read: the store
    holds names, phone numbers and encrypted tokens, the queue holds task arguments. SQLite
    gives its -wal and -shm files the main file's mode."""
    private_directory(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    try:
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if file.exists() and file.stat().st_mode & 0o077:
                file.chmod(0o600)  # left readable by an older version or a looser umask
    except PermissionError:  # someone else's file: not ours to change
        pass


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        database = sa.make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            private_sqlite_file(Path(database))
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    # No server-side prepared statements: after five runs psycopg prepares a statement, and
    # PostgreSQL's generic plan for "google_event_id IN (2,500 ids)" is a hundred times slower
    # than the custom one (measured in `make bench`).
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        connect_args={"prepare_threshold": None},
    )


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """The connection pool for `url`; pools are per process and hold no application data."""
    return _make_engine(url)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A short session that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
