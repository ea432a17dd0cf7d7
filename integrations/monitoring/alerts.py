"""Alerts ("Critical errors trigger alerts"): each registered integration's rules, checked once
a minute by the worker and for a trainer right after each of their syncs ends, each raising ONE
notification per incident to the managers and the trainer concerned, and one "resolved"
notification when it clears. Google Calendar's rules are described in
`integrations.google_calendar.alert_rules`.

An integration evaluates its own rules (`IntegrationPort.alert_findings`), including which of a
trainer's incidents a more basic one holds back: an incident held back stays as it is, neither
raised nor resolved meanwhile. This module alone raises and resolves, and alone writes alert
notifications: an integration's engines record outcomes (runs, a connection needing re-auth) and
the rules read them.

Each incident is a row of `alert_incidents`, keyed by the `Notification.incident_key` of every
notification about it. Opening and resolving are compare-and-set statements on that row (an
insert that does nothing on conflict, updates guarded by `is_open`), committed together with the
notifications: of two workers checking at once (a tick and a sync's end), exactly one raises,
and one resolves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from db.models import AlertIncident, LogLevel, Role, Trainer, utcnow
from integrations.core import audit, registry
from integrations.core.integration import AlertFinding, incident_key
from integrations.core.notifications import managers_and_trainer
from integrations.monitoring.health import as_utc
from integrations.monitoring.notices import for_reader, notify_in_their_language, text

# Defined here before issue 9; the rules' own names are in google_calendar.alert_rules.
Finding = AlertFinding
__all__ = ["Finding", "incident_key"]

log = logging.getLogger(__name__)

RESOLVE_AFTER = timedelta(minutes=10)
"""An incident is resolved only once its condition has stayed clear this long, so that a rule
that flaps (fail, succeed, fail) does not send a raise and a resolve each time."""


def _owner(rule: str) -> tuple[str | None, timedelta]:
    """The integration that raises `rule`, and how long its condition must stay clear; a rule no
    registered integration claims (any more) resolves after `RESOLVE_AFTER`."""
    for integration in registry.integrations():
        rules = integration.alert_rules()
        if rule in rules:
            return integration.name, rules[rule]
    return None, RESOLVE_AFTER


def resolve_after(rule: str) -> timedelta:
    return _owner(rule)[1]


#: `AlertIncident.raised_by` of every incident this module opens (the only writer since issue 9,
#: point 2; older rows may read "sync", from when the sync engine announced some itself).
RAISED_BY = "alerts"


@dataclass
class Evaluation:
    """What holds now: findings to raise, keys held back by a more basic incident, and the
    incidents that were open when it was read (a snapshot: another worker may act meanwhile)."""

    firing: list[AlertFinding] = field(default_factory=list)
    held_back: set[str] = field(default_factory=set)
    open: list[OpenIncident] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class OpenIncident:
    incident_key: str
    rule: str
    trainer_id: str | None
    opened_at: datetime
    clear_since: datetime | None


@dataclass
class AlertReport:
    raised: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)


# --- Evaluation -------------------------------------------------------------------------------


def evaluate(session: Session, now: datetime, trainer_id: str | None = None) -> Evaluation:
    """Every registered integration's rules for every trainer (or only `trainer_id`), and the
    incidents open now (of that trainer)."""
    evaluation = Evaluation()
    for integration in registry.integrations():
        found = integration.alert_findings(session, now, trainer_id)
        evaluation.firing += found.firing
        evaluation.held_back |= found.held_back
    table = _table()
    query = sa.select(
        table.c.incident_key,
        table.c.rule,
        table.c.trainer_id,
        table.c.opened_at,
        table.c.clear_since,
    ).where(table.c.is_open)
    if trainer_id is not None:
        query = query.where(table.c.trainer_id == trainer_id)
    evaluation.open = [
        OpenIncident(r[0], r[1], r[2], as_utc(r[3]) or now, as_utc(r[4]))
        for r in session.execute(query).all()
    ]
    return evaluation


# --- Applying: open, hold, resolve -------------------------------------------------------------


def check_alerts(
    session: Session, now: datetime | None = None, *, trainer_id: str | None = None
) -> AlertReport:
    """Evaluate every rule and raise or resolve incidents, for every trainer or only for
    `trainer_id` (right after their sync ended); safe to run on two workers at once."""
    now = now or utcnow()
    return apply(session, evaluate(session, now, trainer_id), now)


def apply(session: Session, evaluation: Evaluation, now: datetime) -> AlertReport:
    """Turn an evaluation into notifications. Decisions are compare-and-set on the incident rows,
    so an evaluation that another worker has already acted on changes nothing."""
    report = AlertReport()
    session.commit()  # every compare-and-set below starts a transaction of its own
    firing = {finding.key: finding for finding in evaluation.firing}
    for key, finding in firing.items():
        if _open(session, finding, now):
            report.raised.append(key)
    for row in evaluation.open:
        if row.incident_key in firing:
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
    if report.raised or report.resolved:
        log.info(
            "alerts: %d raised, %d resolved",
            len(report.raised),
            len(report.resolved),
            extra={"event": "alerts_checked"},
        )
    return report


def _table() -> Any:
    return AlertIncident.__table__  # type: ignore[attr-defined]


def _open(session: Session, finding: AlertFinding, now: datetime) -> bool:
    """Open the finding's incident and notify, unless it is open (by this worker earlier or by
    another one just now): True when this call raised it. Claims use RETURNING: with psycopg,
    SQLAlchemy reports -1 as the row count of an INSERT ... ON CONFLICT DO NOTHING."""
    table = _table()
    if session.execute(
        sa.select(table.c.incident_key).where(table.c.incident_key == finding.key, table.c.is_open)
    ).first():
        return False
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    try:
        claimed = session.execute(
            insert(table)
            .values(
                incident_key=finding.key,
                rule=finding.rule,
                trainer_id=finding.trainer_id,
                is_open=True,
                opened_at=now,
                raised_by=RAISED_BY,
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
                    raised_by=RAISED_BY,
                    occurrences=table.c.occurrences + 1,
                    detail=finding.detail,
                )
                .returning(table.c.incident_key)
            ).first()
        if claimed is None:
            session.rollback()
            return False
        _notify_all(session, finding.trainer_id, finding, resolved=False, now=now)
        audit.record(
            session,
            "alert_raised",
            f"{finding.rule}: {finding.detail}",
            level=LogLevel.WARNING,
            trainer_id=finding.trainer_id,
            integration=_owner(finding.rule)[0],
            details={"incident_key": finding.key, "raised_by": RAISED_BY},
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return True


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
        finding = AlertFinding(
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
            f"{row.rule}: resolved after {_duration(now - (finding.since or now), 'en')}",
            trainer_id=row.trainer_id,
            integration=_owner(row.rule)[0],
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
    session: Session,
    trainer_id: str | None,
    finding: AlertFinding,
    *,
    resolved: bool,
    now: datetime,
) -> None:
    def compose(locale: str, role: Role) -> tuple[str, str]:
        rule = text(f"alert.rule.{finding.rule}", locale)
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
        f"alert:{finding.rule}" + (":resolved" if resolved else ""),
        compose,
        session=session,
        trainer_id=trainer_id,
        incident_key=finding.key,
    )
