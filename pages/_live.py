"""Parts of a page that follow the sync state by themselves: an `st.fragment` refreshing every
few seconds while a sync is queued or running or a change waits for Google, slowly while Google
pushes the trainer's changes (a push starts a sync at any time), and not at all otherwise.

A fragment's `run_every` is fixed when the page draws it, so a part whose pace no longer fits
(the sync ended; a push started one) reruns the whole page once: the page's other parts show
the final state too, and the part starts again at its new pace, or stops.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from integrations.trainers import SyncActivity
from pages._shell import refresh_every, t

#: Seconds between refreshes of an idle part whose trainers Google pushes changes for: the
#: refresh that finds the sync a push started follows it every `LIVE_SECONDS` from there.
LISTENING_SECONDS = 30


def pace_of(activity: SyncActivity) -> float | None:
    """The `run_every` of a part showing this activity."""
    return refresh_every(activity.busy) or (LISTENING_SECONDS if activity.listening else None)


class Pace:
    """The pace a part was drawn at, from the activity the page read just before drawing it."""

    def __init__(self, activity: SyncActivity) -> None:
        self.activity = activity
        self.seconds = pace_of(activity)
        self._drawn = False

    def refreshing(self, read: Callable[[], SyncActivity]) -> bool:
        """Call first in the part, once access is rechecked. False on the page's own run (what
        the page read is current); on the part's own runs, True after reading the activity
        again, or a rerun of the whole page when its pace no longer fits."""
        if not self._drawn:
            self._drawn = True
            return False
        self.activity = read()
        if pace_of(self.activity) != self.seconds:
            st.rerun()
        return True


def live(part: Callable[[Pace], None], activity: SyncActivity) -> None:
    """Draw `part` as a fragment at the pace `activity` calls for; `part` gets the `Pace`."""
    pace = Pace(activity)
    st.fragment(run_every=pace.seconds)(part)(pace)


def say_activity(activity: SyncActivity) -> None:
    """A line saying what is under way, while something is."""
    if activity.running:
        st.caption(f"🔄 {t('google.sync_running')}")
    elif activity.queued:
        st.caption(f"🔄 {t('google.sync_waiting')}")
    elif activity.pushing:
        st.caption(f"🔄 {t('live.pushing')}")
