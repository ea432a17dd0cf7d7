"""Everyone: their notifications, unread first; mark one or all read."""

from __future__ import annotations

import streamlit as st

from integrations.core.access import Actor
from integrations.core.errors import NotFound
from integrations.core.notifications import list_notifications, mark_all_read, mark_read
from integrations.monitoring import links
from integrations.runtime import session as open_session
from pages._plain import plain
from pages._shell import display_zone, local_time, require_login, t

actor = require_login()


def link_for(link: str | None, viewer: Actor) -> str | None:
    """The page a notification points at, as this person can open it: a manager told about a
    trainer's Google connection opens the trainers' overview, not the trainer's own page."""
    if not link:
        return None
    if link == links.GOOGLE_CONNECTION and viewer.role != "trainer":
        return links.TRAINERS
    return link


st.title(t("page.notifications"))
zone = display_zone()

with open_session() as session:
    notes = list_notifications(actor, session=session)

if not notes:
    st.info(t("notifications.empty"))
    st.stop()

st.caption(t("shell.times_in", zone=zone))
if any(note.read_at is None for note in notes) and st.button(
    t("notifications.mark_all"), key="notifications_mark_all"
):
    with open_session() as session:
        mark_all_read(actor, session=session)
    st.rerun()

for note in notes:
    with st.container(border=True):
        title_column, action_column = st.columns([5, 1])
        badge = "🔵 " if note.read_at is None else ""
        title_column.markdown(f"{badge}**{plain(note.title)}**")
        title_column.caption(local_time(note.created_at, zone))
        if note.body:
            title_column.write(note.body)
        target = link_for(note.link, actor)
        if target and title_column.button(
            t("notifications.open"), key=f"notifications_open_{note.id}", type="tertiary"
        ):
            # Opening what a notification is about is reading it.
            if note.read_at is None:
                with open_session() as session:
                    mark_read(actor, note.id, session=session)
            st.switch_page(target)
        if note.read_at is None and action_column.button(
            t("notifications.mark_read"), key=f"notifications_read_{note.id}"
        ):
            try:
                with open_session() as session:
                    mark_read(actor, note.id, session=session)
            except NotFound:
                st.error(t("error.not_found"))
            st.rerun()
