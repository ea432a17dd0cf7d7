"""Per-process resources built from the settings: the engine (a pool) and short sessions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlmodel import Session

from db.engine import get_engine, session_scope
from integrations.config import get_settings


def engine() -> Engine:
    return get_engine(get_settings().DATABASE_URL)


@contextmanager
def session() -> Iterator[Session]:
    """A session for one user action, request or job."""
    with session_scope(engine()) as db_session:
        yield db_session
