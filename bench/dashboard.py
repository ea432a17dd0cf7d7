"""The dashboard's busiest pages at scale (issue 4, "Speed"): 200 trainers, 200,000 events and
100,000 sync runs (with their log lines) bulk-inserted into each store, then the service calls of
the Health, Events and Trainers pages and AppTest runs of those pages timed, median over repeated
rounds; the goal is under a second for each.

`python -m bench` runs this after the other benchmarks and appends its tables to the report;
`python -m bench.dashboard [--quick] [--output FILE]` runs it alone.
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
from datetime import time as clock
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from bench.report import Table
from bench.stores import scratch_stores

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
TITLE_PREFIX = "Dashboard pages"
#: Sections of earlier reports that this bench's tables replace.
REPLACES = (TITLE_PREFIX, "Health page")
GOAL_SECONDS = 1.0
MANAGER_EMAIL = "manager@bench.newym.test"
CHUNK = 5_000
#: The trainer who opens their own Events page, and the one the manager picks there: both
#: connected, in Asia/Jerusalem, with the same share of the events as everyone else.
OWN_TRAINER = 7
PICKED_TRAINER = 12


@dataclass(frozen=True)
class Plan:
    trainers: int = 200
    events: int = 200_000
    sync_runs: int = 100_000
    clients_per_trainer: int = 40
    #: How far back the runs go.
    history: timedelta = timedelta(days=60)
    #: Each trainer's sessions: ten months back (done) to two months ahead (booked).
    events_back: timedelta = timedelta(days=300)
    events_ahead: timedelta = timedelta(days=60)
    rounds: int = 7
    page_rounds: int = 5


FULL = Plan()
QUICK = Plan(trainers=50, events=20_000, sync_runs=10_000, rounds=3, page_rounds=2)


def progress(message: str) -> None:
    print(f"[bench dashboard] {message}", file=sys.stderr, flush=True)


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

    def trainer_email(self, index: int) -> str:
        return f"trainer{index:03d}@bench.newym.test"


@dataclass(frozen=True)
class SeededTrainer:
    """What the event generator needs to know of a trainer."""

    index: int
    id: str
    zone: str
    status: str
    client_ids: list[str]


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
    statuses = ["connected"] * 17 + ["needs_reauth", "disconnected", "connected"]
    with engine.begin() as connection:
        trainers: list[dict[str, Any]] = [
            {
                "id": f"t{index:031d}",
                "name": f"מאמן {index:03d}" if index % 2 else f"Trainer {index:03d}",
                "email": world.trainer_email(index),
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
        clients = [
            {
                "id": f"p{t_index:07d}{index:024d}",
                "trainer_id": trainer_id,
                "name": f"מתאמן {index:02d}" if index % 3 else f"Client {index:02d}",
                "phone": f"+97250{t_index:03d}{index:04d}",
                "created_at": now - timedelta(days=rng.randint(30, 400)),
            }
            for t_index, trainer_id in enumerate(world.trainer_ids)
            for index in range(plan.clients_per_trainer)
        ]
        world.counts["clients"] = _insert(connection, "clients", iter(clients))
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
                    "calendars": [
                        {"id": "primary", "summary": f"trainer{index:03d}@gmail.test"},
                        {"id": FAMILY_CALENDAR, "summary": "משפחה"},
                    ],
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
                    "import_calendar_ids": ["primary", FAMILY_CALENDAR],
                    "updated_at": now - timedelta(days=90),
                }
                for index, trainer_id in enumerate(world.trainer_ids)
            ),
        )
        seeded = [
            SeededTrainer(
                index=index,
                id=t["id"],
                zone=t["timezone"],
                status=statuses[index % len(statuses)],
                client_ids=[f"p{index:07d}{n:024d}" for n in range(plan.clients_per_trainer)],
            )
            for index, t in enumerate(trainers)
        ]
        events = list(_events(seeded, plan, now, rng))
        world.counts["events"] = _insert(connection, "calendar_events", iter(events))
        runs = list(_runs(world.trainer_ids, plan, now, rng))
        world.counts["sync_runs"] = _insert(connection, "sync_runs", iter(runs))
        world.failed_run_id = next(r["id"] for r in reversed(runs) if r["outcome"] == "failed")
        world.counts["integration_logs"] = _insert(connection, "integration_logs", _logs(runs, rng))
        world.counts["webhook_channels"] = _insert(
            connection, "webhook_channels", _channels(world.trainer_ids, now, rng)
        )
        world.counts["sync_conflicts"] = _insert(
            connection, "sync_conflicts", _conflicts(events, now, rng)
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


FAMILY_CALENDAR = "family0123456789@group.calendar.google.com"
SESSION_TITLES = ["אימון אישי", "אימון כוח", "Personal training", "TRX", "פילאטיס מכשירים"]
PRIVATE_TITLES = ["רופא שיניים", "ארוחת ערב משפחתית", "Swim", "איסוף מהגן", "Physio"]
HOLIDAYS = ["ראש השנה", "יום כיפור", "סוכות", "חנוכה", "פסח"]
#: Session starts in the trainer's zone: early mornings, noon and evenings, as trainers work.
HOURS = [6, 7, 7, 8, 9, 12, 17, 18, 18, 19, 20]


def _events(
    trainers: list[SeededTrainer], plan: Plan, now: datetime, rng: random.Random
) -> Iterator[dict[str, Any]]:
    """Each trainer's sessions as the product leaves them: mostly CRM sessions with a client,
    some private events from Google (two calendars), a few all-day ones; synced, pending, in
    error or never sent, and some deleted; times on the trainer's own clock."""
    per_trainer = plan.events // len(trainers)
    days_back, days_ahead = plan.events_back.days, plan.events_ahead.days
    for trainer in trainers:
        zone = ZoneInfo(trainer.zone)
        today = now.astimezone(zone).date()
        connected = trainer.status == "connected"
        for index in range(per_trainer):
            event_id = f"e{trainer.index:07d}{index:024d}"
            day = today + timedelta(days=rng.randint(-days_back, days_ahead))
            if day.weekday() == 5 and rng.random() < 0.8:  # Saturdays are mostly off
                day -= timedelta(days=1)
            past = day < today
            roll = rng.random()
            all_day = roll < 0.01
            origin = "google" if roll < 0.3 else "crm"
            if all_day:
                start = datetime.combine(day, clock(0), zone)
                end = start + timedelta(days=1)
            else:
                at = clock(rng.choice(HOURS), rng.choice([0, 0, 30]))
                start = datetime.combine(day, at, zone)
                end = start + timedelta(minutes=rng.choice([45, 60, 60, 60, 90]))
            if origin == "crm":
                title = rng.choice(SESSION_TITLES)
                client_id = rng.choice(trainer.client_ids) if rng.random() < 0.9 else None
                calendar_id: str | None = "primary"
                state = _crm_state(rng, connected=connected, past=past)
                if state == "local_only":
                    calendar_id = None
            else:
                title = rng.choice(HOLIDAYS if all_day else PRIVATE_TITLES)
                client_id = None
                calendar_id = FAMILY_CALENDAR if rng.random() < 0.3 else "primary"
                state = "synced"
            deleted = rng.random() < 0.03
            created = min(now, start) - timedelta(days=rng.randint(1, 30))
            updated = min(now, created + timedelta(days=rng.randint(0, 10)))
            yield {
                "id": event_id,
                "trainer_id": trainer.id,
                "client_id": client_id,
                "title": title,
                "description": "להביא מגבת" if rng.random() < 0.1 else None,
                "location": "סטודיו, רחוב הרצל 12" if origin == "crm" else None,
                "start_at": start.astimezone(UTC),
                "end_at": end.astimezone(UTC),
                "all_day": all_day,
                "timezone": trainer.zone,
                "origin": origin,
                "sync_state": state,
                "google_calendar_id": calendar_id,
                "google_event_id": None if calendar_id is None else f"g{event_id}",
                "google_etag": None if calendar_id is None else f'"{rng.getrandbits(40)}"',
                "google_updated_at": None if calendar_id is None else updated,
                "status": "cancelled" if deleted else "confirmed",
                "created_at": created,
                "updated_at": updated,
                "deleted_at": updated if deleted else None,
            }


def _crm_state(rng: random.Random, *, connected: bool, past: bool) -> str:
    if not connected:
        return "local_only" if rng.random() < 0.5 else "pending"
    roll = rng.random()
    if roll < 0.04:
        return "local_only"  # booked before the trainer connected Google, never sent since
    if roll < 0.05:
        return "error"
    if not past and roll < 0.12:
        return "pending"  # booked or changed since the last sync
    return "synced"


def _conflicts(
    events: list[dict[str, Any]], now: datetime, rng: random.Random
) -> Iterator[dict[str, Any]]:
    """About one CRM session in 200 that was synced was changed on both sides: most conflicts
    still wait for the trainer (decided by the rule), some were settled by them."""
    for event in events:
        if event["origin"] != "crm" or event["sync_state"] != "synced" or event["deleted_at"]:
            continue
        if rng.random() >= 0.005:
            continue
        start, end = event["start_at"], event["end_at"]
        moved = timedelta(hours=rng.choice([-2, -1, 1, 2]))
        settled = rng.random() < 0.3
        detected = min(now, event["updated_at"] + timedelta(hours=1))
        yield {
            "id": f"x{event['id'][1:]}",
            "trainer_id": event["trainer_id"],
            "event_id": event["id"],
            "sync_run_id": None,
            "detected_at": detected,
            "local_version": {
                "summary": event["title"],
                "start": start.isoformat(),
                "end": end.isoformat(),
                "location": event["location"],
                "description": None,
                "updated": event["updated_at"].isoformat(),
                "deleted": False,
            },
            "google_version": {
                "summary": event["title"] + " (שונה)",
                "start": {"dateTime": (start + moved).isoformat(), "timeZone": "UTC"},
                "end": {"dateTime": (end + moved).isoformat(), "timeZone": "UTC"},
                "location": event["location"],
                "description": None,
                "updated": (event["updated_at"] - timedelta(minutes=5)).isoformat(),
                "status": "confirmed",
            },
            "winner": rng.choice(["local", "google"]),
            "resolved_by": "trainer" if settled else "rule",
            "resolved_at": detected + timedelta(hours=3) if settled else None,
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


# --- Measuring: service calls ----------------------------------------------------------------


def _median_seconds(call: Callable[[], object], rounds: int) -> float:
    call()  # the first call warms the connection pool and SQLAlchemy's statement cache
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _with_session(engine: sa.Engine, call: Callable[[Session], object]) -> Callable[[], object]:
    def run() -> object:
        with Session(engine) as session:
            return call(session)

    return run


def health_service_timings(world: World, plan: Plan) -> dict[str, float]:
    from db.engine import get_engine
    from integrations.crm import accounts
    from integrations.monitoring import alerts, health
    from integrations.monitoring.health import ErrorLogFilter

    engine = get_engine(world.url)
    with Session(engine) as session:
        manager = accounts.resolve_login(MANAGER_EMAIL, session=session)
    assert manager is not None
    zone = "Asia/Jerusalem"
    week = ErrorLogFilter(since=world.now - timedelta(days=7))

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
        name: _median_seconds(_with_session(engine, call), plan.rounds)
        for name, call in calls.items()
    }
    timings["all of the page's first-load calls"] = _median_seconds(
        _with_session(engine, first_load), plan.rounds
    )

    def tick() -> None:
        with Session(engine) as session:
            alerts.check_alerts(session, world.now)

    timings["alert engine tick (every rule, every trainer)"] = _median_seconds(tick, plan.rounds)
    return timings


def events_service_timings(world: World, plan: Plan) -> dict[str, float]:
    """The Events page's reads of one trainer's schedule, as that trainer asks for them, and the
    trainers' overview, as the Trainers page (every trainer) and a trainer's home (one) ask."""
    from db.engine import get_engine
    from db.models import SyncState
    from integrations.crm import accounts, schedule, trainers
    from integrations.crm.schedule import ScheduleFilter

    engine = get_engine(world.url)
    with Session(engine) as session:
        manager = accounts.resolve_login(MANAGER_EMAIL, session=session)
        trainer = accounts.resolve_login(world.trainer_email(OWN_TRAINER), session=session)
    assert manager is not None and trainer is not None and trainer.trainer_id is not None
    trainer_id = trainer.trainer_id
    zone = "Asia/Jerusalem"
    today = schedule.today_in(zone, world.now)
    week = schedule.day_span(*schedule.week_containing(today), zone)
    month = schedule.day_span(*schedule.month_containing(today), zone)
    quarter_first = today.replace(day=1)
    quarter = schedule.day_span(
        quarter_first, quarter_first + schedule.LONGEST_RANGE - timedelta(days=1), zone
    )
    client_id = f"p{OWN_TRAINER:07d}{3:024d}"
    booking = datetime.combine(today + timedelta(days=1), clock(18), ZoneInfo(zone))

    def read(
        span: tuple[datetime, datetime], filters: ScheduleFilter | None = None
    ) -> Callable[[Session], object]:
        return lambda s: schedule.read_schedule(
            trainer, trainer_id, *span, session=s, filters=filters
        )

    def first_load(session: Session) -> None:
        """What the Events page asks when a trainer opens it: this week, no filter."""
        schedule.trainer_choices(trainer, session=session)
        schedule.calendar_choices(trainer, trainer_id, session=session)
        trainers.list_clients(trainer, trainer_id, session=session)
        schedule.read_schedule(trainer, trainer_id, *week, session=session)

    calls: dict[str, Callable[[Session], object]] = {
        "Events: trainers to choose from (a trainer: themselves)": lambda s: (
            schedule.trainer_choices(trainer, session=s)
        ),
        "Events: trainers to choose from (manager: every trainer)": lambda s: (
            schedule.trainer_choices(manager, session=s)
        ),
        "Events: the trainer's calendars": lambda s: schedule.calendar_choices(
            trainer, trainer_id, session=s
        ),
        "Events: the trainer's clients": lambda s: trainers.list_clients(
            trainer, trainer_id, session=s
        ),
        "Events: schedule of this week": read(week),
        "Events: schedule of this month": read(month),
        "Events: schedule of three months (the longest range)": read(quarter),
        "Events: this month, one client's pending sessions": read(
            month, ScheduleFilter(client_id=client_id, sync_state=SyncState.PENDING)
        ),
        "Events: overlaps of a new booking": lambda s: schedule.find_overlaps(
            trainer, trainer_id, booking, booking + timedelta(hours=1), session=s
        ),
        "Events: all of the page's first-load calls (a trainer's week)": first_load,
        "Trainers: overview of every trainer (manager)": lambda s: trainers.list_trainer_overviews(
            manager, session=s
        ),
        "Trainers: a trainer's own overview (their home page)": lambda s: (
            trainers.list_trainer_overviews(trainer, session=s)
        ),
    }

    return {
        name: _median_seconds(_with_session(engine, call), plan.rounds)
        for name, call in calls.items()
    }


# --- Measuring: AppTest runs of the pages ----------------------------------------------------


class Runnable(Protocol):
    """An AppTest step not yet run: the app after `switch_page`, or a widget after `select`."""

    def run(self) -> AppTest: ...


@dataclass(frozen=True)
class PageRun:
    """One way a person opens a page: as whom, which page, what they then do (the timed run is
    the page's run after `switch_page`, or after `then` when given), and what must be on it."""

    label: str
    email: str
    page: str
    check: Callable[[AppTest], None]
    then: Callable[[AppTest], Runnable] | None = None
    #: The page's cache lifetime, for the second row; "" when the page caches nothing.
    cached_for: str = ""


def _frames(at: AppTest) -> list[Any]:
    return [frame.value for frame in at.dataframe]


def page_runs(world: World) -> list[PageRun]:
    picked_id = world.trainer_ids[PICKED_TRAINER]
    trainers = len(world.trainer_ids)

    def health_drawn(at: AppTest) -> None:
        charts = len(at.get("plotly_chart"))
        if charts != 6:
            raise RuntimeError(f"the health page drew {charts} charts, not 6")

    def sessions_shown(at: AppTest) -> None:
        """The events page's table (this week) or the home page's (the coming week)."""
        frames = _frames(at)
        if not frames or len(frames[0]) == 0:
            raise RuntimeError("the page showed no sessions")

    def picked_shown(at: AppTest) -> None:
        if at.selectbox(key="events_trainer").value != picked_id:
            raise RuntimeError("the events page did not switch to the picked trainer")
        sessions_shown(at)

    def every_trainer(at: AppTest) -> None:
        frames = _frames(at)
        if not frames or len(frames[0]) != trainers:
            raise RuntimeError(f"the trainers page did not list all {trainers} trainers")

    return [
        PageRun(
            "Health, manager",
            MANAGER_EMAIL,
            "pages/health.py",
            check=health_drawn,
            cached_for="15 s",
        ),
        PageRun(
            "Events, trainer: own week",
            world.trainer_email(OWN_TRAINER),
            "pages/events.py",
            check=sessions_shown,
            cached_for="60 s",
        ),
        PageRun(
            "Events, manager: picks a trainer",
            MANAGER_EMAIL,
            "pages/events.py",
            check=picked_shown,
            then=lambda at: at.selectbox(key="events_trainer").select(picked_id),
            cached_for="60 s",
        ),
        PageRun("Trainers, manager", MANAGER_EMAIL, "pages/trainers.py", check=every_trainer),
        PageRun(
            "My integrations (a trainer's home), trainer",
            world.trainer_email(OWN_TRAINER),
            "pages/my_integrations.py",
            check=sessions_shown,
        ),
    ]


def page_timings(world: World, plan: Plan) -> dict[str, tuple[float, float | None]]:
    """AppTest runs of each page as its person opens it (app.py, then the page): median seconds
    with the page's cache empty, and within the cache's lifetime (None for a page without one).
    Pages take turns round by round, so that a noisy machine slows them alike."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from integrations.config import reset_settings_cache

    os.environ["DATABASE_URL"] = world.url
    reset_settings_cache()
    app = str(ROOT / "app.py")

    def timed(run: PageRun) -> float:
        at = AppTest.from_file(app, default_timeout=120)
        at.user = {
            "is_logged_in": True,
            "email": run.email,
            "name": run.email.split("@")[0],
            # What the login gate requires of the provider's ID token.
            "email_verified": True,
            "iss": "https://bench.invalid",
            "sub": f"bench-{run.email}",
        }
        at.session_state["shell_lang"] = "he"
        at.session_state["shell_locale_loaded"] = True
        at.run()
        step: Runnable = at.switch_page(run.page)
        if run.then is not None:
            step.run()
            step = run.then(at)
        started = time.perf_counter()
        step.run()
        seconds = time.perf_counter() - started
        if at.exception:
            raise RuntimeError(f"{run.label}: the page failed: {at.exception}")
        run.check(at)
        return seconds

    runs = page_runs(world)
    cold: dict[str, list[float]] = {run.label: [] for run in runs}
    warm: dict[str, list[float]] = {run.label: [] for run in runs}
    for _ in range(plan.page_rounds + 1):
        for run in runs:
            st.cache_data.clear()
            cold[run.label].append(timed(run))
            if run.cached_for:
                warm[run.label].append(timed(run))
    os.environ.pop("DATABASE_URL", None)
    reset_settings_cache()
    # The first round pays for imports (plotly, pandas): leave it out, as a running server does.
    return {
        run.label: (
            statistics.median(cold[run.label][1:]),
            statistics.median(warm[run.label][1:]) if run.cached_for else None,
        )
        for run in runs
    }


def compile_timings(scripts: list[str], rounds: int) -> dict[str, float]:
    """What compiling each script costs, as Streamlit compiles it (with its "magic" AST pass):
    AppTest builds a new script cache for every run and so pays it every time, where a server
    compiles each script once per process."""
    from streamlit.runtime.scriptrunner.magic import add_magic

    def compiled(path: str) -> Callable[[], object]:
        source = (ROOT / path).read_text(encoding="utf-8")
        return lambda: compile(add_magic(source, path), path, "exec")

    return {path: _median_seconds(compiled(path), rounds) for path in scripts}


# --- The report -----------------------------------------------------------------------------------


def _cell(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    mark = "" if seconds < GOAL_SECONDS else " ⚠️"
    return f"{seconds * 1000:,.0f} ms{mark}"


@dataclass
class Measured:
    """Everything one run measured, per store label."""

    seeding: dict[str, World] = field(default_factory=dict)
    health_calls: dict[str, dict[str, float]] = field(default_factory=dict)
    events_calls: dict[str, dict[str, float]] = field(default_factory=dict)
    pages: dict[str, dict[str, tuple[float, float | None]]] = field(default_factory=dict)
    #: Why a store is missing, if one is.
    note: str = ""
    #: The 1-minute load average at the start and at the end: other work slows every figure.
    load: tuple[float, float] = (0.0, 0.0)
    #: Seconds to compile each script as Streamlit does (magic included), part of every run.
    compile_seconds: dict[str, float] = field(default_factory=dict)


def measure(plan: Plan) -> list[Table]:
    # The alert engine's first tick raises dozens of incidents, each logged: not what is timed.
    logging.disable(logging.WARNING)
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="newym-bench-"))
    now = datetime.now(UTC)
    measured = Measured()
    load_before = os.getloadavg()[0]
    with scratch_stores() as stores:
        for label, url in stores.urls.items():
            progress(f"{label}: seeding {plan.trainers} trainers, {plan.events:,} events, "
                     f"{plan.sync_runs:,} sync runs")  # fmt: skip
            world = seed(url, plan, now)
            measured.seeding[label] = world
            progress(f"{label}: seeded in {world.seed_seconds:.0f} s; timing service calls")
            measured.health_calls[label] = health_service_timings(world, plan)
            measured.events_calls[label] = events_service_timings(world, plan)
            progress(f"{label}: timing AppTest runs of the pages")
            measured.pages[label] = page_timings(world, plan)
        measured.note = stores.note
    any_world = next(iter(measured.seeding.values()))
    pages = dict.fromkeys(run.page for run in page_runs(any_world))
    measured.compile_seconds = compile_timings(["app.py", *pages], plan.rounds)
    measured.load = (load_before, os.getloadavg()[0])
    logging.disable(logging.NOTSET)
    return tables(plan, measured)


def _service_table(title: str, timings: dict[str, dict[str, float]], notes: list[str]) -> Table:
    labels = list(timings)
    return Table(
        title,
        ["call", *labels],
        [
            [name, *(_cell(timings[label][name]) for label in labels)]
            for name in next(iter(timings.values()))
        ],
        notes,
    )


def tables(plan: Plan, measured: Measured) -> list[Table]:
    seeding, pages, note = measured.seeding, measured.pages, measured.note
    labels = list(pages)
    sizes = next(iter(seeding.values())).counts
    store = (
        f"Store: {sizes['trainers']} trainers with {sizes['clients']:,} clients, "
        f"{sizes['events']:,} events, {sizes['sync_runs']:,} sync runs over "
        f"{plan.history.days} days, {sizes['integration_logs']:,} log lines, "
        f"{sizes['webhook_channels']} push channels, {sizes['sync_conflicts']:,} sync conflicts, "
        f"bulk-inserted (executemany in chunks of {CHUNK:,}): "
        + ", ".join(f"{label} {w.seed_seconds:.0f} s" for label, w in seeding.items())
        + ". Goal: under one second each (⚠️ marks a miss)."
    )
    events = (
        f"Each trainer has {plan.events // plan.trainers:,} events from "
        f"{plan.events_back.days} days back to {plan.events_ahead.days} days ahead, on their own "
        "clock (6:00–20:30, Saturdays mostly off): 70 % CRM sessions (nine in ten with a "
        "client; synced, pending, in error or never sent), 30 % private events from two Google "
        "calendars, 1 % all-day, 3 % deleted; one synced session in 200 had a conflict. The "
        f"trainer is trainer {OWN_TRAINER:03d} (connected, Asia/Jerusalem), as they see it."
    )
    page_rows: list[list[str]] = []
    for run in page_runs(next(iter(seeding.values()))):
        first = "cache empty" if run.cached_for else "no cache"
        page_rows.append(
            [f"{run.label} — {first}", *(_cell(pages[label][run.label][0]) for label in labels)]
        )
        if run.cached_for:
            page_rows.append(
                [
                    f"{run.label} — within the cache's {run.cached_for}",
                    *(_cell(pages[label][run.label][1]) for label in labels),
                ]
            )
    return [
        _service_table(
            f"{TITLE_PREFIX}: Health page's service calls, median of {plan.rounds}",
            measured.health_calls,
            [
                store,
                "Percentiles: `percentile_cont` on PostgreSQL; on SQLite, window functions "
                "(ROW_NUMBER and COUNT per bucket) and the same interpolation, in SQL.",
                *([note] if note else []),
            ],
        ),
        _service_table(
            f"{TITLE_PREFIX}: Events and Trainers pages' service calls, median of {plan.rounds}",
            measured.events_calls,
            [events],
        ),
        Table(
            f"{TITLE_PREFIX}: AppTest runs (app.py, then the page), median of {plan.page_rounds}",
            ["page, person — run", *labels],
            page_rows,
            [
                "The timed run is the one after `switch_page` (for the manager on Events, the "
                f"one after picking trainer {PICKED_TRAINER:03d} in the trainer box): the shell "
                "(login, unread count) and the whole page, charts, calendar grid and tables "
                "included. *Cache empty*: `st.cache_data` cleared before the person logs in; "
                "*within the cache*: the same again in a new session, the page's cached reads "
                "still fresh. The Trainers page and a trainer's home page (what app.py shows a "
                "trainer first: the same overview as the Trainers page, for one trainer) cache "
                "nothing. Pages take turns round by round; the first round (imports) is left "
                "out. Goal: under one second.",
                "Each figure includes compiling app.py and the page, as AppTest builds a new "
                "script cache for every run (a server compiles each script once per process): "
                + ", ".join(
                    f"`{path}` {seconds * 1000:.0f} ms"
                    for path, seconds in measured.compile_seconds.items()
                )
                + f" (median of {plan.rounds}).",
                f"Load average (1 min) while this bench ran: {measured.load[0]:.1f} at the start, "
                f"{measured.load[1]:.1f} at the end, on {os.cpu_count()} cores"
                + (
                    " (other work was competing for the CPU)."
                    if max(measured.load) > (os.cpu_count() or 1)
                    else "."
                ),
            ],
        ),
    ]


def append_to_report(output: Path | None, *, quick: bool) -> None:
    """Measure, print the tables, and put them in `output` in place of any earlier ones."""
    measured = measure(QUICK if quick else FULL)
    lines = [line for table in measured for line in table.markdown()]
    print("\n".join(lines))
    if output is None:
        return
    kept = _without_own_sections(output.read_text(encoding="utf-8")) if output.exists() else ""
    output.write_text(kept.rstrip("\n") + "\n\n" + "\n".join(lines), encoding="utf-8")


def _without_own_sections(report: str) -> str:
    head, *sections = report.split("\n## ")
    kept = [s for s in sections if not s.startswith(REPLACES)]
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
