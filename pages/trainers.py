"""Staff and managers: every trainer with the state of their integrations at a glance.

The counts and the table follow the sync by themselves (pages/_live.py): a trainer's last sync
shows when it ends, not at the next reload.
"""

from __future__ import annotations

import streamlit as st

from integrations.core.access import Capability
from integrations.crm.trainers import (
    SyncActivity,
    TrainerOverview,
    list_trainer_overviews,
    sync_activity,
)
from integrations.runtime import session as open_session
from pages._live import Handed, follow, say_activity
from pages._shell import local_time, outcome_label, recheck, require, status_label, t, table

actor = require(Capability.VIEW_ALL_TRAINERS)
st.title(t("page.trainers"))

with open_session() as session:
    activity = sync_activity(actor, session=session)
    handed = Handed((list_trainer_overviews(actor, session=session), activity))


def read() -> tuple[list[TrainerOverview], SyncActivity]:
    with open_session() as session:
        return list_trainer_overviews(actor, session=session), sync_activity(actor, session=session)


def overview() -> None:
    """The counts and the table, with a line while a sync is under way."""
    global actor  # the fragment's own runs re-read who is looking (access turned off)
    actor = recheck(Capability.VIEW_ALL_TRAINERS)
    overviews, now = handed.take(read)
    say_activity(now)
    if not overviews:
        st.info(t("trainers.empty"))
        return

    connected = sum(1 for o in overviews if o.google_status == "connected")
    attention = sum(
        1
        for o in overviews
        if o.google_status in {"needs_reauth", "error"} or o.last_sync_outcome == "failed"
    )
    total_column, connected_column, attention_column = st.columns(3)
    total_column.metric(t("trainers.count"), len(overviews))
    connected_column.metric(t("trainers.connected"), connected)
    attention_column.metric(t("trainers.attention"), attention)

    table(
        [
            {
                t("col.name"): o.name,
                t("col.email"): o.email,
                t("col.google"): status_label(o.google_status),
                t("col.google_account"): o.google_account or "—",
                t("col.last_sync"): local_time(o.last_sync_at, o.timezone),
                t("col.outcome"): outcome_label(o.last_sync_outcome),
                t("col.clients"): o.clients,
                t("col.upcoming"): o.upcoming_sessions,
            }
            for o in overviews
        ],
    )


follow(st.container(), overview, activity)
