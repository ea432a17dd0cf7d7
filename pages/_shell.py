"""What every page shares: the acting user, the language, translations and local times."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from db.models import Role
from integrations.config import get_settings
from integrations.core.access import Actor, Capability
from integrations.core.errors import AccessDenied, IntegrationError, InvalidInput, NotFound
from integrations.crm import accounts
from integrations.crm.bookings import in_zone
from integrations.messages import MESSAGES, RTL_LANGUAGES, text
from integrations.runtime import session as open_session

ACTOR_KEY = "shell_actor"
LANG_KEY = "shell_lang"
LOCALE_LOADED_KEY = "shell_locale_loaded"
#: (trainer id, zone): the logged-in trainer's own time zone, looked up once per session.
ZONE_KEY = "shell_zone"
#: Seconds between refreshes of a part of a page that follows a sync in flight.
LIVE_SECONDS = 3


def lang() -> str:
    return str(st.session_state.get(LANG_KEY, "he"))


def t(key: str, **values: Any) -> str:
    """The text for `key` in the chosen language: `integrations.messages.text` (English when a
    translation is missing, the singular `key.one` with `count=1`, the key when undefined)."""
    return text(key, lang(), **values)


def is_rtl() -> bool:
    return lang() in RTL_LANGUAGES


def apply_direction() -> None:
    """Right-to-left layout for Hebrew: text, sidebar, widgets and their option lists mirror.

    Except what is read left to right even in Hebrew: code, the data grid (it draws on a canvas
    laid out left to right; `table()` isolates its Hebrew texts), and the values of date, time
    and number fields. A date or time field is a row of separate parts (day, month, year; hour,
    minute) that right to left would read 2026/11/28 or 00:18, and a negative number would
    show its minus sign on the wrong side; they stay left to right, set at the right edge.
    Their labels, and the order of the two ends of a date range, still follow the page.
    Streamlit's own "(required)" beside a label is English: it gets the catalogue's text.

    The sidebar stands at the right. Folded, Streamlit squeezes it to no width and shifts it
    left by its width, which takes a sidebar on the left off the screen but leaves one on the
    right over the page, its text one letter a line: folded, it leaves by the right edge
    instead, and the arrows that fold and unfold it point the other way.

    A table's first column (the name, say) stands at its right end (`table()`), but the grid
    scrolls like a left-to-right page and opens at its left end: wider than its place, it
    opened on its last columns, the name cut off. What it scrolls (glide's `.dvn-stack`) is as
    wide as its columns; `scroll-initial-target` opens the grid with that block's right edge
    in view (inline `end`; `none` keeps the rows at the top). It acts when a grid is first
    laid out; a rerun leaves the reader's own scrolling alone, and an English grid opens at
    its left end. Chrome, Edge and Chrome on Android have it (133 on); Safari and Firefox do
    not yet, and open the grid at its left end, as before.

    All of it is CSS, in one `<style>`-only `st.html`, which Streamlit puts in its event
    container, not in the page. Nothing here may add an element to the page: one that only
    Hebrew has shifts every element of every page by one place at each language switch, and
    then a switch now and then left the old language's heading, metrics and table on the page
    under the new one's heading for good: the server ran the page to its end, but the browser
    got its messages only up to the heading and showed the run as running (a hidden `<span>`,
    no script, was enough; bec7015's grid script was reverted for it in a4599e9).
    """
    if not is_rtl():
        return
    required = json.dumps(t("shell.required"), ensure_ascii=False)
    st.html(
        """<style>
        [data-testid="stAppViewContainer"], [data-testid="stSidebar"], [data-testid="stHeader"],
        [data-testid="stToast"], .stMarkdown, .stAlert, [data-testid="stSelectboxVirtualDropdown"],
        [data-testid="stMultiSelectDropdown"] { direction: rtl; text-align: right; }
        [data-testid="stSidebarNav"] a { flex-direction: row-reverse; }
        [data-testid="stSidebar"][data-collapsed="true"] { transform: translateX(100vw); }
        :is([data-testid="stSidebarCollapseButton"], [data-testid="stExpandSidebarButton"])
            [data-testid="stIconMaterial"] { display: inline-block; transform: scaleX(-1); }
        [data-testid="stDataFrame"] .dvn-scroll-inner > .dvn-stack {
            scroll-initial-target: nearest; scroll-snap-align: none end;
        }
        [data-testid="stHeading"] :is(h1, h2, h3, h4, h5, h6) { text-align: right; }
        code, pre, [data-testid="stDataFrame"] { direction: ltr; }
        :is([data-testid="stDateInput"], [data-testid="stTimeInput"],
            [data-testid="stDateTimeInput"]) [role="group"] {
            direction: ltr; justify-content: flex-end;
        }
        [data-testid="stNumberInputField"] { direction: ltr; text-align: right; }
        [data-testid="stWidgetLabelRequired"] { margin: 0 0.375rem 0 0; font-size: 0; }
        [data-testid="stWidgetLabelRequired"]::after { content: REQUIRED; font-size: 0.75rem; }
        </style>""".replace("REQUIRED", required)
    )


def keep_choices(page: str, keys: Iterable[str]) -> None:
    """Keep each choice widget's value, and show it in the new language, after a switch.

    A selectbox, radio, multiselect or segmented control hands the browser the label of its
    choice, not the value: after a switch the browser still holds the old language's label,
    which matches no option, so the widget keeps showing it (or falls back to its default).
    Giving each its value again, before the widget is drawn, makes Streamlit send the new
    label. Call it at the top of the page with the keys of the widgets whose option labels
    come from `t()`; only those already in session state are touched.
    """
    marker = f"{page}_labels_lang"
    if st.session_state.get(marker) == lang():
        return
    for key in keys:
        if key in st.session_state:
            # Read through the previous run's labels, written back as the value itself.
            st.session_state[key] = st.session_state[key]
    st.session_state[marker] = lang()


def relabel_choices_next_run(page: str) -> None:
    """After a change that renames options (a user's role in their label, say): make the next
    `keep_choices` of this page give the choices their values again, as after a switch."""
    st.session_state.pop(f"{page}_labels_lang", None)


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


def recheck(capability: Capability, trainer_id: str | None = None) -> Actor:
    """The acting user as the store has them now, for a part of a page that refreshes by
    itself (an `st.fragment`): such a run skips the login gate in app.py, so the actor cached
    at login would keep seeing data after a manager turned their access off. Someone turned
    off, or no longer allowed this, is told so and the fragment stops, showing nothing."""
    actor = current_actor()
    fresh = None
    if actor is not None:
        with open_session() as session:
            fresh = accounts.still_active(actor, session=session)
    if fresh is None:
        st.session_state.pop(ACTOR_KEY, None)
        st.error(t("shell.access_off"))
        st.stop()
    if not fresh.can(capability, trainer_id or fresh.trainer_id):
        st.error(t("shell.denied"))
        st.stop()
    assert fresh is not None
    st.session_state[ACTOR_KEY] = fresh
    return fresh


def refresh_every(in_flight: bool, seconds: float = LIVE_SECONDS) -> float | None:
    """The `run_every` of a fragment that shows sync state: every few seconds while something
    is in flight (a sync queued or running, events waiting to reach Google), not at all once
    nothing is, so an idle page costs nothing. Any page can use it:
    `st.fragment(run_every=refresh_every(busy))(draw)()`; the fragment re-reads whether it is
    still busy on each run and reruns the page once it is not, to stop polling."""
    return seconds if in_flight else None


def require_login() -> Actor:
    """Any logged-in, invited user (for pages about one's own things, like notifications)."""
    actor = current_actor()
    if actor is None:
        st.error(t("shell.denied"))
        st.stop()
    assert actor is not None
    return actor


def display_zone() -> str:
    """The IANA zone the person reads times in: a trainer their own, everyone else the default.

    Staff and managers look at many trainers, so their pages speak the organisation's zone. A
    trainer's zone is read from the store once per session (a page calls this on every run),
    and a zone this machine cannot load falls back to the default rather than failing the page.
    """
    default = get_settings().DEFAULT_TIMEZONE
    actor = current_actor()
    if actor is None or actor.trainer_id is None or actor.role is not Role.TRAINER:
        return default
    cached = st.session_state.get(ZONE_KEY)
    if isinstance(cached, tuple) and cached[0] == actor.trainer_id:
        return str(cached[1])
    with open_session() as session:
        zone = accounts.trainer_timezone(actor, session=session) or default
    st.session_state[ZONE_KEY] = (actor.trainer_id, zone)
    return zone


WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "he": ("יום ב׳", "יום ג׳", "יום ד׳", "יום ה׳", "יום ו׳", "שבת", "יום א׳"),
}


def local_time(value: datetime | None, zone: str, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A UTC time as the trainer reads it, in their own time zone; `%a` in the UI's language."""
    if value is None:
        return "—"
    local = in_zone(value, ZoneInfo(zone))
    if "%a" in fmt:
        fmt = fmt.replace("%a", WEEKDAYS.get(lang(), WEEKDAYS["en"])[local.weekday()])
    return local.strftime(fmt)


def error_message(error: IntegrationError, page: str) -> str:
    """A service's refusal in the person's language. The service's own text is English and
    written for logs: a refused value gets the page's line for its field and reason
    (`<page>.invalid.<field>.<reason>`, else `<page>.invalid.<field>`), anything else the
    page's `<page>.failed` or a line for its kind."""
    if isinstance(error, InvalidInput):
        exact = f"{page}.invalid.{error.field}.{error.reason}"
        if error.reason and exact in MESSAGES:
            return t(exact)
        if f"{page}.invalid.{error.field}" in MESSAGES:
            return t(f"{page}.invalid.{error.field}")
    if isinstance(error, AccessDenied):
        return t("error.denied")
    if isinstance(error, NotFound):
        return t("error.not_found")
    return t(f"{page}.failed" if f"{page}.failed" in MESSAGES else "error.failed")


def status_label(status: str) -> str:
    return t(f"status.{status}")


def outcome_label(outcome: str | None) -> str:
    return t(f"outcome.{outcome}") if outcome else "—"


_HEBREW = re.compile(r"[\u0590-\u05ff]")
_HEBREW_WORDS_ONLY = re.compile(r"[\u0590-\u05ff\s]+")
RLI, PDI = "\u2067", "\u2069"  # right-to-left isolate, pop directional isolate


def isolate_rtl(text: str) -> str:
    """Hebrew text that also holds Latin, digits or punctuation, wrapped in a right-to-left
    isolate so that it reads right to left where the layout is left to right: the data grid
    draws on a left-to-right canvas, where "נקראו מ-Google" would show as "Google-נקראו מ".
    Plain Hebrew words read correctly as they are, and stay untouched."""
    if not _HEBREW.search(text) or _HEBREW_WORDS_ONLY.fullmatch(text):
        return text
    return f"{RLI}{text}{PDI}"


def table(rows: list[dict[str, Any]], *, every_row: bool = False) -> None:
    """A read-only table; in Hebrew the first column stands at the right, as a reader expects,
    and headers and texts that mix Hebrew with Latin read right to left (`isolate_rtl`).

    The grid shows ten rows and scrolls inside itself; `every_row` makes it as tall as its rows
    (for a short list a person reads to the end, such as a week of sessions).

    A missing value shows as "—" (the grid would print "None"); numbers stay numbers.
    """
    if is_rtl():
        rows = [
            {
                isolate_rtl(column): isolate_rtl(value) if isinstance(value, str) else value
                for column, value in row.items()
            }
            for row in rows
        ]
    columns = list(rows[0]) if rows else []
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_order=list(reversed(columns)) if is_rtl() else columns,
        placeholder="—",
        height="content" if every_row else "auto",
    )
