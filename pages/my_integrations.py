"""A trainer's home: the state of each integration and the sessions coming up."""

from __future__ import annotations

import streamlit as st

from integrations.core.access import Capability
from integrations.runtime import session as open_session
from integrations.trainers import (
    NOT_CONNECTED,
    list_trainer_overviews,
    list_upcoming_sessions,
)
from pages._shell import (
    display_zone,
    local_time,
    outcome_label,
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
if overview is None:
    st.warning(t("mine.no_trainer"))
    st.stop()

zone = display_zone()
google, email, sms, payments = st.columns(4)
with google.container(border=True):
    st.subheader(t("integration.google_calendar"))
    icon = (
        "🟢"
        if overview.google_status == "connected"
        else "⚪"
        if overview.google_status == NOT_CONNECTED
        else "🟠"
    )
    st.markdown(f"{icon} **{status_label(overview.google_status)}**")
    if overview.google_account:
        st.caption(t("mine.account", account=overview.google_account))
    if overview.last_sync_at:
        st.caption(
            t(
                "mine.last_sync",
                when=local_time(overview.last_sync_at, zone),
                outcome=outcome_label(overview.last_sync_outcome),
            )
        )
    else:
        st.caption(t("mine.never_synced"))
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
