"""Google Calendar's alert rules, per trainer with a Google Calendar connection:

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
follow from it), as does "stale" for "channel" (channels are renewed by successful syncs).
Raising and resolving are `integrations.monitoring.alerts`'s alone: the sync engine records each
run's
outcome and the connection's state (`needs_reauth`), and these rules read them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from db.models import (
    ConnectionStatus,
    GoogleCalendarSyncSettings,
    IntegrationCredential,
    RunOutcome,
    SyncFrequency,
    SyncRun,
    SyncTrigger,
    Trainer,
    WebhookChannel,
)
from integrations.core.integration import AlertFinding, AlertFindings, incident_key
from integrations.google_calendar.status import FREQUENCY_INTERVAL, REALTIME_BACKSTOP
from integrations.monitoring.alerts import RESOLVE_AFTER
from integrations.monitoring.health import as_utc, trainer_streaks, with_google_connection

FAILURES_IN_A_ROW = 3
"""Failed syncs in a row that make an incident (the worker checks right after each run, so the
trainer and the managers hear of it as the third failure ends)."""

STALE_FACTOR = 2
"""No good sync within this many times the trainer's sync interval (hourly: 1 h, daily: 24 h,
realtime: the 1 h polling backstop) is an incident."""

CHANNEL_EXPIRED_GRACE = timedelta(hours=2)
"""A realtime calendar may be without a live push channel this long (the next sync renews it)
before it is an incident."""

SILENT_AFTER_MISSED_CHANGES = 2
"""A live push channel is silent when this many successful scheduled syncs since its last message
pulled changes from Google (one lost push can happen: Google says delivery is not guaranteed)."""


class Rule(StrEnum):
    NEEDS_REAUTH = "needs_reauth"
    SYNC_FAILING = "sync_failing"
    SYNC_STALE = "sync_stale"
    CHANNEL_DOWN = "channel_down"


#: A reconnection is someone's deliberate fix, announced as soon as it is seen; the other rules
#: clear by themselves and may flap, so they wait RESOLVE_AFTER.
RESOLVE_AFTER_BY_RULE: dict[str, timedelta] = {
    Rule.NEEDS_REAUTH: timedelta(0),
    Rule.SYNC_FAILING: RESOLVE_AFTER,
    Rule.SYNC_STALE: RESOLVE_AFTER,
    Rule.CHANNEL_DOWN: RESOLVE_AFTER,
}


#: A firing rule holds back these rules of the same trainer.
HOLDS_BACK = {
    Rule.NEEDS_REAUTH: {Rule.SYNC_FAILING, Rule.SYNC_STALE, Rule.CHANNEL_DOWN},
    Rule.SYNC_FAILING: {Rule.SYNC_STALE, Rule.CHANNEL_DOWN},
    Rule.SYNC_STALE: {Rule.CHANNEL_DOWN},
    Rule.CHANNEL_DOWN: set(),
}


def findings(session: Session, now: datetime, trainer_id: str | None = None) -> AlertFindings:
    """Every rule for every trainer with a Google connection (or only `trainer_id`), from one
    query."""
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
    query = with_google_connection(
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
            live_channels.label("live_channels"),
            missed_changes.label("missed_changes"),
            last_expiry.label("last_expiry"),
            last_error.label("last_error"),
        ),
        streaks,
    )
    if trainer_id is not None:
        query = query.where(col(Trainer.id) == trainer_id)
    rows = session.execute(query).all()
    evaluation = AlertFindings()
    for row in rows:
        found = _findings(row, now)
        rules = {Rule(finding.rule) for finding in found}
        held = set().union(*(HOLDS_BACK[rule] for rule in rules)) if rules else set()
        for finding in found:
            if finding.rule in held:
                evaluation.held_back.add(finding.key)
            else:
                evaluation.firing.append(finding)
        # An open incident of a held-back rule keeps its state even if its own condition
        # cleared: the more basic incident speaks for the trainer now.
        evaluation.held_back |= {incident_key(rule, row[0]) for rule in held}
    return evaluation


def _findings(row: Any, now: datetime) -> list[AlertFinding]:
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
        live_channels,
        missed_changes,
        last_expiry,
        last_error,
    ) = row
    connected_at = as_utc(connected_at)
    last_good_at = as_utc(last_good_at)
    status = ConnectionStatus(status)
    found: list[AlertFinding] = []
    if status in (ConnectionStatus.NEEDS_REAUTH, ConnectionStatus.ERROR):
        found.append(
            AlertFinding(
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
        found.append(
            AlertFinding(
                Rule.SYNC_FAILING,
                trainer_id,
                name,
                "alert.sync_failing.body",
                {"count": failures, "error": last_error or "—"},
                detail=f"{failures} failed syncs in a row: {last_error or ''}".strip(),
                since=as_utc(streak_started_at),
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
            AlertFinding(
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
) -> AlertFinding | None:
    if live_channels == 0:
        down_since = max(filter(None, [last_expiry, realtime_since]))
        if now - down_since <= CHANNEL_EXPIRED_GRACE:
            return None
        return AlertFinding(
            Rule.CHANNEL_DOWN,
            trainer_id,
            name,
            "alert.channel_down.expired",
            detail="no live push channel",
            since=down_since,
        )
    if missed_changes >= SILENT_AFTER_MISSED_CHANGES:
        return AlertFinding(
            Rule.CHANNEL_DOWN,
            trainer_id,
            name,
            "alert.channel_down.silent",
            {"count": missed_changes},
            detail=f"push channel silent; polling found Google changes {missed_changes} times",
        )
    return None
