"""What every page shares: the acting user, the language, translations and local times."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from integrations.config import get_settings
from integrations.core.access import Actor, Capability
from pages._messages import MESSAGES, RTL_LANGUAGES

ACTOR_KEY = "shell_actor"
LANG_KEY = "shell_lang"
LOCALE_LOADED_KEY = "shell_locale_loaded"


def lang() -> str:
    return str(st.session_state.get(LANG_KEY, "he"))


def t(key: str, **values: Any) -> str:
    """The text for `key` in the chosen language (English when a translation is missing)."""
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    text = entry.get(lang()) or entry["en"]
    return text.format(**values) if values else text


def is_rtl() -> bool:
    return lang() in RTL_LANGUAGES


def apply_direction() -> None:
    """Right-to-left layout for Hebrew: text, sidebar and widgets mirror."""
    if not is_rtl():
        return
    st.html(
        """<style>
        [data-testid="stAppViewContainer"], [data-testid="stSidebar"], [data-testid="stHeader"],
        [data-testid="stToast"], .stMarkdown, .stAlert { direction: rtl; text-align: right; }
        [data-testid="stSidebarNav"] a { flex-direction: row-reverse; }
        [data-testid="stHeading"] :is(h1, h2, h3, h4, h5, h6) { text-align: right; }
        code, pre, [data-testid="stDataFrame"] { direction: ltr; }
        </style>"""
    )


def current_actor() -> Actor | None:
    actor = st.session_state.get(ACTOR_KEY)
    return actor if isinstance(actor, Actor) else None


def require(capability: Capability, trainer_id: str | None = None) -> Actor:
    """The acting user if they may use this page; otherwise an error and the page stops."""
    actor = current_actor()
    if actor is None or not actor.can(capability, trainer_id or actor.trainer_id):
        st.error(t("shell.denied"))
        st.stop()
    assert actor is not None
    return actor


def require_login() -> Actor:
    """Any logged-in, invited user (for pages about one's own things, like notifications)."""
    actor = current_actor()
    if actor is None:
        st.error(t("shell.denied"))
        st.stop()
    assert actor is not None
    return actor


def display_zone() -> str:
    return get_settings().DEFAULT_TIMEZONE


WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "he": ("יום ב׳", "יום ג׳", "יום ד׳", "יום ה׳", "יום ו׳", "שבת", "יום א׳"),
}


def local_time(value: datetime | None, zone: str, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A UTC time as the trainer reads it, in their own time zone; `%a` in the UI's language."""
    if value is None:
        return "—"
    local = value.astimezone(ZoneInfo(zone))
    if "%a" in fmt:
        fmt = fmt.replace("%a", WEEKDAYS.get(lang(), WEEKDAYS["en"])[local.weekday()])
    return local.strftime(fmt)


def status_label(status: str) -> str:
    return t(f"status.{status}")


def outcome_label(outcome: str | None) -> str:
    return t(f"outcome.{outcome}") if outcome else "—"


def table(rows: list[dict[str, Any]]) -> None:
    """A read-only table; in Hebrew the first column stands at the right, as a reader expects."""
    columns = list(rows[0]) if rows else []
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_order=list(reversed(columns)) if is_rtl() else columns,
    )
