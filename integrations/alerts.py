"""Alerts ("Critical errors trigger alerts"): rules checked once a minute by the worker, each
raising ONE notification per incident to the managers and the trainer concerned, and one
"resolved" notification when it clears.

Rules, per trainer with a Google Calendar connection:

- `needs_reauth`: Google no longer accepts the connection (needs reconnecting, or in error);
- `sync_failing`: the last `FAILURES_IN_A_ROW` finished syncs failed;
- `sync_stale`: auto sync is on but no sync succeeded within `STALE_FACTOR` times the chosen
  frequency (the realtime backstop's hour for realtime calendars);
- `channel_down`: a realtime calendar whose push channel expired without renewal, or is silent:
  it sent no notification, yet `SILENT_AFTER_MISSED_CHANGES` successful scheduled syncs since
  its last message pulled changes from Google that a working channel would have announced.
  (Silence alone proves nothing: Google pushes only on change, and a trainer's calendar may be
  quiet for a weekend. Silence with no successful sync at all is the `sync_stale` incident.)

One cause, one notification: a re-auth incident holds back the others of that trainer (nothing
can sync until they reconnect), and a failing streak holds back "stale" and "channel" (both
follow from it), as does "stale" for "channel" (channels are renewed by successful syncs). An
incident that is held back stays as it is: it is neither raised nor resolved meanwhile.

Each incident is a row of `alert_incidents`, keyed by the `Notification.incident_key` of every
notification about it. Opening and resolving are compare-and-set statements on that row (an
insert that does nothing on conflict, updates guarded by `is_open`), committed together with the
notifications: of two workers ticking at once, exactly one raises, and one resolves.

The sync engine already notifies at the `NOTIFY_AFTER_FAILURES`th failure in a row
(`sync_failing:<trainer>`) and when a connection needs re-auth (`needs_reauth:<trainer>`): the
engine uses the same keys, and when such a notice exists for the current incident it adopts it
(opens the incident without notifying again; the "resolved" notice is still sent when it clears).
The sync engine writes its notice just after the run's commit, so a failing streak younger than
`SYNC_NOTICE_GRACE` is left to it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from db.models import (
    AlertIncident,
    ConnectionStatus,
    GoogleCalendarSyncSettings,
    Integration,
    IntegrationCredential,
    LogLevel,
    Notification,
    Role,
    RunOutcome,
    SyncFrequency,
    SyncRun,
    SyncTrigger,
    Trainer,
    WebhookChannel,
    utcnow,
)
from integrations.core import audit
from integrations.core.notifications import managers_and_trainer
from integrations.google_calendar.status import FREQUENCY_INTERVAL, REALTIME_BACKSTOP
from integrations.google_calendar.sync import NOTIFY_AFTER_FAILURES
from integrations.health import as_utc, trainer_streaks, with_google_connection
from integrations.notices import for_reader, notify_in_their_language, text

log = logging.getLogger(__name__)

FAILURES_IN_A_ROW = NOTIFY_AFTER_FAILURES
"""Failed syncs in a row that make an incident: the sync engine's own threshold, so that its
notice and this rule speak of one and the same incident."""

STALE_FACTOR = 2
"""No good sync within this many times the trainer's sync interval (hourly: 1 h, daily: 24 h,
realtime: the 1 h polling backstop) is an incident."""

CHANNEL_EXPIRED_GRACE = timedelta(hours=2)
"""A realtime calendar may be without a live push channel this long (the next sync renews it)
before it is an incident."""

SILENT_AFTER_MISSED_CHANGES = 2
"""A live push channel is silent when this many successful scheduled syncs since its last message
pulled changes from Google (one lost push can happen: Google says delivery is not guaranteed)."""

RESOLVE_AFTER = timedelta(minutes=10)
"""An incident is resolved only once its condition has stayed clear this long, so that a rule
that flaps (fail, succeed, fail) does not send a raise and a resolve each time."""

SYNC_NOTICE_GRACE = timedelta(minutes=2)
"""A failing streak younger than this is left to the sync engine's own notice."""

#: Notification kinds the sync engine uses for the incidents it announces itself.
SYNC_ENGINE_KINDS = {"sync_failing": "sync_failing", "needs_reauth": "google_needs_reauth"}


class Rule(StrEnum):
    NEEDS_REAUTH = "needs_reauth"
    SYNC_FAILING = "sync_failing"
    SYNC_STALE = "sync_stale"
    CHANNEL_DOWN = "channel_down"


def resolve_after(rule: Rule) -> timedelta:
    """A reconnection is someone's deliberate fix, announced as soon as it is seen; the other
    rules clear by themselves and may flap, so they wait RESOLVE_AFTER."""
    return timedelta(0) if rule is Rule.NEEDS_REAUTH else RESOLVE_AFTER


#: A firing rule holds back these rules of the same trainer.
HOLDS_BACK = {
    Rule.NEEDS_REAUTH: {Rule.SYNC_FAILING, Rule.SYNC_STALE, Rule.CHANNEL_DOWN},
    Rule.SYNC_FAILING: {Rule.SYNC_STALE, Rule.CHANNEL_DOWN},
    Rule.SYNC_STALE: {Rule.CHANNEL_DOWN},
    Rule.CHANNEL_DOWN: set(),
}


def incident_key(rule: Rule, trainer_id: str) -> str:
    return f"{rule.value}:{trainer_id}"


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule whose condition holds now for one trainer."""

    rule: Rule
    trainer_id: str
    trainer_name: str
    #: The notification body's message key and values, rendered per recipient's language.
    body_key: str
    values: dict[str, Any] = field(default_factory=dict)
    detail: str = ""
    #: When the condition started, when known: a sync engine notice older than this is not
    #: about this incident.
    since: datetime | None = None
    #: False while the sync engine still has time to announce it itself.
    ready: bool = True

    @property
    def key(self) -> str:
        return incident_key(self.rule, self.trainer_id)


@dataclass
class Evaluation:
    """What holds now: findings to raise, keys held back by a more basic incident, and the
    incidents that were open when it was read (a snapshot: another worker may act meanwhile)."""

    firing: list[Finding] = field(default_factory=list)
    held_back: set[str] = field(default_factory=set)
    open: list[OpenIncident] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class OpenIncident:
    incident_key: str
    rule: Rule
    trainer_id: str | None
    opened_at: datetime
    clear_since: datetime | None


@dataclass
class AlertReport:
    raised: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)


# --- Evaluation -------------------------------------------------------------------------------


def evaluate(session: Session, now: datetime) -> Evaluation:
    """Every rule for every trainer with a Google connection, from one query."""
    if session.get_bind().dialect.name == "postgresql":
        # Its correlated subqueries are estimated dear enough for PostgreSQL to JIT-compile the
        # plan: 170 ms of compiling for 30 ms of work. SET LOCAL ends with this transaction.
        session.execute(sa.text("SET LOCAL jit = off"))
    streaks = trainer_streaks(detail=True)
    live = aliased(WebhookChannel)
    unexpired = sa.and_(
        col(live.trainer_id) == col(Trainer.id),
        col(live.stopped_at).is_(None),
        sa.or_(col(live.expires_at).is_(None), col(live.expires_at) > now),
    )
    live_channels = sa.select(sa.func.count()).where(unexpired).scalar_subquery()
    last_heard = (
        sa.select(sa.func.max(sa.func.coalesce(col(live.last_notified_at), col(live.created_at))))
        .where(unexpired)
        .correlate(Trainer)  # also used two levels down, in `missed_changes`
        .scalar_subquery()
    )
    polled = aliased(SyncRun)
    missed_changes = (
        sa.select(sa.func.count())
        .where(
            col(polled.trainer_id) == col(Trainer.id),
            col(polled.trigger) == SyncTrigger.SCHEDULE,
            col(polled.outcome) == RunOutcome.SUCCESS,
            col(polled.created) + col(polled.updated) + col(polled.deleted) > 0,
            col(polled.started_at) > last_heard,
        )
        .scalar_subquery()
    )
    any_channel = aliased(WebhookChannel)
    last_expiry = (
        sa.select(sa.func.max(col(any_channel.expires_at)))
        .where(col(any_channel.trainer_id) == col(Trainer.id))
        .scalar_subquery()
    )
    failed = aliased(SyncRun)
    last_error = (
        sa.select(col(failed.error))
        .where(col(failed.trainer_id) == col(Trainer.id), col(failed.outcome) == RunOutcome.FAILED)
        .order_by(col(failed.started_at).desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        with_google_connection(
            sa.select(
                col(Trainer.id),
                col(Trainer.name),
                col(IntegrationCredential.status),
                col(IntegrationCredential.created_at),
                col(GoogleCalendarSyncSettings.auto_sync_enabled),
                col(GoogleCalendarSyncSettings.sync_frequency),
                col(GoogleCalendarSyncSettings.updated_at),
                streaks.c.failures_in_a_row,
                streaks.c.last_good_at,
                streaks.c.streak_started_at,
                streaks.c.last_failed_at,
                live_channels.label("live_channels"),
                missed_changes.label("missed_changes"),
                last_expiry.label("last_expiry"),
                last_error.label("last_error"),
            ),
            streaks,
        )
    ).all()
    evaluation = Evaluation()
    for row in rows:
        found = _findings(row, now)
        rules = {finding.rule for finding in found}
        held = set().union(*(HOLDS_BACK[rule] for rule in rules)) if rules else set()
        for finding in found:
            if finding.rule in held:
                evaluation.held_back.add(finding.key)
            else:
                evaluation.firing.append(finding)
        # An open incident of a held-back rule keeps its state even if its own condition
        # cleared: the more basic incident speaks for the trainer now.
        evaluation.held_back |= {incident_key(rule, row[0]) for rule in held}
    table = _table()
    evaluation.open = [
        OpenIncident(r[0], Rule(r[1]), r[2], as_utc(r[3]) or now, as_utc(r[4]))
        for r in session.execute(
            sa.select(
                table.c.incident_key,
                table.c.rule,
                table.c.trainer_id,
                table.c.opened_at,
                table.c.clear_since,
            ).where(table.c.is_open)
        ).all()
    ]
    return evaluation


def _findings(row: Any, now: datetime) -> list[Finding]:
    (
        trainer_id,
        name,
        status,
        connected_at,
        auto_sync,
        frequency,
        settings_changed_at,
        failures,
        last_good_at,
        streak_started_at,
        last_failed_at,
        live_channels,
        missed_changes,
        last_expiry,
        last_error,
    ) = row
    connected_at = as_utc(connected_at)
    last_good_at = as_utc(last_good_at)
    status = ConnectionStatus(status)
    found: list[Finding] = []
    if status in (ConnectionStatus.NEEDS_REAUTH, ConnectionStatus.ERROR):
        found.append(
            Finding(
                Rule.NEEDS_REAUTH,
                trainer_id,
                name,
                "alert.needs_reauth.body",
                detail=f"connection is {status.value}",
            )
        )
        return found
    if status is not ConnectionStatus.CONNECTED:
        return found
    failures = int(failures or 0)
    if failures >= FAILURES_IN_A_ROW:
        last_failed = as_utc(last_failed_at) or now
        found.append(
            Finding(
                Rule.SYNC_FAILING,
                trainer_id,
                name,
                "alert.sync_failing.body",
                {"count": failures, "error": last_error or "—"},
                detail=f"{failures} failed syncs in a row: {last_error or ''}".strip(),
                since=as_utc(streak_started_at),
                ready=now - last_failed >= SYNC_NOTICE_GRACE,
            )
        )
    auto_sync = True if auto_sync is None else bool(auto_sync)
    frequency = SyncFrequency(frequency) if frequency else SyncFrequency.REALTIME
    if not auto_sync:
        return found
    interval = FREQUENCY_INTERVAL.get(frequency, REALTIME_BACKSTOP)
    reference = last_good_at or connected_at
    if reference is not None and now - reference > STALE_FACTOR * interval:
        hours = int((now - reference) / timedelta(hours=1))
        expected = int(interval / timedelta(hours=1))
        found.append(
            Finding(
                Rule.SYNC_STALE,
                trainer_id,
                name,
                "alert.sync_stale.body",
                {"hours": hours, "expected": expected},
                detail=f"no good sync for {hours} h (expected every {expected} h)",
                since=reference,
            )
        )
    if frequency is SyncFrequency.REALTIME:
        channel = _channel_finding(
            trainer_id,
            name,
            now,
            live_channels=int(live_channels or 0),
            missed_changes=int(missed_changes or 0),
            last_expiry=as_utc(last_expiry),
            realtime_since=max(filter(None, [as_utc(settings_changed_at), connected_at])),
        )
        if channel is not None:
            found.append(channel)
    return found


def _channel_finding(
    trainer_id: str,
    name: str,
    now: datetime,
    *,
    live_channels: int,
    missed_changes: int,
    last_expiry: datetime | None,
    realtime_since: datetime,
) -> Finding | None:
    if live_channels == 0:
        down_since = max(filter(None, [last_expiry, realtime_since]))
        if now - down_since <= CHANNEL_EXPIRED_GRACE:
            return None
        return Finding(
            Rule.CHANNEL_DOWN,
            trainer_id,
            name,
            "alert.channel_down.expired",
            detail="no live push channel",
            since=down_since,
        )
    if missed_changes >= SILENT_AFTER_MISSED_CHANGES:
        return Finding(
            Rule.CHANNEL_DOWN,
            trainer_id,
            name,
            "alert.channel_down.silent",
            {"count": missed_changes},
            detail=f"push channel silent; polling found Google changes {missed_changes} times",
        )
    return None


# --- Applying: open, hold, resolve -------------------------------------------------------------


def check_alerts(session: Session, now: datetime | None = None) -> AlertReport:
    """Evaluate every rule and raise or resolve incidents; safe to run on two workers at once."""
    now = now or utcnow()
    return apply(session, evaluate(session, now), now)


def apply(session: Session, evaluation: Evaluation, now: datetime) -> AlertReport:
    """Turn an evaluation into notifications. Decisions are compare-and-set on the incident rows,
    so an evaluation that another worker has already acted on changes nothing."""
    report = AlertReport()
    session.commit()  # every compare-and-set below starts a transaction of its own
    firing = {finding.key: finding for finding in evaluation.firing}
    waiting = {key for key, finding in firing.items() if not finding.ready}
    for key, finding in firing.items():
        if not finding.ready:
            continue
        outcome = _open(session, finding, now)
        if outcome == "raised":
            report.raised.append(key)
        elif outcome == "adopted":
            report.adopted.append(key)
    for row in evaluation.open:
        if row.incident_key in firing or row.incident_key in waiting:
            if row.clear_since is not None:
                _set_clear_since(session, row.incident_key, None)
            continue
        if row.incident_key in evaluation.held_back:
            continue
        clear_since = row.clear_since
        if clear_since is None:
            _set_clear_since(session, row.incident_key, now)
            clear_since = now
        if now - clear_since >= resolve_after(row.rule) and _resolve(session, row, now):
            report.resolved.append(row.incident_key)
    if report.raised or report.adopted or report.resolved:
        log.info(
            "alerts: %d raised, %d adopted, %d resolved",
            len(report.raised),
            len(report.adopted),
            len(report.resolved),
            extra={"event": "alerts_checked"},
        )
    return report


def _table() -> Any:
    return AlertIncident.__table__  # type: ignore[attr-defined]


def _open(session: Session, finding: Finding, now: datetime) -> str | None:
    """Open the finding's incident unless it is open; "raised", "adopted" or None (already open,
    by this worker earlier or by another one just now). Claims use RETURNING: with psycopg,
    SQLAlchemy reports -1 as the row count of an INSERT ... ON CONFLICT DO NOTHING."""
    table = _table()
    previous = session.execute(
        sa.select(table.c.is_open, table.c.resolved_at).where(table.c.incident_key == finding.key)
    ).first()
    if previous is not None and previous.is_open:
        return None
    since = as_utc(previous.resolved_at) if previous is not None else finding.since
    adopted = _sync_engine_told(session, finding, since)
    raised_by = "sync" if adopted else "alerts"
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    try:
        claimed = session.execute(
            insert(table)
            .values(
                incident_key=finding.key,
                rule=finding.rule.value,
                trainer_id=finding.trainer_id,
                is_open=True,
                opened_at=now,
                raised_by=raised_by,
                occurrences=1,
                detail=finding.detail,
            )
            .on_conflict_do_nothing(index_elements=[table.c.incident_key])
            .returning(table.c.incident_key)
        ).first()
        if claimed is None:
            claimed = session.execute(
                sa.update(table)
                .where(table.c.incident_key == finding.key, sa.not_(table.c.is_open))
                .values(
                    is_open=True,
                    opened_at=now,
                    clear_since=None,
                    resolved_at=None,
                    raised_by=raised_by,
                    occurrences=table.c.occurrences + 1,
                    detail=finding.detail,
                )
                .returning(table.c.incident_key)
            ).first()
        if claimed is None:
            session.rollback()
            return None
        if not adopted:
            _notify_all(session, finding.trainer_id, finding, resolved=False, now=now)
        audit.record(
            session,
            "alert_raised",
            f"{finding.rule.value}: {finding.detail}",
            level=LogLevel.WARNING,
            trainer_id=finding.trainer_id,
            integration=Integration.GOOGLE_CALENDAR,
            details={"incident_key": finding.key, "raised_by": raised_by},
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return "adopted" if adopted else "raised"


def _sync_engine_told(session: Session, finding: Finding, since: datetime | None) -> bool:
    kind = SYNC_ENGINE_KINDS.get(finding.rule.value)
    if kind is None:
        return False
    query = select(Notification.id).where(
        Notification.incident_key == finding.key, Notification.kind == kind
    )
    if since is not None:
        query = query.where(col(Notification.created_at) >= since)
    return session.exec(query.limit(1)).first() is not None


def _set_clear_since(session: Session, key: str, value: datetime | None) -> None:
    table = _table()
    session.execute(
        sa.update(table)
        .where(table.c.incident_key == key, table.c.is_open)
        .values(clear_since=value)
    )
    session.commit()


def _resolve(session: Session, row: OpenIncident, now: datetime) -> bool:
    table = _table()
    try:
        claimed = session.execute(
            sa.update(table)
            .where(
                table.c.incident_key == row.incident_key,
                table.c.is_open,
                # The same incident the snapshot saw, not one reopened since by another worker.
                table.c.opened_at == row.opened_at,
            )
            .values(is_open=False, resolved_at=now, clear_since=None)
            .returning(table.c.incident_key)
        ).first()
        if claimed is None:
            session.rollback()
            return False
        trainer = session.get(Trainer, row.trainer_id) if row.trainer_id else None
        finding = Finding(
            row.rule,
            row.trainer_id or "",
            trainer.name if trainer else "",
            "alert.resolved.body",
            since=row.opened_at,
        )
        _notify_all(session, row.trainer_id, finding, resolved=True, now=now)
        audit.record(
            session,
            "alert_resolved",
            f"{row.rule.value}: resolved after {_duration(now - (finding.since or now), 'en')}",
            trainer_id=row.trainer_id,
            integration=Integration.GOOGLE_CALENDAR,
            details={"incident_key": row.incident_key},
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return True


# --- Notifications in each recipient's language -----------------------------------------------


def _duration(value: timedelta, locale: str) -> str:
    minutes = max(1, int(value / timedelta(minutes=1)))
    if minutes < 120:
        return text("alert.duration.minutes", locale, count=minutes)
    if minutes < 48 * 60:
        return text("alert.duration.hours", locale, count=minutes // 60)
    return text("alert.duration.days", locale, count=minutes // (24 * 60))


def _notify_all(
    session: Session, trainer_id: str | None, finding: Finding, *, resolved: bool, now: datetime
) -> None:
    def compose(locale: str, role: Role) -> tuple[str, str]:
        rule = text(f"alert.rule.{finding.rule.value}", locale)
        if resolved:
            lasted = now - (finding.since or now)
            return (
                text("alert.resolved.title", locale, rule=rule, trainer=finding.trainer_name),
                text("alert.resolved.body", locale, duration=_duration(lasted, locale)),
            )
        return (
            text("alert.title", locale, rule=rule, trainer=finding.trainer_name),
            text(
                for_reader(finding.body_key, role),
                locale,
                **finding.values,
                trainer=finding.trainer_name,
            ),
        )

    notify_in_their_language(
        managers_and_trainer(trainer_id, session=session),
        f"alert:{finding.rule.value}" + (":resolved" if resolved else ""),
        compose,
        session=session,
        trainer_id=trainer_id,
        incident_key=finding.key,
    )
