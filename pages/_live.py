"""Parts of a page that follow the sync by themselves: an `st.fragment` that redraws itself
every few seconds while a sync is queued or running or a change waits for Google, slowly
while Google pushes the trainer's changes (a push starts a sync at any time), and not at all
when nothing is under way.

How such a part is drawn keeps clicks and the page's own elements safe (pages reran by a
refresh dropped clicks and flash messages, e9e9972; Streamlit issue #16708):

- The part never reruns the page. Its pace is the one the page's last full run chose; the
  next full run (any click, any page change) chooses again. A part that found the sync over
  keeps asking at that pace until then: one cheap statement (`sync_activity`) and the part's
  own reads, never more.
- It is drawn last in the page's run, into a place kept for it (`st.container()`) where it
  stands: the browser starts its timer as the run ends, so a timed run never starts in the
  instant a full run is ending. A run of the part that started then would make Streamlit
  drop the full run's last messages, and with them the removal of elements the page no
  longer draws (two booking forms on one page, a click on the one left behind lost).
- Each full run of the page draws the part under a name of its own (`follow` counts the
  page's runs), so Streamlit gives it a fragment id of its own. A timer the browser still
  runs for an earlier run (it fires until the browser hears of the next run) names a
  fragment the page's last run no longer registered: Streamlit ignores that request
  (`AppSession.request_rerun`, "does not exist anymore") instead of starting a ScriptRunner
  beside the one that is ending. Only a timer armed by the run the browser has received in
  full (the part's `auto_rerun` is that run's last element) can start a run of the part.
  Under one id for every run, a timer that fired while a booking's run was ending did start
  one: Streamlit then dropped the booking run's messages still on their way, the "session
  booked" toast among them (a fresh-clone CI run, 79f10f2).
- What it draws has the same places in every run and in both languages: the line saying
  what is under way is an `st.empty()` that stays when nothing is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from integrations.crm.trainers import SyncActivity
from pages._shell import refresh_every, t

#: Seconds between refreshes of an idle part whose trainers Google pushes changes for.
LISTENING_SECONDS = 30
#: How many full runs drew a part in this browser session (each run's part has its own id).
GENERATION_KEY = "live_generation"


def pace_of(activity: SyncActivity) -> float | None:
    """The `run_every` of a part showing this activity: fast while busy, slow while Google
    pushes, none when idle."""
    return refresh_every(activity.busy) or (LISTENING_SECONDS if activity.listening else None)


def say_activity(activity: SyncActivity) -> None:
    """A line saying what is under way; an empty place when nothing is."""
    line = st.empty()
    key = (
        "live.running"
        if activity.running
        else "live.queued"
        if activity.queued
        else "live.pushing"
        if activity.pushing
        else None
    )
    if key is not None:
        line.caption(f"🔄 {t(key)}")


class Handed:
    """What the page's own run read for the part, handed to the part's first run only: the
    part's later runs (its timer's) read afresh. No Streamlit internals are needed to tell
    the two apart."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def take(self, read: Callable[[], Any]) -> Any:
        value, self._value = self._value, None
        return read() if value is None else value


def follow(place: Any, part: Callable[[], None], activity: SyncActivity) -> None:
    """Draw `part` as a fragment in `place`, at the pace `activity` calls for, under a name
    that is this run's own. Call it as the last thing of the page's run (see the module's
    docstring)."""
    generation = int(st.session_state.get(GENERATION_KEY, 0)) + 1
    st.session_state[GENERATION_KEY] = generation

    def this_run() -> None:
        part()

    # Streamlit names a fragment by its function's module and qualified name and by its place.
    this_run.__qualname__ = f"{part.__qualname__}.run{generation}"
    with place:
        st.fragment(run_every=pace_of(activity))(this_run)()
