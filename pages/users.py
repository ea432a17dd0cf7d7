"""Managers: who may log in, with which role; invite, change roles, deactivate."""

from __future__ import annotations

import streamlit as st

from db.models import Role
from integrations.config import get_settings
from integrations.core.access import Capability
from integrations.core.errors import IntegrationError
from integrations.crm import accounts
from integrations.runtime import session as open_session
from pages._shell import (
    display_zone,
    error_message,
    keep_choices,
    local_time,
    relabel_choices_next_run,
    require,
    t,
    table,
)

actor = require(Capability.ADMIN_USERS)
st.title(t("page.users"))
keep_choices(
    "users",
    [
        "users_invite_role",
        "users_pick",
        *(k for k in st.session_state if k.startswith("users_role_")),
    ],
)
ROLES = [role.value for role in Role]
# Labels computed now, in this run's language: format functions may be called outside the run.
ROLE_LABELS = {role: t(f"role.{role}") for role in ROLES}

flash = st.session_state.pop("users_flash", None)
if flash:
    st.toast(flash, icon="✅")

if st.session_state.pop("users_invite_done", False):
    # Emptied only after a successful invitation: a refused one keeps what was typed.
    # Set, not forgotten: a forgotten key would take the browser's last value back.
    for key in ("users_invite_email", "users_invite_name"):
        st.session_state[key] = ""

with st.expander(t("users.invite"), expanded=False), st.form("users_invite", clear_on_submit=False):
    email = st.text_input(t("users.email"), key="users_invite_email")
    name = st.text_input(t("users.name"), key="users_invite_name")
    role = st.selectbox(
        t("users.role"), ROLES, format_func=ROLE_LABELS.__getitem__, key="users_invite_role"
    )
    if st.form_submit_button(t("users.submit_invite"), type="primary"):
        try:
            with open_session() as session:
                user = accounts.invite_user(actor, email, role, session=session, name=name)
        except IntegrationError as error:
            st.error(error_message(error, "users"))
        else:
            st.session_state["users_flash"] = t(
                "users.invited",
                email=user.email,
                role=t(f"role.{user.role}"),
                url=get_settings().PUBLIC_URL,
            )
            st.session_state["users_invite_done"] = True
            st.rerun()

with open_session() as session:
    users = accounts.list_users(actor, session=session)

st.subheader(t("users.list"))
table(
    [
        {
            t("col.email"): u.email,
            t("col.name"): u.name,
            t("users.role"): t(f"role.{u.role}"),
            t("col.trainer"): u.trainer_name or "—",
            t("users.active"): t("users.active") if u.is_active else t("users.deactivated"),
            t("users.last_login"): local_time(u.last_login_at, display_zone())
            if u.last_login_at
            else t("users.never"),
        }
        for u in users
    ],
)

st.subheader(t("users.change"))
by_id = {u.id: u for u in users}
chosen = st.selectbox(
    t("users.pick"),
    list(by_id),
    format_func={u.id: f"{u.email} ({ROLE_LABELS[u.role]})" for u in users}.__getitem__,
    key="users_pick",
)
if chosen:
    target = by_id[chosen]
    role_column, access_column = st.columns(2)
    with role_column:
        # Seeded with the user's role, not given an `index`: see keep_choices.
        st.session_state.setdefault(f"users_role_{target.id}", target.role.value)
        new_role = st.selectbox(
            t("users.new_role"),
            ROLES,
            format_func=ROLE_LABELS.__getitem__,
            key=f"users_role_{target.id}",
        )
        if st.button(t("users.save_role"), key="users_save_role"):
            try:
                with open_session() as session:
                    accounts.change_role(actor, target.id, new_role, session=session)
            except IntegrationError as error:
                st.error(error_message(error, "users.change"))
            else:
                st.session_state["users_flash"] = t("users.role_saved")
                relabel_choices_next_run("users")  # the picker's label shows the role
                st.rerun()
    with access_column:
        label = t("users.deactivate") if target.is_active else t("users.reactivate")
        if st.button(label, key="users_toggle_active"):
            try:
                with open_session() as session:
                    accounts.set_user_active(
                        actor, target.id, not target.is_active, session=session
                    )
            except IntegrationError as error:
                st.error(error_message(error, "users.change"))
            else:
                st.session_state["users_flash"] = t("users.status_saved")
                st.rerun()
