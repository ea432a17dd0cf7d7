"""Throwaway stores to measure on: SQLite always, PostgreSQL when a server answers."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa

from db.engine import get_engine

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Stores:
    """Label to empty database URL, and a note when PostgreSQL could not be measured."""

    urls: dict[str, str]
    note: str = ""


@contextmanager
def scratch_stores() -> Iterator[Stores]:
    """An empty SQLite file, and a scratch database on BENCH_POSTGRES_URL's server (or the local
    one); both are removed afterwards, whatever happened in between."""
    sqlite_dir = tempfile.mkdtemp(prefix="newym-bench-")
    urls = {"SQLite (WAL)": f"sqlite:///{sqlite_dir}/bench.db"}
    server = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    if server.startswith("postgresql://"):
        server = "postgresql+psycopg://" + server.split("://", 1)[1]
    admin = sa.create_engine(
        server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    name = f"newym_bench_{uuid.uuid4().hex[:8]}"
    note = ""
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        urls["PostgreSQL"] = (
            sa.make_url(server).set(database=name).render_as_string(hide_password=False)
        )
    except sa.exc.OperationalError:
        note = "PostgreSQL was not reachable; only SQLite was measured."
    try:
        yield Stores(urls, note)
    finally:
        if "PostgreSQL" in urls:
            get_engine(urls["PostgreSQL"]).dispose()
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        get_engine(urls["SQLite (WAL)"]).dispose()
        shutil.rmtree(sqlite_dir, ignore_errors=True)
