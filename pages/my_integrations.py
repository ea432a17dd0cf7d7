"""A trainer's home: the state of each integration and the sessions coming up."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from integrations.core.access import Capability
from integrations.core.errors import InvalidInput
from integrations.google_calendar.service import after_local_change
from integrations.runtime import session as open_session
from integrations.sessions import create_session
from integrations.trainers import (
    NOT_CONNECTED,
    list_clients,
    list_trainer_overviews,
    list_upcoming_sessions,
)
from pages._shell import local_time, outcome_label, require, status_label, t, table

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

zone = overview.timezone
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
st.caption(t("mine.timezone", zone=zone))
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
    )

with st.expander(t("book.title")), st.form("book_session", clear_on_submit=True):
    with open_session() as session:
        clients = list_clients(actor, actor.trainer_id, session=session)
    client_names = {c.id: c.name for c in clients}
    title = st.text_input(t("book.what"), value=t("book.default_title"), key="book_title")
    client_id = st.selectbox(
        t("col.client"),
        [None, *client_names],
        format_func=lambda c: client_names.get(c, "—") if c else "—",
        key="book_client",
    )
    day_column, time_column, length_column = st.columns(3)
    day = day_column.date_input(t("book.day"), key="book_day")
    at = time_column.time_input(t("book.time"), value=time(7, 0), step=900, key="book_time")
    minutes = length_column.number_input(
        t("book.minutes"), 15, 240, 60, step=15, key="book_minutes"
    )
    if st.form_submit_button(t("book.submit"), type="primary"):
        start = datetime.combine(day, at, tzinfo=ZoneInfo(zone))
        values = {
            "title": title,
            "start_at": start,
            "end_at": start + timedelta(minutes=int(minutes)),
            "client_id": client_id,
        }
        try:
            with open_session() as session:
                create_session(actor, actor.trainer_id, values, session=session)
        except InvalidInput as error:
            st.error(str(error))
        else:
            after_local_change(actor.trainer_id)
            st.toast(t("book.saved"), icon="✅")
            st.rerun()
