"""The health page at scale (issue 4, "Speed"): 200 trainers, 200,000 events and 100,000 sync runs
(with their log lines) bulk-inserted into each store, then the page's service calls and an
AppTest run of the page timed, median over repeated rounds; the goal is under a second.

`python -m bench` runs this after the other benchmarks and appends its tables to the report;
`python -m bench.health [--quick] [--output FILE]` runs it alone.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from bench.report import Table
from bench.stores import scratch_stores

ROOT = Path(__file__).resolve().parent.parent
TITLE_PREFIX = "Health page"
GOAL_SECONDS = 1.0
MANAGER_EMAIL = "manager@bench.newym.test"
CHUNK = 5_000


@dataclass(frozen=True)
class Plan:
    trainers: int = 200
    events: int = 200_000
    sync_runs: int = 100_000
    #: How far back the runs go.
    history: timedelta = timedelta(days=60)
    rounds: int = 7
    page_rounds: int = 5


FULL = Plan()
QUICK = Plan(trainers=50, events=20_000, sync_runs=10_000, rounds=3, page_rounds=2)


def progress(message: str) -> None:
    print(f"[bench health] {message}", file=sys.stderr, flush=True)


# --- Seeding, in bulk ---------------------------------------------------------------------------


def _insert(connection: sa.Connection, table_name: str, rows: Iterator[dict[str, Any]]) -> int:
    """executemany in chunks through SQLAlchemy Core (insertmanyvalues on PostgreSQL)."""
    table = SQLModel.metadata.tables[table_name]
    count = 0
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            connection.execute(table.insert(), chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        connection.execute(table.insert(), chunk)
        count += len(chunk)
    return count


@dataclass
class World:
    url: str
    now: datetime
    trainer_ids: list[str] = field(default_factory=list)
    failed_run_id: str = ""
    seed_seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


def seed(url: str, plan: Plan, now: datetime) -> World:
    from db.migrate import upgrade
    from db.models import Role

    upgrade(url)
    rng = random.Random(7)  # the same store on every run and every dialect
    world = World(url, now)
    started = time.perf_counter()
    engine = sa.create_engine(url) if url.startswith("postgresql") else _sqlite_engine(url)
    zones = ["Asia/Jerusalem"] * 9 + ["Europe/London"]
    frequencies = ["realtime", "hourly", "hourly", "daily"]
    with engine.begin() as connection:
        trainers = [
            {
                "id": f"t{index:031d}",
                "name": f"מאמן {index:03d}" if index % 2 else f"Trainer {index:03d}",
                "email": f"trainer{index:03d}@bench.newym.test",
                "timezone": zones[index % len(zones)],
                "created_at": now - timedelta(days=400),
            }
            for index in range(plan.trainers)
        ]
        world.trainer_ids = [t["id"] for t in trainers]
        world.counts["trainers"] = _insert(connection, "trainers", iter(trainers))
        users = [
            {
                "id": f"u{index:031d}",
                "email": t["email"],
                "name": t["name"],
                "role": Role.TRAINER.value,
                "trainer_id": t["id"],
                "is_active": True,
                "locale": "he",
                "created_at": now - timedelta(days=400),
            }
            for index, t in enumerate(trainers)
        ]
        users.append(
            {
                "id": "u" + "m" * 31,
                "email": MANAGER_EMAIL,
                "name": "מנהלת",
                "role": Role.MANAGER.value,
                "trainer_id": None,
                "is_active": True,
                "locale": "he",
                "created_at": now - timedelta(days=400),
            }
        )
        _insert(connection, "users", iter(users))
        statuses = ["connected"] * 17 + ["needs_reauth", "disconnected", "connected"]
        _insert(
            connection,
            "integration_credentials",
            (
                {
                    "id": f"c{index:031d}",
                    "trainer_id": trainer_id,
                    "integration": "google_calendar",
                    "status": statuses[index % len(statuses)],
                    "account_email": f"trainer{index:03d}@gmail.test",
                    "scopes": [],
                    "calendars": [],
                    "created_at": now - timedelta(days=90),
                    "updated_at": now - timedelta(days=1),
                }
                for index, trainer_id in enumerate(world.trainer_ids)
            ),
        )
        _insert(
            connection,
            "google_calendar_sync_settings",
            (
                {
                    "trainer_id": trainer_id,
                    "auto_sync_enabled": True,
                    "sync_direction": "bidirectional",
                    "sync_frequency": frequencies[index % len(frequencies)],
                    "default_calendar_id": "primary",
                    "import_calendar_ids": [],
                    "updated_at": now - timedelta(days=90),
                }
                for index, trainer_id in enumerate(world.trainer_ids)
            ),
        )
        world.counts["events"] = _insert(
            connection, "calendar_events", _events(world.trainer_ids, plan, now, rng)
        )
        runs = list(_runs(world.trainer_ids, plan, now, rng))
        world.counts["sync_runs"] = _insert(connection, "sync_runs", iter(runs))
        world.failed_run_id = next(r["id"] for r in reversed(runs) if r["outcome"] == "failed")
        world.counts["integration_logs"] = _insert(connection, "integration_logs", _logs(runs, rng))
        world.counts["webhook_channels"] = _insert(
            connection, "webhook_channels", _channels(world.trainer_ids, now, rng)
        )
    engine.dispose()
    if url.startswith("postgresql"):
        with sa.create_engine(url, isolation_level="AUTOCOMMIT").connect() as connection:
            connection.execute(sa.text("ANALYZE"))
    else:
        with _sqlite_engine(url).connect() as connection:
            connection.execute(sa.text("ANALYZE"))
    world.seed_seconds = time.perf_counter() - started
    return world


def _sqlite_engine(url: str) -> sa.Engine:
    from db.engine import get_engine

    return get_engine(url)


def _events(
    trainer_ids: list[str], plan: Plan, now: datetime, rng: random.Random
) -> Iterator[dict[str, Any]]:
    per_trainer = plan.events // len(trainer_ids)
    for t_index, trainer_id in enumerate(trainer_ids):
        for index in range(per_trainer):
            start = now + timedelta(days=rng.randint(-180, 180), hours=rng.choice([5, 7, 15, 17]))
            yield {
                "id": f"e{t_index:07d}{index:024d}",
                "trainer_id": trainer_id,
                "title": "אימון אישי",
                "start_at": start,
                "end_at": start + timedelta(hours=1),
                "all_day": False,
                "timezone": "Asia/Jerusalem",
                "origin": "crm" if index % 3 else "google",
                "sync_state": "synced",
                "status": "confirmed",
                "created_at": now - timedelta(days=200),
                "updated_at": now - timedelta(days=1),
            }


KINDS = ["rate_limited"] * 5 + ["transient"] * 8 + ["quota_exceeded", "gone", "forbidden"]


def _runs(
    trainer_ids: list[str], plan: Plan, now: datetime, rng: random.Random
) -> Iterator[dict[str, Any]]:
    span = plan.history.total_seconds()
    for index in range(plan.sync_runs):
        trainer_id = trainer_ids[index % len(trainer_ids)]
        started = now - timedelta(seconds=span * (1 - index / plan.sync_runs) + rng.random())
        roll = rng.random()
        outcome = "success" if roll < 0.93 else "partial" if roll < 0.95 else "failed"
        duration = int(rng.lognormvariate(7, 0.8))  # a median near 1.1 s, a long tail
        requests = rng.randint(1, 30)
        limited = rng.randint(1, 4) if rng.random() < 0.04 else 0
        failed = outcome == "failed"
        yield {
            "id": f"r{index:031d}",
            "trainer_id": trainer_id,
            "integration": "google_calendar",
            "calendar_id": "primary",
            "trigger": rng.choice(["schedule", "schedule", "webhook", "manual"]),
            "started_at": started,
            "finished_at": started + timedelta(milliseconds=duration),
            "fetched": rng.randint(0, 20),
            "created": 0,
            "updated": rng.randint(0, 3),
            "deleted": 0,
            "pushed": rng.randint(0, 3),
            "conflicts": 0,
            "http_requests": requests,
            "rate_limited": limited,
            "duration_ms": duration,
            "outcome": outcome,
            "error": "Google answered 503" if failed else None,
            "error_kind": rng.choice(KINDS) if failed else None,
        }


def _logs(runs: list[dict[str, Any]], rng: random.Random) -> Iterator[dict[str, Any]]:
    """The line the sync engine writes when each run ends, retries now and then, and some
    failed runs closed as interrupted (no line of their own)."""
    for run in runs:
        failed = run["outcome"] == "failed"
        if failed and rng.random() < 0.1:
            continue  # interrupted: only the run says so
        yield {
            "at": run["finished_at"],
            "level": "error" if failed else "info",
            "integration": "google_calendar",
            "trainer_id": run["trainer_id"],
            "sync_run_id": run["id"],
            "event": "sync_failed" if failed else "sync_finished",
            "message": run["error"] or "fetched 4, created 0, updated 1, deleted 0, pushed 0",
            "details": {},
        }
        if run["rate_limited"]:
            yield {
                "at": run["started_at"],
                "level": "warning",
                "integration": "google_calendar",
                "trainer_id": run["trainer_id"],
                "sync_run_id": run["id"],
                "event": "retry",
                "message": "Google answered 429; waiting before retrying",
                "details": {},
            }


def _channels(
    trainer_ids: list[str], now: datetime, rng: random.Random
) -> Iterator[dict[str, Any]]:
    for index, trainer_id in enumerate(trainer_ids):
        if index % 4:  # the realtime trainers
            continue
        expires = now + timedelta(hours=rng.randint(-30, 7 * 24))
        yield {
            "id": f"w{index:031d}",
            "trainer_id": trainer_id,
            "calendar_id": "primary",
            "channel_id": f"channel-{index}",
            "resource_id": f"resource-{index}",
            "token_encrypted": "not-a-real-token",
            "expires_at": expires,
            "last_notified_at": now - timedelta(hours=rng.randint(0, 20)),
            "created_at": expires - timedelta(days=7),
        }


# --- Measuring ----------------------------------------------------------------------------------


def _median_seconds(call: Callable[[], object], rounds: int) -> float:
    call()  # the first call warms the connection pool and SQLAlchemy's statement cache
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def service_timings(world: World, plan: Plan) -> dict[str, float]:
    from db.engine import get_engine
    from integrations import accounts, alerts, health
    from integrations.health import ErrorLogFilter

    engine = get_engine(world.url)
    with Session(engine) as session:
        manager = accounts.resolve_login(MANAGER_EMAIL, session=session)
    assert manager is not None
    zone = "Asia/Jerusalem"
    week = ErrorLogFilter(since=world.now - timedelta(days=7))

    def with_session(call: Callable[[Session], object]) -> Callable[[], object]:
        def run() -> object:
            with Session(engine) as session:
                return call(session)

        return run

    calls: dict[str, Callable[[Session], object]] = {
        "checkIntegrationHealth(google_calendar)": lambda s: health.check_integration_health(
            manager, "google_calendar", session=s
        ),
        "tiles (4 integrations)": lambda s: health.integration_tiles(manager, session=s),
        "runs, requests, p50/p95 — 24 h by hour": lambda s: health.run_series(
            manager, "24h", session=s, zone=zone
        ),
        "runs, requests, p50/p95 — 7 days by day": lambda s: health.run_series(
            manager, "7d", session=s, zone=zone
        ),
        "runs, requests, p50/p95 — 30 days by day": lambda s: health.run_series(
            manager, "30d", session=s, zone=zone
        ),
        "errors by kind — 30 days": lambda s: health.errors_by_kind(
            manager, "30d", session=s, zone=zone
        ),
        "channels expiring ahead": lambda s: health.channel_outlook(manager, session=s, zone=zone),
        "time since last good sync, per trainer": lambda s: health.trainer_freshness(
            manager, session=s
        ),
        "open alerts": lambda s: health.open_alerts(manager, session=s),
        "error log, first page (7 days)": lambda s: health.error_log(manager, week, session=s),
        "error log, last page (7 days)": lambda s: health.error_log(
            manager, week, session=s, page=10_000
        ),
        "error log, text filter (all time)": lambda s: health.error_log(
            manager, ErrorLogFilter(text="quota"), session=s
        ),
        "error log, one trainer (all time)": lambda s: health.error_log(
            manager, ErrorLogFilter(trainer_id=world.trainer_ids[7]), session=s
        ),
        "drill-down: a run and its lines": lambda s: health.run_detail(
            manager, world.failed_run_id, session=s
        ),
        "CSV export (7 days)": lambda s: health.export_error_log_csv(
            manager, week, session=s, zone=zone
        ),
    }

    def first_load(session: Session) -> None:
        """What the page asks on its first run (default period 24 h, error log page 1)."""
        health.integration_tiles(manager, session=session)
        health.open_alerts(manager, session=session)
        health.run_series(manager, "24h", session=session, zone=zone)
        health.errors_by_kind(manager, "24h", session=session, zone=zone)
        health.channel_outlook(manager, session=session, zone=zone)
        health.trainer_freshness(manager, session=session)
        health.trainer_choices(manager, session=session)
        health.error_log(manager, week, session=session)

    timings = {
        name: _median_seconds(with_session(call), plan.rounds) for name, call in calls.items()
    }
    timings["all of the page's first-load calls"] = _median_seconds(
        with_session(first_load), plan.rounds
    )

    def tick() -> None:
        with Session(engine) as session:
            alerts.check_alerts(session, world.now)

    timings["alert engine tick (every rule, every trainer)"] = _median_seconds(tick, plan.rounds)
    return timings


def page_timings(world: World, plan: Plan) -> tuple[float, float]:
    """An AppTest run of the page as the manager opens it (app.py, then the health page):
    median seconds with the page's cache empty, and within the cache's lifetime."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from integrations.config import reset_settings_cache

    os.environ["DATABASE_URL"] = world.url
    reset_settings_cache()
    app = str(ROOT / "app.py")

    def opened() -> AppTest:
        at = AppTest.from_file(app, default_timeout=120)
        at.user = {"is_logged_in": True, "email": MANAGER_EMAIL, "name": "manager"}
        at.session_state["shell_lang"] = "he"
        at.session_state["shell_locale_loaded"] = True
        at.run()
        return at

    cold, warm = [], []
    for _ in range(plan.page_rounds + 1):
        st.cache_data.clear()
        at = opened()
        started = time.perf_counter()
        at.switch_page("pages/health.py").run()
        cold.append(time.perf_counter() - started)
        if at.exception:
            raise RuntimeError(f"the health page failed: {at.exception}")
        charts = len(at.get("plotly_chart"))
        if charts != 6:
            raise RuntimeError(f"the health page drew {charts} charts, not 6")
        again = opened()
        started = time.perf_counter()
        again.switch_page("pages/health.py").run()
        warm.append(time.perf_counter() - started)
    os.environ.pop("DATABASE_URL", None)
    reset_settings_cache()
    # The first round pays for imports (plotly, pandas): leave it out, as a running server does.
    return statistics.median(cold[1:]), statistics.median(warm[1:])


# --- The report -----------------------------------------------------------------------------------


def _cell(seconds: float) -> str:
    mark = "" if seconds < GOAL_SECONDS else " ⚠️"
    return f"{seconds * 1000:,.0f} ms{mark}"


def measure(plan: Plan) -> list[Table]:
    # The alert engine's first tick raises dozens of incidents, each logged: not what is timed.
    logging.disable(logging.WARNING)
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="newym-bench-"))
    now = datetime.now(UTC)
    services: dict[str, dict[str, float]] = {}
    pages: dict[str, tuple[float, float]] = {}
    seeding: dict[str, World] = {}
    with scratch_stores() as stores:
        for label, url in stores.urls.items():
            progress(f"{label}: seeding {plan.trainers} trainers, {plan.events:,} events, "
                     f"{plan.sync_runs:,} sync runs")  # fmt: skip
            world = seed(url, plan, now)
            seeding[label] = world
            progress(f"{label}: seeded in {world.seed_seconds:.0f} s; timing service calls")
            services[label] = service_timings(world, plan)
            progress(f"{label}: timing AppTest runs of the page")
            pages[label] = page_timings(world, plan)
        note = stores.note
    logging.disable(logging.NOTSET)
    labels = list(services)
    sizes = next(iter(seeding.values())).counts
    service_table = Table(
        f"{TITLE_PREFIX}: service calls, median of {plan.rounds}",
        ["call", *labels],
        [
            [name, *(_cell(services[label][name]) for label in labels)]
            for name in next(iter(services.values()))
        ],
        [
            f"Store: {sizes['trainers']} trainers, {sizes['events']:,} events, "
            f"{sizes['sync_runs']:,} sync runs over {plan.history.days} days, "
            f"{sizes['integration_logs']:,} log lines, {sizes['webhook_channels']} push "
            "channels, bulk-inserted (executemany in chunks of "
            f"{CHUNK:,}): "
            + ", ".join(f"{label} {w.seed_seconds:.0f} s" for label, w in seeding.items())
            + ". Goal: under one second each (⚠️ marks a miss).",
            "Percentiles: `percentile_cont` on PostgreSQL; on SQLite, window functions "
            "(ROW_NUMBER and COUNT per bucket) and the same interpolation, in SQL.",
            *([note] if note else []),
        ],
    )
    page_table = Table(
        f"{TITLE_PREFIX}: AppTest run (app.py, then the page), median of {plan.page_rounds}",
        ["run", *labels],
        [
            ["cache empty", *(_cell(pages[label][0]) for label in labels)],
            ["within the cache's 15 s", *(_cell(pages[label][1]) for label in labels)],
        ],
        [
            "The run after `switch_page`: the shell (login, unread count) and the whole page, "
            "six plotly charts and the error log included; the first round (imports) is left "
            "out. Goal: under one second."
        ],
    )
    return [service_table, page_table]


def append_to_report(output: Path | None, *, quick: bool) -> None:
    """Measure, print the tables, and put them in `output` in place of any earlier ones."""
    tables = measure(QUICK if quick else FULL)
    lines = [line for table in tables for line in table.markdown()]
    print("\n".join(lines))
    if output is None:
        return
    kept = _without_health_sections(output.read_text(encoding="utf-8")) if output.exists() else ""
    output.write_text(kept.rstrip("\n") + "\n\n" + "\n".join(lines), encoding="utf-8")


def _without_health_sections(report: str) -> str:
    head, *sections = report.split("\n## ")
    kept = [s for s in sections if not s.startswith(TITLE_PREFIX)]
    return "\n## ".join([head, *kept])


def main(argv: list[str] | None = None) -> None:
    """Like `python -m bench`: `--quick` only prints unless `--output` names a file; a full run
    writes docs/PERFORMANCE.md. Other options (of `python -m bench`) are left alone."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller store, fewer rounds")
    parser.add_argument("--output", type=Path, help="the report to add the tables to")
    args, _ = parser.parse_known_args(argv)
    output = args.output or (None if args.quick else ROOT / "docs" / "PERFORMANCE.md")
    append_to_report(output, quick=args.quick)


if __name__ == "__main__":
    main()
