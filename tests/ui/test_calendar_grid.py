"""The week and month grids' HTML: the first hour's label and its sessions share one origin,
short sessions get one line with their whole title in the tooltip and the accessible label, and
a run of Latin words in a Hebrew title (or Hebrew in a Latin one) is one block in its own
direction, so that a cut title ends in "…" at its logical end. Titles stay escaped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime

import pytest
import streamlit as st

from db.models import EventOrigin, SyncState
from integrations.crm.bookings import EventView
from integrations.crm.schedule import ScheduledEvent
from pages import _calendar
from pages._shell import LANG_KEY

SUNDAY, WEDNESDAY, SATURDAY = date(2026, 12, 6), date(2026, 12, 9), date(2026, 12, 12)
MIXED = "אימון עם Dana בפארק הירקון"


def session(title: str, start: tuple[int, int], end: tuple[int, int]) -> ScheduledEvent:
    event = EventView(
        id=title,
        title=title,
        start=datetime(2026, 12, 9, *start),
        end=datetime(2026, 12, 9, *end),
        all_day=False,
        client_id=None,
        client_name=None,
        origin=EventOrigin.GOOGLE,
        sync_state=SyncState.SYNCED,
        google_calendar_id="dana@gmail.com",
        location=None,
        description=None,
    )
    return ScheduledEvent(event, SyncState.SYNCED)


@pytest.fixture(params=["he", "en"])
def lang(request: pytest.FixtureRequest) -> Iterator[str]:
    st.session_state[LANG_KEY] = request.param
    yield str(request.param)
    del st.session_state[LANG_KEY]


def week(*items: ScheduledEvent) -> str:
    return _calendar.week_grid(list(items), SUNDAY, SATURDAY, WEDNESDAY)


def test_a_session_at_six_starts_on_the_line_of_the_six_oclock_label(lang: str) -> None:
    """The first hour had no label and its sessions sat above the first one shown (07:00)."""
    html = week(session("Sunrise run", (6, 0), (7, 0)), session("HIIT", (7, 0), (8, 0)))
    labels = dict(
        (hour, float(top))
        for top, hour in re.findall(r'class="nyev-hour" style="top:([\d.]+)px">(\d\d):00', html)
    )
    tops = [float(top) for top in re.findall(r'class="nyev-event[^"]*"[^>]*top:([\d.]+)px', html)]
    assert labels["06"] == tops[0] == _calendar.TOP_PX > 0  # room for the label over its line
    assert labels["07"] == tops[1] == _calendar.TOP_PX + _calendar.HOUR_PX
    assert f"background-position-y: {_calendar.TOP_PX}px" in html  # the drawn hour lines


def test_a_half_hour_session_is_one_line_with_its_whole_title_on_hover_and_read_aloud(
    lang: str,
) -> None:
    html = week(session(MIXED, (9, 0), (9, 30)), session("Strength", (11, 0), (12, 0)))
    short, long = re.findall(r'<div class="nyev-event[^"]*"[^>]*>', html)
    assert 'class="nyev-event nyev-short"' in short and "nyev-short" not in long
    assert f"\n{MIXED}\n" in re.search(r'title="([^"]*)"', short)[1]  # type: ignore[index]
    label = re.search(r'aria-label="([^"]*)"', short)[1]  # type: ignore[index]
    assert MIXED in label and "09:00–09:30" in label
    # One line: the start only (the tooltip has both ends), then the title.
    assert '<span dir="ltr">09:00</span></div><div class="nyev-title" dir="rtl">' in html


def test_hours_read_left_to_right_in_the_hebrew_grid(lang: str) -> None:
    """06:00–07:00 in a right-to-left line used to read 07:00–06:00."""
    assert '<span dir="ltr">06:00–07:00</span>' in week(session("Run", (6, 0), (7, 0)))


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            MIXED,
            '<span class="nyev-title" dir="rtl">אימון עם <span class="nyev-run" dir="ltr">'
            "Dana</span> בפארק הירקון</span>",
        ),
        (
            "אימון עם Dana Levi בפארק",
            '<span class="nyev-title" dir="rtl">אימון עם <span class="nyev-run" dir="ltr">'
            "Dana Levi</span> בפארק</span>",
        ),
        (
            "Session with דנה כהן",
            '<span class="nyev-title" dir="ltr">Session with <span class="nyev-run" dir="rtl">'
            "דנה כהן</span></span>",
        ),
        ("Strength training", '<span class="nyev-title" dir="ltr">Strength training</span>'),
        ("10:00 – 11:00", '<span class="nyev-title" dir="auto">10:00 – 11:00</span>'),
    ],
)
def test_a_title_keeps_its_own_direction_and_other_words_are_one_block(
    title: str, expected: str
) -> None:
    """Whatever the page's language: the direction is the title's first letter's."""
    assert _calendar._title(title) == expected


def test_a_title_with_markup_stays_text_in_every_place_it_is_shown(lang: str) -> None:
    title = '<img src=x onerror=alert(1)> "Dana" & <b>שירה</b>'
    item = session(title, (9, 0), (9, 30))
    month = _calendar.month_grid([item], date(2026, 12, 1), date(2026, 12, 31), WEDNESDAY)
    for html in (week(item), month):
        assert "<img" not in html and "<b>שירה" not in html and '"Dana"' not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert 'aria-label="09:00–09:30 &lt;img' in html


def test_a_busy_day_in_the_month_lists_four_and_counts_the_rest(lang: str) -> None:
    items = [session(f"{MIXED} {n}", (8 + n, 0), (8 + n, 30)) for n in range(6)]
    html = _calendar.month_grid(items, date(2026, 12, 1), date(2026, 12, 31), WEDNESDAY)
    assert html.count('class="nyev-chip"') == 4
    assert ("עוד 2" if lang == "he" else "+2 more") in html
    assert html.count('<span class="nyev-run" dir="ltr">Dana</span>') == 4
