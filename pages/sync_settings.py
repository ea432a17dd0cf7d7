"""A trainer's sync settings: what syncs, which way, how often, into which calendar."""

from __future__ import annotations

import streamlit as st

from integrations.core.access import Capability
from integrations.core.errors import InvalidInput
from integrations.google_calendar.service import google_status, update_settings
from pages._shell import error_message, keep_choices, require, t

ERRORS_KEY = "sync_settings_errors"


actor = require(Capability.MANAGE_TRAINER)
trainer_id = actor.trainer_id
if trainer_id is None:
    st.warning(t("mine.no_trainer"))
    st.stop()
assert trainer_id is not None
st.title(t("page.sync_settings"))
keep_choices("sync_settings", ["sync_settings_direction", "sync_settings_frequency"])

status = google_status(actor, trainer_id)
if not status.calendars:
    st.info(t("settings.connect_first"))
    st.page_link("pages/google_connection.py", label=t("page.google_connection"), icon="📅")
    st.stop()

flash = st.session_state.pop("sync_settings_saved", None)
if flash:
    st.toast(t("settings.saved"), icon="✅")
errors: dict[str, str] = st.session_state.pop(ERRORS_KEY, {})


def field_error(name: str) -> None:
    if name in errors:
        st.error(errors[name], icon="⚠️")


calendars = {c.id: c for c in status.calendars}
writable = [c.id for c in status.writable_calendars]
DIRECTIONS = ["bidirectional", "to_google", "from_google"]
FREQUENCIES = ["realtime", "hourly", "daily"]
direction_labels = {d: t(f"settings.direction.{d}") for d in DIRECTIONS}
frequency_labels = {f: t(f"settings.frequency.{f}") for f in FREQUENCIES}
calendar_labels = {i: f"{c.summary}{' ★' if c.primary else ''}" for i, c in calendars.items()}
# The saved settings seed the choices; from then on each widget's state holds it (no `index`,
# which would clash with the value `keep_choices` gives back after a language switch).
st.session_state.setdefault("sync_settings_direction", status.sync_direction.value)
st.session_state.setdefault("sync_settings_frequency", status.sync_frequency.value)

with st.form("sync_settings_form"):
    auto = st.toggle(t("settings.auto"), value=status.auto_sync_enabled, key="sync_settings_auto")
    st.caption(t("settings.auto_help"))
    field_error("auto_sync_enabled")

    direction = st.radio(
        t("settings.direction"),
        DIRECTIONS,
        format_func=direction_labels.__getitem__,
        captions=[t(f"settings.direction.{d}.help") for d in DIRECTIONS],
        key="sync_settings_direction",
    )
    field_error("sync_direction")

    frequency = st.radio(
        t("settings.frequency"),
        FREQUENCIES,
        format_func=frequency_labels.__getitem__,
        captions=[t(f"settings.frequency.{f}.help") for f in FREQUENCIES],
        key="sync_settings_frequency",
    )
    field_error("sync_frequency")

    default_calendar = st.selectbox(
        t("settings.default_calendar"),
        writable,
        index=writable.index(status.default_calendar_id)
        if status.default_calendar_id in writable
        else 0,
        format_func=calendar_labels.__getitem__,
        key="sync_settings_default",
    )
    st.caption(t("settings.default_calendar_help"))
    field_error("default_calendar_id")

    imported = st.multiselect(
        t("settings.import"),
        list(calendars),
        default=[c for c in status.import_calendar_ids if c in calendars],
        format_func=calendar_labels.__getitem__,
        placeholder=t("settings.import_placeholder"),
        key="sync_settings_import",
    )
    st.caption(t("settings.import_help"))
    field_error("import_calendar_ids")

    if st.form_submit_button(t("settings.save"), type="primary"):
        try:
            update_settings(
                actor,
                trainer_id,
                {
                    "autoSyncEnabled": auto,
                    "syncDirection": direction,
                    "syncFrequency": frequency,
                    "defaultCalendarId": default_calendar,
                    "importCalendarIds": imported,
                },
            )
        except InvalidInput as error:
            message = error_message(error, "settings")
            if error.field == "import_calendar_ids" and not imported:
                # Nothing to bring in, yet a direction that brings Google's events in.
                message = t("settings.invalid.import_empty")
            st.session_state[ERRORS_KEY] = {error.field or "form": message}
        else:
            st.session_state["sync_settings_saved"] = True
        st.rerun()
field_error("form")
