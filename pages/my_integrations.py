"""A trainer's home: the state of each integration and the sessions coming up.

The Google card follows the sync by itself (pages/_live.py): a first sync's end, a reconnect or
a booking on its way to Google shows without a reload.
"""

from __future__ import annotations

import streamlit as st

from integrations.core.access import Capability
from integrations.crm.trainers import (
    NOT_CONNECTED,
    SyncActivity,
    TrainerOverview,
    list_trainer_overviews,
    list_upcoming_sessions,
    sync_activity,
)
from integrations.runtime import session as open_session
from pages._live import Handed, follow, say_activity
from pages._shell import (
    display_zone,
    local_time,
    outcome_label,
    recheck,
    require,
    status_label,
    t,
    table,
)

actor = require(Capability.VIEW_TRAINER)
st.title(t("page.my_integrations"))
if actor.trainer_id is None:
    st.warning(t("mine.no_trainer"))
    st.stop()

with open_session() as session:
    overview = next(iter(list_trainer_overviews(actor, session=session)), None)
    upcoming = list_upcoming_sessions(actor, actor.trainer_id, session=session)
    activity = sync_activity(actor, [actor.trainer_id], session=session)
if overview is None:
    st.warning(t("mine.no_trainer"))
    st.stop()
handed = Handed((overview, activity))

zone = display_zone()


def read() -> tuple[TrainerOverview | None, SyncActivity]:
    with open_session() as session:
        return (
            next(iter(list_trainer_overviews(actor, session=session)), None),
            sync_activity(actor, [actor.trainer_id] if actor.trainer_id else [], session=session),
        )


def google_card() -> None:
    """The Google connection's state and last sync, with a line while a sync is under way.
    Every line has its place in every run (an empty one when there is nothing to say)."""
    global actor  # the fragment's own runs re-read who is looking (access turned off)
    actor = recheck(Capability.VIEW_TRAINER)
    shown, now = handed.take(read)
    st.subheader(t("integration.google_calendar"))
    state, account, last = st.empty(), st.empty(), st.empty()
    say_activity(now)
    if shown is None:
        return
    icon = (
        "🟢"
        if shown.google_status == "connected"
        else "⚪"
        if shown.google_status == NOT_CONNECTED
        else "🟠"
    )
    state.markdown(f"{icon} **{status_label(shown.google_status)}**")
    if shown.google_account:
        account.caption(t("mine.account", account=shown.google_account))
    if shown.last_sync_at:
        last.caption(
            t(
                "mine.last_sync",
                when=local_time(shown.last_sync_at, zone),
                outcome=outcome_label(shown.last_sync_outcome),
            )
        )
    else:
        last.caption(t("mine.never_synced"))


google, email, sms, payments = st.columns(4)
card = google.container(border=True)
for column, name in ((email, "email"), (sms, "sms"), (payments, "payments")):
    with column.container(border=True):
        st.subheader(t(f"integration.{name}"))
        st.markdown(f"⚪ {t('status.not_available')}")

st.subheader(t("mine.upcoming"))
st.caption(t("shell.times_in", zone=zone))
if not upcoming:
    st.info(t("mine.no_upcoming"))
else:
    table(
        [
            {
                t("col.when"): local_time(item.start_at, zone, "%a %d/%m %H:%M"),
                t("col.title"): item.title,
                t("col.client"): item.client_name or "—",
            }
            for item in upcoming
        ],
        every_row=True,
    )

st.page_link("pages/events.py", label=t("events.book_elsewhere"), icon="🗓️")

follow(card, google_card, activity)
