"""Google Calendar as the shared monitoring sees it: its health tile and each trainer's
connection in the trainers' overview, read from the store in one statement each."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from db.models import ConnectionStatus, Integration, IntegrationCredential, SyncRun, Trainer
from integrations.core.integration import (
    NOT_CONNECTED,
    IntegrationHealth,
    IntegrationTile,
    Status,
    TrainerConnection,
)
from integrations.crm.trainers import working_trainer
from integrations.monitoring.health import as_utc, error_count, trainer_streaks


def health_tile(session: Session, now: datetime) -> IntegrationTile:
    """Trainers counted by connection status, the connected ones whose latest run failed, the
    latest good sync of anyone, and the error log's errors: `checkIntegrationHealth`."""
    # Only trainers still working here: someone turned off, or moved to staff, keeps their
    # rows but is no trainer to connect or fix.
    statuses: dict[str, int] = dict(
        session.execute(
            sa.select(col(IntegrationCredential.status), sa.func.count())
            .join(Trainer, col(Trainer.id) == col(IntegrationCredential.trainer_id))
            .where(
                col(IntegrationCredential.integration) == Integration.GOOGLE_CALENDAR,
                working_trainer(),
            )
            .group_by(col(IntegrationCredential.status))
        ).all()
    )
    trainers = session.execute(
        sa.select(sa.func.count()).select_from(Trainer).where(working_trainer())
    ).scalar_one()
    by_status = {status.value: int(statuses.get(status, 0)) for status in ConnectionStatus}
    by_status["not_connected"] = trainers - sum(by_status.values())
    streaks = trainer_streaks()
    connected = aliased(IntegrationCredential)
    failing, last_good = session.execute(
        sa.select(
            sa.func.count().filter(
                col(connected.status) == ConnectionStatus.CONNECTED,
                streaks.c.failures_in_a_row > 0,
            ),
            # The latest good sync of anyone, connected now or not, is the integration's last
            # sync: a max over per-trainer index seeks, not a scan of every run.
            sa.func.max(streaks.c.last_good_at),
        )
        .select_from(streaks)
        .join(
            connected,
            sa.and_(
                col(connected.trainer_id) == streaks.c.trainer_id,
                col(connected.integration) == Integration.GOOGLE_CALENDAR,
            ),
            isouter=True,
        )
    ).one()
    last_sync = as_utc(last_good)
    errors = error_count(session, Integration.GOOGLE_CALENDAR.value, now)
    broken = by_status[ConnectionStatus.NEEDS_REAUTH] + by_status[ConnectionStatus.ERROR]
    if broken or failing:
        status = Status.ERROR
    elif by_status[ConnectionStatus.CONNECTED]:
        status = Status.CONNECTED
    else:
        status = Status.DISCONNECTED
    return IntegrationTile(
        IntegrationHealth(Integration.GOOGLE_CALENDAR.value, status, last_sync, errors),
        by_status,
        int(failing or 0),
    )


def trainer_connections(
    session: Session, trainer_ids: sa.Select[Any]
) -> Mapping[str, TrainerConnection]:
    """Each trainer's Google connection and latest Google run (an index seek per trainer on
    (trainer_id, started_at), first row only); a trainer with neither is left out."""
    ids = trainer_ids.subquery("ids")
    trainer_id = next(iter(ids.c))
    latest_run_id = (
        sa.select(col(SyncRun.id))
        .where(
            col(SyncRun.trainer_id) == trainer_id,
            col(SyncRun.integration) == Integration.GOOGLE_CALENDAR,
        )
        .order_by(col(SyncRun.started_at).desc())
        .limit(1)
        .scalar_subquery()
    )
    trainers = sa.select(trainer_id.label("id"), latest_run_id.label("latest_run_id")).subquery(
        "trainers"
    )
    rows = session.execute(
        sa.select(
            trainers.c.id,
            col(IntegrationCredential.status),
            col(IntegrationCredential.account_email),
            col(SyncRun.started_at),
            col(SyncRun.outcome),
        )
        .join(
            IntegrationCredential,
            sa.and_(
                col(IntegrationCredential.trainer_id) == trainers.c.id,
                col(IntegrationCredential.integration) == Integration.GOOGLE_CALENDAR,
            ),
            isouter=True,
        )
        .join(SyncRun, col(SyncRun.id) == trainers.c.latest_run_id, isouter=True)
    ).all()
    return {
        row.id: TrainerConnection(
            status=row.status or NOT_CONNECTED,
            account=row.account_email,
            last_sync_at=row.started_at,
            last_sync_outcome=row.outcome,
        )
        for row in rows
        if row.status is not None or row.started_at is not None
    }
