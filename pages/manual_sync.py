"""Staff and managers: sync one, several or all trainers now, and watch it happen.

The syncs run on the worker; this page only queues them and follows their progress.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import streamlit as st

from integrations.core.access import Capability
from integrations.crm.trainers import list_trainer_overviews
from integrations.google_calendar.manual import TrainerProgress, last_finished_at
from integrations.google_calendar.service import manual_progress, start_manual_sync
from integrations.messages import MESSAGES
from integrations.runtime import session as open_session
from pages._plain import plain
from pages._shell import (
    display_zone,
    keep_choices,
    local_time,
    recheck,
    require,
    status_label,
    t,
    table,
)

BATCH_KEY = "manual_sync_batch"
#: Error kinds whose explanation says a retry now fails again (the trainer must reconnect;
#: Google's daily quota is spent): no retry button is offered beside them.
RETRY_FUTILE = frozenset({"needs_reauth", "quota_exceeded"})
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
    since = batch.started_at - timedelta(seconds=1)
    st.session_state[BATCH_KEY] = {"ids": chosen, "since": dict.fromkeys(chosen, since)}


def batch_progress(batch: dict[str, Any]) -> list[TrainerProgress]:
    """Each trainer's latest run since it was (re)started: a retry restarts only the failed
    ones, and the others keep showing the runs they already finished."""
    starts: dict[datetime, list[str]] = {}
    for trainer_id in batch["ids"]:
        starts.setdefault(batch["since"][trainer_id], []).append(trainer_id)
    found = {
        p.trainer_id: p for since, ids in starts.items() for p in manual_progress(actor, ids, since)
    }
    return [found[trainer_id] for trainer_id in batch["ids"] if trainer_id in found]


def kind_of(progress: TrainerProgress) -> str:
    """The run's error kind if the catalogue explains it, else "unknown" (an old run, or a
    kind added to the engine before its explanation)."""
    kind = progress.error_kind or "unknown"
    return kind if f"manual.fix.{kind}" in MESSAGES else "unknown"


def error_label(progress: TrainerProgress) -> str | None:
    """The short, translated name of what went wrong; the service's own text is English and
    written for logs, so it only appears under "technical details"."""
    if progress.state not in {"failed", "partial", "needs_reconnect"} or not (
        progress.error or progress.error_kind
    ):
        return None
    return t(f"health.kind.{kind_of(progress)}")


def show_outcome(progress: list[TrainerProgress]) -> None:
    """Once every run has ended: when the last one ended, and how many did not succeed."""
    if all(p.state == "not_connected" for p in progress):
        st.info(t("manual.finished_nothing"))
        return
    at = local_time(last_finished_at(progress), display_zone(), "%H:%M")
    failed = sum(1 for p in progress if p.state in {"failed", "needs_reconnect"})
    partial = sum(1 for p in progress if p.state == "partial")
    skipped = sum(1 for p in progress if p.state == "not_connected")
    total = len(progress)
    if failed:
        st.warning(t("manual.finished_failed", at=at, count=failed, total=total))
    elif partial:
        st.warning(t("manual.finished_partial", at=at, count=partial, total=total))
    elif skipped:
        # Not "all done": the ones without Google were not synced at all.
        synced = total - skipped
        st.warning(t("manual.finished_skipped", at=at, count=skipped, synced=synced, total=total))
    else:
        st.success(t("manual.finished", at=at))


def show_problems(progress: list[TrainerProgress]) -> None:
    """Each trainer whose run failed: what happened and what to do, in the reader's language;
    the raw text stays available for whoever has to dig further."""
    troubled = [p for p in progress if error_label(p) is not None]
    if not troubled:
        return
    st.subheader(t("manual.problems"))
    for p in troubled:
        st.markdown(f"**{plain(p.name)}**: {error_label(p)}. {t(f'manual.fix.{kind_of(p)}')}")
    with st.expander(t("manual.details")):
        for p in troubled:
            st.caption(plain(f"{p.name} ({p.error_kind or 'unknown'})"))
            st.code(p.error or "—", language=None, wrap_lines=True)


@st.fragment(run_every=2)
def follow() -> None:
    global actor  # the fragment's own runs re-read who is looking (access turned off)
    actor = recheck(Capability.TRIGGER_SYNC)
    batch = st.session_state.get(BATCH_KEY)
    if not batch:
        return
    progress = batch_progress(batch)
    done = sum(1 for p in progress if p.finished)
    st.progress(
        done / len(progress) if progress else 1.0,
        text=t("manual.progress", done=done, total=len(progress)),
    )
    # Missing numbers are None, never "—": a column mixing text and numbers cannot be
    # converted for the grid (Arrow), which logged a traceback on every refresh.
    table(
        [
            {
                t("col.name"): p.name,
                t("manual.state"): t(f"manual.state.{p.state}"),
                t("manual.fetched"): p.fetched,
                t("manual.changed"): p.changed,
                t("manual.pushed"): p.pushed,
                t("manual.conflicts"): p.conflicts,
                t("manual.seconds"): round(p.duration_ms / 1000, 1)
                if p.duration_ms is not None
                else None,
                t("manual.error"): error_label(p),
            }
            for p in progress
        ]
    )
    if done == len(progress) and progress:
        show_outcome(progress)
    failed = [
        p.trainer_id for p in progress if p.state == "failed" and kind_of(p) not in RETRY_FUTILE
    ]
    if failed and st.button(t("manual.retry", count=len(failed)), key="manual_sync_retry"):
        retry = start_manual_sync(actor, failed)
        since = retry.started_at - timedelta(seconds=1)
        batch["since"].update(dict.fromkeys(failed, since))
        st.rerun()
    show_problems(progress)


follow()
