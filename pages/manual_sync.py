"""Staff and managers: sync one, several or all trainers now, and watch it happen.

The syncs run on the worker; this page only queues them and follows their progress.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from db.models import utcnow
from integrations.core.access import Capability
from integrations.google_calendar.service import manual_progress, start_manual_sync
from integrations.runtime import session as open_session
from integrations.trainers import list_trainer_overviews
from pages._shell import (
    display_zone,
    keep_choices,
    local_time,
    require,
    status_label,
    t,
    table,
)

BATCH_KEY = "manual_sync_batch"
actor = require(Capability.TRIGGER_SYNC)
if actor.role == "trainer":  # trainers sync from their own Google connection page
    st.error(t("shell.denied"))
    st.stop()
st.title(t("page.manual_sync"))
keep_choices("manual_sync", ["manual_sync_pick"])

with open_session() as session:
    trainers = list_trainer_overviews(actor, session=session)
names = {o.id: o.name for o in trainers}
google_state = {o.id: o.google_status for o in trainers}

everyone = st.toggle(t("manual.all"), value=True, key="manual_sync_all")
chosen = (
    list(names)
    if everyone
    else st.multiselect(
        t("manual.pick"),
        list(names),
        format_func={
            i: f"{n} ({status_label(google_state[i])})" for i, n in names.items()
        }.__getitem__,
        placeholder=t("manual.pick_placeholder"),
        select_all=False,  # the toggle above already chooses everyone
        key="manual_sync_pick",
    )
)
st.caption(t("manual.explain"))
if st.button(t("manual.start"), type="primary", disabled=not chosen, key="manual_sync_start"):
    batch = start_manual_sync(actor, chosen)
    st.session_state[BATCH_KEY] = {"ids": chosen, "since": batch.started_at - timedelta(seconds=1)}


@st.fragment(run_every=2)
def follow() -> None:
    batch = st.session_state.get(BATCH_KEY)
    if not batch:
        return
    progress = manual_progress(actor, batch["ids"], batch["since"])
    done = sum(1 for p in progress if p.finished)
    st.progress(
        done / len(progress) if progress else 1.0,
        text=t("manual.progress", done=done, total=len(progress)),
    )
    table(
        [
            {
                t("col.name"): p.name,
                t("manual.state"): t(f"manual.state.{p.state}"),
                t("manual.fetched"): p.fetched,
                t("manual.changed"): p.created + p.updated + p.deleted,
                t("manual.pushed"): p.pushed,
                t("manual.conflicts"): p.conflicts,
                t("manual.seconds"): round(p.duration_ms / 1000, 1)
                if p.duration_ms is not None
                else "—",
                t("manual.error"): p.error or "",
            }
            for p in progress
        ]
    )
    failed = [p.trainer_id for p in progress if p.state == "failed"]
    if failed and st.button(t("manual.retry", count=len(failed)), key="manual_sync_retry"):
        retry = start_manual_sync(actor, failed)
        st.session_state[BATCH_KEY] = {
            "ids": batch["ids"],
            "since": retry.started_at - timedelta(seconds=1),
        }
        st.rerun()
    if done == len(progress) and progress:
        st.success(t("manual.finished", at=local_time(utcnow(), display_zone(), "%H:%M")))


follow()
