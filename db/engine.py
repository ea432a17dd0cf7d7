"""One engine per database URL and short sessions: a session per user action, request or job."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 10_000
#: A pooled PostgreSQL connection left unused for longer than this is pinged before it is handed
#: out; one given back more recently is handed out as it is (see `_ping_if_idle`).
PING_AFTER_IDLE_SECONDS = 1.0
#: Connections each PostgreSQL pool keeps open (more are opened for a burst, then closed).
POOL_SIZE = 5


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


#: psycopg's `prepare_threshold`: it prepares a statement after this many runs, so never.
NEVER_PREPARED_BY_COUNT = 2**62


def _prepare_when_asked(cursor: Any, statement: str, parameters: Any, context: Any) -> bool | None:
    """`connection.execution_options(prepared=True)`: this statement is prepared on each pooled
    connection the first time and only executed after (no parsing and planning each time), for
    a statement that runs very often with a plan that does not depend on its values (a push
    notification's claim). psycopg forgets its prepared statements at a rollback."""
    if not context.execution_options.get("prepared"):
        return None
    cursor.execute(statement, parameters, prepare=True)
    return True


def _stamp_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(engine: Engine, ping_after_idle_seconds: float) -> Any:
    """Pessimistic disconnect handling for connections that sat idle, without a round trip for
    each checkout: `pool_pre_ping` pinged every one, which cost a webhook one round trip in
    seven. A connection that was idle (where drops happen: a server restart while the app was
    quiet, an idle timeout on the way) is pinged, and a dead one replaced before anyone sees it.
    One in constant use is not: if the server went away in the moment since its last use, the
    statement fails as a disconnect, SQLAlchemy invalidates the whole pool, and the next
    checkout connects afresh (the webhook retries that once itself)."""

    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("checked_in_at")
        if idle_since is None or time.monotonic() - idle_since < ping_after_idle_seconds:
            return  # new, or given back a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                # The pool drops this connection and checks out another (a fresh one).
                raise sa.exc.DisconnectionError() from error
            raise

    return on_checkout


def _make_engine(url: str, *, ping_after_idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> Engine:
    if url.startswith("sqlite"):
        database = sa.make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            private_sqlite_file(Path(database))
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    # No server-side prepared statements unless asked for: after five runs psycopg prepares a
    # statement by itself, and PostgreSQL's generic plan for "google_event_id IN (2,500 ids)" is
    # a hundred times slower than the custom one (measured in `make bench`). A threshold no
    # count reaches (not None, which would refuse `prepared` too) keeps that off.
    engine = sa.create_engine(
        url,
        pool_size=POOL_SIZE,
        max_overflow=10,
        connect_args={"prepare_threshold": NEVER_PREPARED_BY_COUNT},
    )
    sa.event.listen(engine, "do_execute", _prepare_when_asked)
    sa.event.listen(engine, "checkin", _stamp_checkin)
    sa.event.listen(engine, "checkout", _ping_if_idle(engine, ping_after_idle_seconds))
    return engine


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
