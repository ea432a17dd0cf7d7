"""Integration health as managers see it: the specification's `checkIntegrationHealth`, and what
the health page draws (tiles, runs over time, errors, durations, Google requests, push channels,
time since each trainer's last good sync) and lists (the error log, a run with its log lines).

Every figure is aggregated by the store: a page never loads whole tables. Times are bucketed by
the hour or by the local day of `zone` (bucket edges are computed here, then one CASE expression
puts each row in its bucket, the same SQL on SQLite and PostgreSQL). Sync-duration percentiles use
`percentile_cont` on PostgreSQL; SQLite has no such function, so there they are computed by window
functions (ROW_NUMBER and COUNT per bucket, then the same linear interpolation), still in SQL:
only two rows per bucket and percentile leave the store.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from db.models import (
    AlertIncident,
    ConnectionStatus,
    GoogleCalendarSyncSettings,
    Integration,
    IntegrationCredential,
    IntegrationLog,
    LogLevel,
    RunOutcome,
    SyncFrequency,
    SyncRun,
    Trainer,
    UTCDateTime,
    WebhookChannel,
    utcnow,
)
from integrations.core import registry
from integrations.core.access import Actor, Capability
from integrations.core.errors import InvalidInput, NotFound
from integrations.core.integration import IntegrationHealth, IntegrationTile, Status

# The tile's types were defined here before issue 9; pages and tests still find them here.
__all__ = ["IntegrationHealth", "IntegrationTile", "Status"]

#: `errorCount` counts the error log's errors of this long.
ERROR_COUNT_PERIOD = timedelta(hours=24)
#: Push channels expiring within this are shown ahead.
CHANNEL_LOOKAHEAD = timedelta(days=7)
#: The error log's page size, and the most rows one CSV export carries.
ERROR_LOG_PAGE_SIZE = 50
EXPORT_LIMIT = 20_000
#: Log lines shown with one run.
RUN_LOG_LIMIT = 500
PERCENTILES = (0.5, 0.95)
GOOD = RunOutcome.SUCCESS
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def as_utc(value: Any) -> datetime | None:
    """Times from unions, subqueries and aggregates lose the UTC type on some dialects."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back text for untyped expressions
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
    return value.astimezone(UTC)  # type: ignore[no-any-return]


# --- checkIntegrationHealth and the tiles ----------------------------------------------------


def trainer_streaks(*, detail: bool = False) -> sa.Subquery:
    """Per trainer, one statement for all: failed Google runs since the last finished run that
    was not a failure, when the last good sync finished, and when the last run started; with
    `detail`, also when the failing streak started.

    Each is an index seek on (trainer_id, outcome, started_at) or (trainer_id, started_at).
    """
    google = Integration.GOOGLE_CALENDAR
    runs = aliased(SyncRun)
    last_not_failed = sa.func.coalesce(
        sa.select(sa.func.max(col(runs.started_at)))
        .where(
            col(runs.trainer_id) == Trainer.id,
            col(runs.integration) == google,
            col(runs.outcome).in_([RunOutcome.SUCCESS, RunOutcome.PARTIAL]),
        )
        .correlate(Trainer)  # two levels down: auto-correlation reaches only one
        .scalar_subquery(),
        sa.literal(EPOCH, UTCDateTime),
    )

    def failed_since(value: Any) -> Any:
        failed = aliased(SyncRun)
        return (
            sa.select(value(failed))
            .where(
                col(failed.trainer_id) == Trainer.id,
                col(failed.integration) == google,
                col(failed.outcome) == RunOutcome.FAILED,
                col(failed.started_at) > last_not_failed,
            )
            .scalar_subquery()
        )

    good = aliased(SyncRun)
    last_good = (
        sa.select(col(good.finished_at))
        .where(
            col(good.trainer_id) == Trainer.id,
            col(good.integration) == google,
            col(good.outcome) == GOOD,
        )
        .order_by(col(good.started_at).desc())
        .limit(1)
        .scalar_subquery()
    )
    latest = aliased(SyncRun)
    last_run = (
        sa.select(col(latest.started_at))
        .where(col(latest.trainer_id) == Trainer.id, col(latest.integration) == google)
        .order_by(col(latest.started_at).desc())
        .limit(1)
        .scalar_subquery()
    )
    columns = [
        col(Trainer.id).label("trainer_id"),
        failed_since(lambda r: sa.func.count()).label("failures_in_a_row"),
        last_good.label("last_good_at"),
        last_run.label("last_run_at"),
    ]
    if detail:
        columns.append(
            failed_since(lambda r: sa.func.min(col(r.started_at))).label("streak_started_at")
        )
    return sa.select(*columns).subquery("streaks")


def _unconfigured_tile(name: str) -> IntegrationTile:
    return IntegrationTile(IntegrationHealth(name, Status.DISCONNECTED, None, 0, configured=False))


def check_integration_health(
    actor: Actor, integration_name: str, *, session: Session, now: datetime | None = None
) -> IntegrationHealth:
    """The specification's `checkIntegrationHealth(integrationName)`, for managers.

    status: `error` when any trainer's connection needs reconnecting or is in error, or any
    connected trainer's latest sync failed; `connected` when at least one trainer is connected;
    otherwise `disconnected` (also for integrations not built yet, with `configured=False`).
    lastSync: when the latest successful sync finished. errorCount: errors in the error log
    (log lines and failed runs) of the last `ERROR_COUNT_PERIOD`.
    """
    actor.require(Capability.VIEW_HEALTH)
    if integration_name not in known_integrations():
        known = ", ".join(known_integrations())
        raise InvalidInput(
            f"no integration '{integration_name}' (known: {known})", field="name"
        ) from None
    return _tile(integration_name, session, now or utcnow()).health


def known_integrations() -> list[str]:
    """The specification's integrations in its order, then any other registered one."""
    spec = [integration.value for integration in Integration]
    return spec + [i.name for i in registry.integrations() if i.name not in spec]


def _tile(name: str, session: Session, now: datetime) -> IntegrationTile:
    integration = registry.get(name)
    if integration is None:
        return _unconfigured_tile(name)
    return integration.health_tile(session, now)


def integration_tiles(
    actor: Actor, *, session: Session, now: datetime | None = None
) -> list[IntegrationTile]:
    """One tile per integration: the specification's in its order (those not built yet "not
    configured"), then any other registered integration."""
    actor.require(Capability.VIEW_HEALTH)
    now = now or utcnow()
    return [_tile(name, session, now) for name in known_integrations()]


# --- Time buckets ----------------------------------------------------------------------------


class Granularity(StrEnum):
    HOUR = "hour"
    DAY = "day"


@dataclass(frozen=True, slots=True)
class Window:
    key: str
    span: timedelta
    granularity: Granularity


WINDOWS = {
    window.key: window
    for window in (
        Window("24h", timedelta(hours=24), Granularity.HOUR),
        Window("48h", timedelta(hours=48), Granularity.HOUR),
        Window("7d", timedelta(days=7), Granularity.DAY),
        Window("30d", timedelta(days=30), Granularity.DAY),
    )
}
DEFAULT_WINDOW = "24h"


def bucket_edges(window: Window, now: datetime, zone: str) -> list[datetime]:
    """UTC instants where each bucket starts, oldest first; buckets are whole local hours or
    local days of `zone` (a day may last 23 or 25 hours when the clocks change)."""
    tz = ZoneInfo(zone)
    local_now = now.astimezone(tz)
    if window.granularity is Granularity.HOUR:
        first = (now - window.span + timedelta(hours=1)).astimezone(tz)
        start = first.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        count = round(window.span / timedelta(hours=1))
        return [start + timedelta(hours=i) for i in range(count)]
    days = window.span.days
    today = local_now.date()
    return [
        datetime.combine(today - timedelta(days=days - 1 - i), time(0), tzinfo=tz).astimezone(UTC)
        for i in range(days)
    ]


#: Grouped by the select's own label: PostgreSQL binds parameters server-side, so a CASE repeated
#: in GROUP BY would not be recognised as the same expression.
BUCKET: sa.ColumnClause[Any] = sa.literal_column("bucket")


def _bucket_of(column: Any, edges: Sequence[datetime], first: int = 0) -> Any:
    """The index of the bucket a time falls in (rows before the first edge are filtered out).

    A balanced tree of CASE expressions: about log2(buckets) comparisons a row instead of one
    per bucket, which is most of the cost of a 30-day chart on SQLite.
    """
    if len(edges) == 1:
        return sa.literal(first)
    middle = len(edges) // 2
    return sa.case(
        (column < edges[middle], _bucket_of(column, edges[:middle], first)),
        else_=_bucket_of(column, edges[middle:], first + middle),
    )


@dataclass(frozen=True, slots=True)
class RunBucket:
    """Sync runs started in one bucket, by outcome, with the Google requests they made."""

    start: datetime
    success: int = 0
    partial: int = 0
    failed: int = 0
    running: int = 0
    http_requests: int = 0
    rate_limited: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None


@dataclass(frozen=True, slots=True)
class RunSeries:
    window: str
    granularity: Granularity
    buckets: list[RunBucket]


def run_series(
    actor: Actor,
    window_key: str,
    *,
    session: Session,
    zone: str,
    now: datetime | None = None,
) -> RunSeries:
    """Runs over time by outcome, Google requests and rate-limit hits, and p50/p95 durations."""
    actor.require(Capability.VIEW_HEALTH)
    window = WINDOWS.get(window_key)
    if window is None:
        raise InvalidInput(f"no window '{window_key}'", field="window")
    now = now or utcnow()
    edges = bucket_edges(window, now, zone)
    bucket = _bucket_of(SyncRun.started_at, edges).label("bucket")
    in_window = sa.and_(
        col(SyncRun.integration) == Integration.GOOGLE_CALENDAR,
        col(SyncRun.started_at) >= edges[0],
        col(SyncRun.started_at) <= now,
    )

    def outcome_count(outcome: RunOutcome) -> Any:
        return sa.func.count().filter(col(SyncRun.outcome) == outcome)

    rows = session.execute(
        sa.select(
            bucket,
            outcome_count(RunOutcome.SUCCESS),
            outcome_count(RunOutcome.PARTIAL),
            outcome_count(RunOutcome.FAILED),
            outcome_count(RunOutcome.RUNNING),
            sa.func.coalesce(sa.func.sum(SyncRun.http_requests), 0),
            sa.func.coalesce(sa.func.sum(SyncRun.rate_limited), 0),
        )
        .where(in_window)
        .group_by(BUCKET)
    ).all()
    counts = {int(row[0]): row[1:] for row in rows}
    percentiles = _duration_percentiles(session, bucket, in_window)
    buckets = []
    for index, start in enumerate(edges):
        success, partial, failed, running, requests, limited = counts.get(index, (0,) * 6)
        p50, p95 = percentiles.get(index, (None, None))
        buckets.append(
            RunBucket(
                start,
                int(success),
                int(partial),
                int(failed),
                int(running),
                int(requests),
                int(limited),
                p50,
                p95,
            )
        )
    return RunSeries(window.key, window.granularity, buckets)


def _duration_percentiles(
    session: Session, bucket: Any, in_window: Any
) -> dict[int, tuple[float | None, float | None]]:
    finished = sa.and_(in_window, col(SyncRun.duration_ms).is_not(None))
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            sa.select(
                bucket,
                *[
                    sa.func.percentile_cont(p).within_group(col(SyncRun.duration_ms))
                    for p in PERCENTILES
                ],
            )
            .where(finished)
            .group_by(BUCKET)
        ).all()
        return {int(r[0]): (_float(r[1]), _float(r[2])) for r in rows}
    # SQLite: percentile_cont by hand. Rank each duration in its bucket (0-based) and count the
    # bucket; percentile p sits at position p*(n-1), between ranks floor and floor+1.
    ranked = (
        sa.select(
            bucket,
            col(SyncRun.duration_ms).label("duration"),
            (
                sa.func.row_number().over(partition_by=bucket, order_by=col(SyncRun.duration_ms))
                - 1
            ).label("rank"),
            sa.func.count().over(partition_by=bucket).label("n"),
        )
        .where(finished)
        .subquery()
    )
    columns = []
    for p in PERCENTILES:
        position = (ranked.c.n - 1) * p
        lower = sa.cast(position, sa.Integer)
        upper = sa.case((lower + 1 < ranked.c.n, lower + 1), else_=lower)
        fraction = position - lower
        low_value = sa.func.max(sa.case((ranked.c.rank == lower, ranked.c.duration)))
        high_value = sa.func.max(sa.case((ranked.c.rank == upper, ranked.c.duration)))
        # Every row of a bucket shares n, so min(fraction) is that bucket's fraction.
        columns.append(low_value + (high_value - low_value) * sa.func.min(fraction))
    wanted = sa.or_(
        *[
            ranked.c.rank.in_(
                [
                    sa.cast((ranked.c.n - 1) * p, sa.Integer),
                    sa.cast((ranked.c.n - 1) * p, sa.Integer) + 1,
                ]
            )
            for p in PERCENTILES
        ]
    )
    rows = session.execute(
        sa.select(ranked.c.bucket, *columns).where(wanted).group_by(BUCKET)
    ).all()
    return {int(r[0]): (_float(r[1]), _float(r[2])) for r in rows}


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True, slots=True)
class ErrorKindCount:
    kind: str
    count: int


def errors_by_kind(
    actor: Actor,
    window_key: str,
    *,
    session: Session,
    zone: str,
    now: datetime | None = None,
) -> list[ErrorKindCount]:
    """Failed runs in the window by what went wrong, most frequent first."""
    actor.require(Capability.VIEW_HEALTH)
    window = WINDOWS.get(window_key)
    if window is None:
        raise InvalidInput(f"no window '{window_key}'", field="window")
    now = now or utcnow()
    start = bucket_edges(window, now, zone)[0]
    kind = sa.func.coalesce(col(SyncRun.error_kind), "unknown").label("kind")
    rows = session.execute(
        sa.select(kind, sa.func.count().label("n"))
        .where(
            col(SyncRun.integration) == Integration.GOOGLE_CALENDAR,
            col(SyncRun.outcome) == RunOutcome.FAILED,
            col(SyncRun.started_at) >= start,
            col(SyncRun.started_at) <= now,
        )
        .group_by(sa.literal_column("kind"))
        .order_by(sa.desc("n"), sa.literal_column("kind"))
    ).all()
    return [ErrorKindCount(str(row[0]), int(row[1])) for row in rows]


# --- Push channels and per-trainer freshness -------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelExpiry:
    trainer_id: str
    trainer_name: str
    timezone: str
    calendar_id: str
    expires_at: datetime | None
    last_notified_at: datetime | None


@dataclass(frozen=True, slots=True)
class ChannelOutlook:
    """Live push channels: those already expired (not renewed) and those expiring per day ahead."""

    expired: int
    #: (local day's start in UTC, channels expiring that day), for the next 7 days.
    per_day: list[tuple[datetime, int]]
    soonest: list[ChannelExpiry]


def channel_outlook(
    actor: Actor,
    *,
    session: Session,
    zone: str,
    now: datetime | None = None,
    limit: int = 100,
) -> ChannelOutlook:
    actor.require(Capability.VIEW_HEALTH)
    now = now or utcnow()
    live = col(WebhookChannel.stopped_at).is_(None)
    expired = session.execute(
        sa.select(sa.func.count()).where(live, col(WebhookChannel.expires_at) < now)
    ).scalar_one()
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    days = CHANNEL_LOOKAHEAD.days
    edges = [
        datetime.combine(today + timedelta(days=i), time(0), tzinfo=tz).astimezone(UTC)
        for i in range(days + 1)
    ]
    ahead = sa.and_(
        live,
        col(WebhookChannel.expires_at) >= now,
        col(WebhookChannel.expires_at) < edges[-1],
    )
    bucket = _bucket_of(WebhookChannel.expires_at, edges[:-1]).label("bucket")
    counts = dict(
        session.execute(sa.select(bucket, sa.func.count()).where(ahead).group_by(BUCKET)).all()
    )
    rows = session.execute(
        sa.select(
            col(WebhookChannel.trainer_id),
            col(Trainer.name),
            col(Trainer.timezone),
            col(WebhookChannel.calendar_id),
            col(WebhookChannel.expires_at),
            col(WebhookChannel.last_notified_at),
        )
        .join(Trainer, col(Trainer.id) == col(WebhookChannel.trainer_id))
        .where(live, col(WebhookChannel.expires_at) < now + CHANNEL_LOOKAHEAD)
        .order_by(col(WebhookChannel.expires_at))
        .limit(limit)
    ).all()
    return ChannelOutlook(
        expired=int(expired),
        per_day=[(edge, int(counts.get(i, 0))) for i, edge in enumerate(edges[:-1])],
        soonest=[ChannelExpiry(r[0], r[1], r[2], r[3], as_utc(r[4]), as_utc(r[5])) for r in rows],
    )


@dataclass(frozen=True, slots=True)
class TrainerFreshness:
    """How long ago a trainer's Google Calendar last synced well, in their own time zone."""

    trainer_id: str
    name: str
    timezone: str
    status: str
    sync_frequency: SyncFrequency | None
    last_good_at: datetime | None
    last_run_at: datetime | None
    failures_in_a_row: int
    connected_at: datetime | None

    def since_good(self, now: datetime) -> timedelta | None:
        """Since the last good sync; since connecting when there was none yet."""
        reference = self.last_good_at or self.connected_at
        return None if reference is None else now - reference


def with_google_connection(query: sa.Select[Any], streaks: sa.Subquery) -> sa.Select[Any]:
    """Trainers with a Google connection, their sync streaks and their settings (if saved): the
    rows both the freshness view and the alert rules read."""
    return (
        query.join(
            IntegrationCredential,
            sa.and_(
                col(IntegrationCredential.trainer_id) == col(Trainer.id),
                col(IntegrationCredential.integration) == Integration.GOOGLE_CALENDAR,
            ),
        )
        .join(streaks, streaks.c.trainer_id == col(Trainer.id))
        .join(
            GoogleCalendarSyncSettings,
            col(GoogleCalendarSyncSettings.trainer_id) == col(Trainer.id),
            isouter=True,
        )
    )


def trainer_freshness(actor: Actor, *, session: Session) -> list[TrainerFreshness]:
    """Every trainer with a Google connection, the longest without a good sync first."""
    actor.require(Capability.VIEW_HEALTH)
    streaks = trainer_streaks()
    rows = session.execute(
        with_google_connection(
            sa.select(
                col(Trainer.id),
                col(Trainer.name),
                col(Trainer.timezone),
                col(IntegrationCredential.status),
                col(GoogleCalendarSyncSettings.sync_frequency),
                streaks.c.last_good_at,
                streaks.c.last_run_at,
                streaks.c.failures_in_a_row,
                col(IntegrationCredential.created_at),
            ),
            streaks,
        )
    ).all()
    found = [
        TrainerFreshness(
            trainer_id=r[0],
            name=r[1],
            timezone=r[2],
            status=ConnectionStatus(r[3]).value,
            sync_frequency=SyncFrequency(r[4]) if r[4] else None,
            last_good_at=as_utc(r[5]),
            last_run_at=as_utc(r[6]),
            failures_in_a_row=int(r[7] or 0),
            connected_at=as_utc(r[8]),
        )
        for r in rows
    ]
    epoch = datetime.min.replace(tzinfo=UTC)
    return sorted(found, key=lambda f: (f.last_good_at or f.connected_at or epoch, f.name))


# --- Open alerts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenAlert:
    incident_key: str
    rule: str
    trainer_id: str | None
    trainer_name: str | None
    opened_at: datetime
    detail: str


def open_alerts(actor: Actor, *, session: Session) -> list[OpenAlert]:
    """Incidents the alert engine holds open now, newest first."""
    actor.require(Capability.VIEW_HEALTH)
    rows = session.execute(
        sa.select(
            col(AlertIncident.incident_key),
            col(AlertIncident.rule),
            col(AlertIncident.trainer_id),
            col(Trainer.name),
            col(AlertIncident.opened_at),
            col(AlertIncident.detail),
        )
        .join(Trainer, col(Trainer.id) == col(AlertIncident.trainer_id), isouter=True)
        .where(col(AlertIncident.is_open))
        .order_by(col(AlertIncident.opened_at).desc())
    ).all()
    return [OpenAlert(r[0], r[1], r[2], r[3], as_utc(r[4]) or utcnow(), r[5]) for r in rows]


# --- The error log ---------------------------------------------------------------------------


class Source(StrEnum):
    LOG = "log"
    RUN = "run"


@dataclass(frozen=True, slots=True)
class ErrorLogFilter:
    """What the manager narrowed the error log to; empty means everything."""

    levels: tuple[LogLevel, ...] = (LogLevel.WARNING, LogLevel.ERROR)
    integration: str | None = None
    trainer_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class ErrorLogEntry:
    source: Source
    entry_id: str
    at: datetime
    level: LogLevel
    integration: str | None
    trainer_id: str | None
    trainer_name: str | None
    event: str
    message: str
    sync_run_id: str | None
    #: The `ErrorKind` stored with the row (a run's `error_kind`, or a log line's `details`), so a
    #: page can say what went wrong in the reader's language without reading the English message.
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class ErrorLogPage:
    entries: list[ErrorLogEntry]
    total: int
    page: int
    pages: int


def _logged_kind(table: Any) -> Any:
    """The error kind a log line stored in its details: `error_kind` (a run's end) or `kind`
    (a change not sent to Google)."""
    details = col(table.details)
    return sa.func.coalesce(details["error_kind"].as_string(), details["kind"].as_string())


def _error_log_query(filters: ErrorLogFilter) -> sa.Subquery:
    """Log lines at the chosen levels, plus failed runs that wrote no error line of their own
    (the sync engine logs each failure with its run id; a run closed as interrupted does not)."""
    log_conditions: list[Any] = [col(IntegrationLog.level).in_(filters.levels)]
    run_conditions: list[Any] = [col(SyncRun.outcome) == RunOutcome.FAILED]
    run_at = sa.func.coalesce(col(SyncRun.finished_at), col(SyncRun.started_at))
    if filters.integration:
        log_conditions.append(IntegrationLog.integration == filters.integration)
        run_conditions.append(SyncRun.integration == filters.integration)
    if filters.trainer_id:
        log_conditions.append(IntegrationLog.trainer_id == filters.trainer_id)
        run_conditions.append(SyncRun.trainer_id == filters.trainer_id)
    if filters.since:
        log_conditions.append(col(IntegrationLog.at) >= filters.since)
        run_conditions.append(col(SyncRun.started_at) >= filters.since)
    if filters.until:
        log_conditions.append(col(IntegrationLog.at) < filters.until)
        run_conditions.append(col(SyncRun.started_at) < filters.until)
    text = filters.text.strip()
    if text:
        log_conditions.append(
            sa.or_(
                col(IntegrationLog.message).icontains(text, autoescape=True),
                col(IntegrationLog.event).icontains(text, autoescape=True),
            )
        )
        run_conditions.append(
            sa.or_(
                col(SyncRun.error).icontains(text, autoescape=True),
                col(SyncRun.error_kind).icontains(text, autoescape=True),
            )
        )
    logged = aliased(IntegrationLog)
    run_conditions.append(
        ~sa.exists().where(
            col(logged.sync_run_id) == SyncRun.id, col(logged.level) == LogLevel.ERROR
        )
    )
    log_part: Any = sa.select(
        sa.literal(Source.LOG.value).label("source"),
        sa.cast(col(IntegrationLog.id), sa.String).label("entry_id"),
        col(IntegrationLog.at).label("at"),
        col(IntegrationLog.level).label("level"),
        col(IntegrationLog.integration).label("integration"),
        col(IntegrationLog.trainer_id).label("trainer_id"),
        col(IntegrationLog.event).label("event"),
        col(IntegrationLog.message).label("message"),
        col(IntegrationLog.sync_run_id).label("sync_run_id"),
        _logged_kind(IntegrationLog).label("kind"),
    ).where(*log_conditions)
    parts: list[Any] = [log_part]
    if LogLevel.ERROR in filters.levels:
        parts.append(
            sa.select(
                sa.literal(Source.RUN.value),
                col(SyncRun.id),
                run_at,
                sa.literal(LogLevel.ERROR.value),
                col(SyncRun.integration),
                col(SyncRun.trainer_id),
                sa.func.coalesce(col(SyncRun.error_kind), "sync_failed"),
                sa.func.coalesce(col(SyncRun.error), ""),
                col(SyncRun.id),
                col(SyncRun.error_kind),
            ).where(*run_conditions)
        )
    return sa.union_all(*parts).subquery("error_log")


def _entries(session: Session, query: sa.Subquery, limit: int, offset: int) -> list[ErrorLogEntry]:
    rows = session.execute(
        sa.select(query, col(Trainer.name))
        .join(Trainer, col(Trainer.id) == query.c.trainer_id, isouter=True)
        .order_by(query.c.at.desc(), query.c.source, query.c.entry_id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        ErrorLogEntry(
            source=Source(r.source),
            entry_id=str(r.entry_id),
            at=as_utc(r.at) or utcnow(),
            level=LogLevel(r.level),
            integration=r.integration,
            trainer_id=r.trainer_id,
            trainer_name=r.name,
            event=r.event,
            message=r.message,
            sync_run_id=r.sync_run_id,
            kind=r.kind,
        )
        for r in rows
    ]


def error_log(
    actor: Actor,
    filters: ErrorLogFilter,
    *,
    session: Session,
    page: int = 1,
    page_size: int = ERROR_LOG_PAGE_SIZE,
) -> ErrorLogPage:
    """One page of the filtered error log, newest first, and how many entries match."""
    actor.require(Capability.VIEW_HEALTH)
    if page_size < 1:
        raise InvalidInput("a page holds at least one entry", field="page_size")
    query = _error_log_query(filters)
    total = int(session.execute(sa.select(sa.func.count()).select_from(query)).scalar_one())
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    entries = _entries(session, query, page_size, (page - 1) * page_size)
    return ErrorLogPage(entries, total, page, pages)


def error_count(session: Session, integration_name: str, now: datetime) -> int:
    """`errorCount`: the integration's errors in the error log of the last
    `ERROR_COUNT_PERIOD` (log lines and failed runs)."""
    query = _error_log_query(
        ErrorLogFilter(
            levels=(LogLevel.ERROR,), integration=integration_name, since=now - ERROR_COUNT_PERIOD
        )
    )
    return int(session.execute(sa.select(sa.func.count()).select_from(query)).scalar_one())


#: The CSV's columns: codes first, as a program reading the file expects them; the event's label
#: in the reader's language comes last, so that the columns before it never move.
EXPORT_COLUMNS = {
    "at": "time",
    "level": "level",
    "integration": "integration",
    "trainer": "trainer",
    "event": "event",
    "message": "message",
    "sync_run_id": "sync run",
    "event_label": "event label",
}


#: A cell starting with one of these is read as a formula by spreadsheet programs (OWASP's
#: CSV injection rule); a leading apostrophe makes it text again.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell that a spreadsheet shows as text: log messages and names come from trainers and
    from Google, and `=HYPERLINK(...)` typed by one must not run on the manager's machine."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def export_error_log_csv(
    actor: Actor,
    filters: ErrorLogFilter,
    *,
    session: Session,
    zone: str,
    headers: Mapping[str, str] | None = None,
    event_label: Callable[[str], str] = str,
) -> bytes:
    """The filtered error log as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read
    Hebrew right), newest first, times in `zone` with their offset; at most `EXPORT_LIMIT` rows.
    Each event is written as its code and as `event_label` names it for a person."""
    actor.require(Capability.VIEW_HEALTH)
    names = {**EXPORT_COLUMNS, **(headers or {})}
    tz = ZoneInfo(zone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([spreadsheet_safe(names[key]) for key in EXPORT_COLUMNS])
    for entry in _entries(session, _error_log_query(filters), EXPORT_LIMIT, 0):
        cells = [
            entry.at.astimezone(tz).isoformat(timespec="seconds"),
            entry.level.value,
            entry.integration or "",
            entry.trainer_name or "",
            entry.event,
            entry.message,
            entry.sync_run_id or "",
            event_label(entry.event),
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return out.getvalue().encode("utf-8-sig")


# --- Drill-down: one run and its log lines ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunLogLine:
    at: datetime
    level: LogLevel
    event: str
    message: str
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class RunDetail:
    id: str
    trainer_id: str
    trainer_name: str
    timezone: str
    trigger: str
    calendar_id: str | None
    started_at: datetime
    finished_at: datetime | None
    outcome: RunOutcome
    error_kind: str | None
    error: str | None
    duration_ms: int | None
    http_requests: int
    rate_limited: int
    counts: dict[str, int]
    log: list[RunLogLine]


def run_detail(actor: Actor, run_id: str, *, session: Session) -> RunDetail:
    """A run as the error log's drill-down shows it: what it did and every line it logged."""
    actor.require(Capability.VIEW_HEALTH)
    run = session.get(SyncRun, run_id)
    if run is None:
        raise NotFound(f"no sync run {run_id}")
    trainer = session.get(Trainer, run.trainer_id)
    lines = session.exec(
        select(IntegrationLog)
        .where(IntegrationLog.sync_run_id == run_id)
        .order_by(col(IntegrationLog.at), col(IntegrationLog.id))
        .limit(RUN_LOG_LIMIT)
    ).all()
    return RunDetail(
        id=run.id,
        trainer_id=run.trainer_id,
        trainer_name=trainer.name if trainer else run.trainer_id,
        timezone=trainer.timezone if trainer else "UTC",
        trigger=run.trigger.value,
        calendar_id=run.calendar_id,
        started_at=run.started_at,
        finished_at=run.finished_at,
        outcome=run.outcome,
        error_kind=run.error_kind,
        error=run.error,
        duration_ms=run.duration_ms,
        http_requests=run.http_requests,
        rate_limited=run.rate_limited,
        counts={
            name: getattr(run, name)
            for name in ("fetched", "created", "updated", "deleted", "pushed", "conflicts")
        },
        log=[
            RunLogLine(
                line.at,
                line.level,
                line.event,
                line.message,
                (line.details or {}).get("error_kind") or (line.details or {}).get("kind"),
            )
            for line in lines
        ],
    )


@dataclass(frozen=True, slots=True)
class TrainerChoice:
    id: str
    name: str


def trainer_choices(actor: Actor, *, session: Session) -> list[TrainerChoice]:
    """Trainers to filter the error log by, by name."""
    actor.require(Capability.VIEW_HEALTH)
    rows = session.execute(sa.select(col(Trainer.id), col(Trainer.name)).order_by(Trainer.name))
    return [TrainerChoice(row[0], row[1]) for row in rows]
