"""Leases: a lock in the store that a dead worker cannot keep, on SQLite and on PostgreSQL.

Expiry is driven by the clock each call is given (`now=`), never by sleeping.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from db.models import utcnow
from integrations.core import lease

TTL = timedelta(seconds=30)


def _eventually(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.01)


def test_a_lease_held_by_a_live_worker_is_not_taken(engine: Engine) -> None:
    now = utcnow()
    assert lease.acquire(engine, "tick", "worker-a:1", TTL, now=now)
    assert not lease.acquire(engine, "tick", "worker-b:1", TTL, now=now + TTL / 2)
    assert lease.holder(engine, "tick", now=now + TTL / 2) == "worker-a:1"


def test_a_lease_its_holder_stopped_renewing_is_taken_over_after_it_expires(
    engine: Engine,
) -> None:
    """A worker killed mid-job holds nothing for longer than one time-to-live."""
    now = utcnow()
    assert lease.acquire(engine, "google-sync:t1", "dead-worker:1", TTL, now=now)
    later = now + TTL + timedelta(seconds=1)
    assert lease.holder(engine, "google-sync:t1", now=later) is None
    assert lease.acquire(engine, "google-sync:t1", "worker-b:1", TTL, now=later)
    assert lease.holder(engine, "google-sync:t1", now=later) == "worker-b:1"
    # The old owner, should it wake up, can neither renew nor release the new owner's lease.
    assert not lease.renew(engine, "google-sync:t1", "dead-worker:1", TTL, now=later)
    assert not lease.release(engine, "google-sync:t1", "dead-worker:1")
    assert lease.holder(engine, "google-sync:t1", now=later) == "worker-b:1"


def test_renewing_keeps_a_long_job_s_lease_past_its_first_expiry(engine: Engine) -> None:
    now = utcnow()
    assert lease.acquire(engine, "tick", "worker-a:1", TTL, now=now)
    assert lease.renew(engine, "tick", "worker-a:1", TTL, now=now + TTL * 0.9)
    past_first_expiry = now + TTL * 1.5
    assert not lease.acquire(engine, "tick", "worker-b:1", TTL, now=past_first_expiry)
    assert not lease.renew(engine, "tick", "worker-b:1", TTL, now=past_first_expiry)
    assert lease.holder(engine, "tick", now=past_first_expiry) == "worker-a:1"


def test_only_the_owner_releases_and_a_released_lease_is_free_at_once(engine: Engine) -> None:
    now = utcnow()
    assert lease.acquire(engine, "tick", "worker-a:1", TTL, now=now)
    assert not lease.release(engine, "tick", "worker-b:1")
    assert lease.holder(engine, "tick", now=now) == "worker-a:1"
    assert lease.release(engine, "tick", "worker-a:1")
    assert lease.acquire(engine, "tick", "worker-b:1", TTL, now=now)


def test_workers_racing_for_a_lease_never_both_win(engine: Engine) -> None:
    """Eight threads, each with its own connection, race for each of twenty leases; the same
    again for leases whose holder let them expire (the take-over path)."""
    racers, rounds = 8, 20
    now = utcnow()
    for number in range(rounds):
        assert lease.acquire(engine, f"expired-{number}", "dead", TTL, now=now - 2 * TTL)
    winners: dict[str, list[str]] = {}
    guard = threading.Lock()
    start = threading.Barrier(racers)
    failures: list[BaseException] = []

    def race(racer: int) -> None:
        try:
            start.wait()
            for number in range(rounds):
                for name in (f"fresh-{number}", f"expired-{number}"):
                    owner = f"racer-{racer}"
                    if lease.acquire(engine, name, owner, TTL, now=now):
                        with guard:
                            winners.setdefault(name, []).append(owner)
        except BaseException as failure:
            failures.append(failure)

    threads = [threading.Thread(target=race, args=(racer,)) for racer in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert len(winners) == 2 * rounds
    assert all(len(owners) == 1 for owners in winners.values()), winners
    for name, [owner] in winners.items():
        assert lease.holder(engine, name, now=now) == owner


def test_holding_a_lease_renews_it_while_the_work_runs_and_frees_it_after(
    engine: Engine,
) -> None:
    moment = [utcnow()]

    def clock() -> datetime:
        return moment[0]

    started = moment[0]
    with lease.holding(
        engine, "tick", TTL, worker="worker-a", clock=clock, renew_every=timedelta(milliseconds=10)
    ) as held:
        assert held.owner.startswith("worker-a:")
        with (
            pytest.raises(lease.LeaseHeld),
            lease.holding(engine, "tick", TTL, worker="worker-b", clock=clock),
        ):
            pass  # pragma: no cover - never entered
        moment[0] = started + TTL * 2  # the work outlives its first lease
        _eventually(
            lambda: lease.holder(engine, "tick", now=started + TTL * 2) == held.owner,
            "the lease renewed past its first expiry",
        )
        assert not held.lost.is_set()
    assert lease.holder(engine, "tick", now=moment[0]) is None


def test_a_holder_that_finds_its_lease_taken_over_logs_it(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """A worker paused longer than its lease (a stopped VM) learns that someone else took over."""
    now = utcnow()
    with caplog.at_level(logging.ERROR, logger="integrations.core.lease"):
        with lease.holding(
            engine, "tick", TTL, worker="paused", renew_every=timedelta(milliseconds=10)
        ) as held:
            assert lease.release(engine, "tick", held.owner)
            assert lease.acquire(engine, "tick", "worker-b:1", TTL, now=now)
            _eventually(held.lost.is_set, "the renewal noticed the lease was lost")
        # Leaving the block does not release the new owner's lease.
        assert lease.holder(engine, "tick", now=now) == "worker-b:1"
    assert any("lost the lease tick" in record.getMessage() for record in caplog.records)
