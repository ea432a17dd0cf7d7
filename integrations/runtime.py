"""The process's shared resources, drawn from its settings on first use: the store's engine (a
pool), the token cipher, short sessions. Facades and jobs take their dependencies from here, so
no caller wires settings, keys or sessions by hand, and a test that changes the settings
(`get_settings.cache_clear()`) changes what every caller gets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlmodel import Session

from db.engine import get_engine, session_scope
from integrations.config import Settings, get_settings
from integrations.core.crypto import TokenCipher, cipher_from_settings


def settings() -> Settings:
    return get_settings()


def engine() -> Engine:
    return get_engine(get_settings().DATABASE_URL)


def cipher() -> TokenCipher:
    """The keys of the current settings (cheap to build: it holds no connection)."""
    return cipher_from_settings(get_settings())


@contextmanager
def session() -> Iterator[Session]:
    """A session for one user action, request or job."""
    with session_scope(engine()) as db_session:
        yield db_session
