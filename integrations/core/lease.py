"""Leases: locks in the store that end by themselves.

A lease has a name, an owner and an expiry. Whoever holds it renews it while the work goes on; a
worker killed mid-job (SIGKILL, a lost machine) renews nothing, so its lease lapses after one
time-to-live and the next worker takes it over. Every operation is one parameterised statement
in a short session of its own, so two workers racing for a lease cannot both win, on SQLite and
on PostgreSQL alike.
"""

from __future__ import annotations

import functools
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from db.models import Lease, utcnow

log = logging.getLogger(__name__)

_TABLE: sa.Table = Lease.__table__  # type: ignore[attr-defined]


class LeaseHeld(Exception):
    """Someone else holds a live lease of this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"the lease {name!r} is held by another worker")
        self.name = name


def new_owner(worker: str) -> str:
    """An owner for one acquisition: the worker's name (for people) and a random token, so that
    the same worker taking the lease twice, or a pid reused after a crash, is another owner."""
    return f"{worker}:{secrets.token_hex(8)}"


def acquire(
    engine: Engine,
    name: str,
    owner: str,
    ttl: timedelta,
    *,
    now: datetime | None = None,
    connection: sa.Connection | None = None,
) -> bool:
    """Take the lease for `ttl`: a new row, or a row whose holder let it expire. True when won.

    One upsert whose update only happens on an expired row: PostgreSQL locks the conflicting row
    and re-checks the condition on its newest version; SQLite has a single writer at a time.
    With `connection`, the upsert joins the caller's transaction (a push notification claims its
    message number and the "sync waiting" mark in one commit).
    """
    now = now or utcnow()
    values = {"name": name, "owner": owner, "acquired_at": now, "expires_at": now + ttl, "now": now}
    if connection is not None:  # the caller's transaction: taken when it commits, not before
        won = connection.execute(_upsert(engine.dialect.name), values)
        return bool(won.scalar_one_or_none() == owner)
    with engine.begin() as own:
        won = own.execute(_upsert(engine.dialect.name), values)
        return bool(won.scalar_one_or_none() == owner)


@functools.cache
def _upsert(dialect: str) -> sa.Insert:
    """`acquire`'s statement, built once per dialect: building it anew for every call cost more
    than running it (it runs once per push notification)."""
    return _taken_unless_live(_insert(dialect)(_TABLE))


def acquire_from(rows: sa.Select[Any], *, dialect: str) -> sa.Insert:
    """`acquire`'s upsert taking its row from `rows` (name, owner, acquired_at, expires_at;
    bind `now` too), so that it can be part of a larger statement: a push notification's claim
    takes the "sync waiting" mark in the same statement on PostgreSQL. Returns the owner when
    won, no row when a live lease stood in the way."""
    columns = ["name", "owner", "acquired_at", "expires_at"]
    return _taken_unless_live(_insert(dialect)(_TABLE).from_select(columns, rows))


def _insert(dialect: str) -> Any:
    return sqlite_insert if dialect == "sqlite" else postgresql_insert


def _taken_unless_live(statement: Any) -> sa.Insert:
    """A new row, or the row of this name taken over when its holder let it expire."""
    taken: sa.Insert = statement.on_conflict_do_update(
        index_elements=[_TABLE.c.name],
        set_={
            "owner": statement.excluded.owner,
            "acquired_at": statement.excluded.acquired_at,
            "expires_at": statement.excluded.expires_at,
        },
        where=_TABLE.c.expires_at <= sa.bindparam("now", type_=_TABLE.c.expires_at.type),
    ).returning(_TABLE.c.owner)
    return taken


def renew(
    engine: Engine, name: str, owner: str, ttl: timedelta, *, now: datetime | None = None
) -> bool:
    """Push the expiry on by `ttl`; only the owner can, and only while nobody took it over."""
    now = now or utcnow()
    statement = (
        sa.update(_TABLE)
        .where(_TABLE.c.name == name, _TABLE.c.owner == owner)
        .values(expires_at=now + ttl)
    )
    with engine.begin() as connection:
        return connection.execute(statement).rowcount == 1


def release(engine: Engine, name: str, owner: str) -> bool:
    """Give the lease back at once; a lease another owner took over is left alone."""
    statement = sa.delete(_TABLE).where(_TABLE.c.name == name, _TABLE.c.owner == owner)
    with engine.begin() as connection:
        return connection.execute(statement).rowcount == 1


def clear(engine: Engine, name: str) -> bool:
    """Remove the lease whoever holds it: for marks that any worker may take off."""
    with engine.begin() as connection:
        return connection.execute(sa.delete(_TABLE).where(_TABLE.c.name == name)).rowcount == 1


def holder(engine: Engine, name: str, *, now: datetime | None = None) -> str | None:
    """The owner of the live lease of this name, or None when it is free or expired."""
    now = now or utcnow()
    statement = sa.select(_TABLE.c.owner).where(_TABLE.c.name == name, _TABLE.c.expires_at > now)
    with engine.connect() as connection:
        return connection.execute(statement).scalar_one_or_none()


@dataclass
class HeldLease:
    """A lease this process holds; `lost` turns true if a renewal found it taken over."""

    name: str
    owner: str
    ttl: timedelta
    lost: threading.Event = field(default_factory=threading.Event)


@contextmanager
def holding(
    engine: Engine,
    name: str,
    ttl: timedelta,
    *,
    worker: str,
    clock: Callable[[], datetime] = utcnow,
    renew_every: timedelta | None = None,
) -> Iterator[HeldLease]:
    """Hold the lease while the block runs: renewed in a thread (every ttl/3 by default) and
    released at the end. Raises LeaseHeld when another owner holds it.

    A renewal that fails on a store error keeps trying until the lease would have lapsed; one
    that finds the lease taken over logs it and stops (the work goes on, but its owner knows).
    """
    owner = new_owner(worker)
    if not acquire(engine, name, owner, ttl, now=clock()):
        raise LeaseHeld(name)
    held = HeldLease(name, owner, ttl)
    stop = threading.Event()
    interval = (renew_every or ttl / 3).total_seconds()

    def keep_renewing() -> None:
        while not stop.wait(interval):
            try:
                renewed = renew(engine, name, owner, ttl, now=clock())
            except Exception:
                log.warning(
                    "could not renew the lease %s; trying again",
                    name,
                    exc_info=True,
                    extra={"event": "lease_renew_failed", "lease": name},
                )
                continue
            if not renewed:
                held.lost.set()
                log.error(
                    "lost the lease %s while still working: another worker may run the same job",
                    name,
                    extra={"event": "lease_lost", "lease": name},
                )
                return

    renewer = threading.Thread(target=keep_renewing, name=f"lease:{name}", daemon=True)
    renewer.start()
    try:
        yield held
    finally:
        stop.set()
        renewer.join()
        try:
            release(engine, name, owner)
        except Exception:
            # The lease lapses by itself; failing the finished job over it would help nobody.
            log.warning(
                "could not release the lease %s; it lapses by itself",
                name,
                exc_info=True,
                extra={"event": "lease_release_failed", "lease": name},
            )
