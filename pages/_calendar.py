"""The events page's calendar: a week grid (hours down, days across) and a month grid, drawn as
plain HTML and CSS for `st.html`. In Hebrew the grid mirrors (Sunday at the right, hours at the
right) through `dir="rtl"` alone: positions use logical CSS properties, never left or right."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from db.models import SyncState
from integrations.crm.bookings import EventView
from integrations.crm.schedule import ScheduledEvent, week_containing
from pages._shell import WEEKDAYS, is_rtl, lang, t

HOUR_PX = 48
#: Room above the first hour's line for its label, which is centred on the line: the hour labels,
#: the lines and the sessions are all placed from this same origin.
TOP_PX = 10
#: Shorter sessions get one line (start and title) instead of the time above the title.
SHORT_MINUTES = 45
MONTH_CHIPS = 4  # sessions listed in a month cell before "+N more"

#: Background, edge colour and icon of each sync state; the icon carries the meaning too, for
#: anyone who cannot tell the colours apart.
STATE_STYLE: dict[SyncState, tuple[str, str, str]] = {
    SyncState.SYNCED: ("#e6f4ea", "#1e8e3e", "🟢"),
    SyncState.PENDING: ("#fef7e0", "#e3a100", "🟡"),
    SyncState.CONFLICT: ("#feefe3", "#e8710a", "🟠"),
    SyncState.ERROR: ("#fce8e6", "#d93025", "🔴"),
    SyncState.LOCAL_ONLY: ("#f1f3f4", "#80868b", "⚪"),
}

_CSS = """<style>
.nyev { font-size: 0.8rem; line-height: 1.25; color: #202124; }
.nyev-week, .nyev-month { display: grid; border: 1px solid #dadce0; border-radius: 8px;
  overflow: hidden; margin-bottom: 0.75rem; background: #fff; }
.nyev-week { grid-template-columns: 3.2rem repeat(7, minmax(0, 1fr)); }
.nyev-month { grid-template-columns: repeat(7, minmax(0, 1fr)); }
.nyev-head { padding: 6px 4px; text-align: center; font-weight: 600; background: #f8f9fa;
  border-bottom: 1px solid #dadce0; border-inline-start: 1px solid #eceff1; }
.nyev-head.nyev-today { background: #e8f0fe; color: #1a56c4; }
.nyev-corner { background: #f8f9fa; border-bottom: 1px solid #dadce0; }
.nyev-allday-label { padding: 3px 4px; color: #5f6368; font-size: 0.7rem; text-align: center;
  border-bottom: 1px solid #dadce0; }
.nyev-allday { padding: 2px; border-bottom: 1px solid #dadce0;
  border-inline-start: 1px solid #eceff1; min-height: 1.4rem; }
.nyev-gutter { position: relative; }
.nyev-hour { position: absolute; inset-inline-end: 6px; transform: translateY(-50%);
  color: #5f6368; font-size: 0.7rem; }
.nyev-day { position: relative; border-inline-start: 1px solid #eceff1;
  background-image: linear-gradient(to bottom, #eceff1 1px, transparent 1px);
  background-size: 100% HOURpx; background-position-y: TOPpx; }
.nyev-outside { background-color: #f8f9fa; }
.nyev-event { position: absolute; box-sizing: border-box; padding: 2px 5px; overflow: hidden;
  border-radius: 5px; border-inline-start: 4px solid; font-size: 0.75rem;
  box-shadow: 0 1px 2px rgba(60, 64, 67, 0.25); }
.nyev-event div { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.nyev-event.nyev-short { display: flex; gap: 4px; align-items: baseline; padding: 1px 5px; }
.nyev-short > div { flex: none; }
.nyev-short > div.nyev-title { flex: 1 1 auto; min-width: 0; }
.nyev-run { display: inline-block; }
.nyev-day.nyev-today { background-color: #f5f9ff; }
.nyev-event b, .nyev-chip b { font-weight: 600; }
.nyev-chip { display: flex; gap: 4px; align-items: baseline; box-sizing: border-box;
  margin: 2px 0; padding: 1px 5px; border-radius: 4px; border-inline-start: 4px solid;
  white-space: nowrap; font-size: 0.75rem; }
.nyev-chip > * { flex: none; }
.nyev-chip > .nyev-title { flex: 1 1 auto; min-width: 0; overflow: hidden;
  text-overflow: ellipsis; }
.nyev[dir=rtl] .nyev-title { text-align: right; }
.nyev[dir=ltr] .nyev-title { text-align: left; }
.nyev-cell { min-height: 6.5rem; padding: 3px 4px; border-top: 1px solid #eceff1;
  border-inline-start: 1px solid #eceff1; }
.nyev-date { font-weight: 600; color: #3c4043; margin-bottom: 2px; }
.nyev-cell.nyev-today .nyev-date { color: #fff; background: #1a73e8; border-radius: 10px;
  padding: 0 6px; display: inline-block; }
.nyev-more { color: #5f6368; font-size: 0.72rem; }
.nyev-legend { display: flex; flex-wrap: wrap; gap: 6px 14px; margin: 0 0 8px; }
.nyev-legend span { padding: 1px 8px; border-radius: 4px; border-inline-start: 4px solid; }
</style>""".replace("HOUR", str(HOUR_PX)).replace("TOP", str(TOP_PX))


@dataclass(frozen=True, slots=True)
class _Segment:
    """The part of one event that falls on one day, in minutes from that day's midnight."""

    item: ScheduledEvent
    begins: int
    ends: int
    lane: int = 0
    lanes: int = 1


def _escape(value: str) -> str:
    return html.escape(value, quote=True)


def _direction(text: str) -> str | None:
    """ "rtl" or "ltr" after the first letter that has a direction; None without one."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return None


def _title(text: str, *, tag: str = "span", bold: bool = False) -> str:
    """The title, escaped, in its own direction (that of its first letter, whatever the page's),
    with each run of words in the other direction (a Latin name in a Hebrew title) made one
    inline block: a browser cuts an overflowing line by what it shows, so without this "Dana"
    at the cut would keep its end ("…na"); as a block it goes whole and the ellipsis stands at
    the title's logical end."""
    base = _direction(text)
    pieces: list[str] = []
    run: list[str] = []

    def close_run() -> None:
        if run:
            other = "ltr" if base == "rtl" else "rtl"
            words = "".join(run).rstrip()
            pieces.append(f'<span class="nyev-run" dir="{other}">{_escape(words)}</span>')
            pieces.append(_escape("".join(run)[len(words) :]))
            run.clear()

    for token in re.split(r"(\s+)", text):
        kind = _direction(token)
        other = base is not None and kind is not None and kind != base
        if other or (run and not token.strip()):  # spaces inside a run stay in it
            run.append(token)
        else:
            close_run()
            pieces.append(_escape(token))
    close_run()
    inner = "".join(pieces)
    if bold:
        inner = f"<b>{inner}</b>"
    return f'<{tag} class="nyev-title" dir="{base or "auto"}">{inner}</{tag}>'


def _label(item: ScheduledEvent) -> str:
    """What a screen reader says of a session: its hours, whole title and sync state."""
    return _escape(f"{hours(item.event)} {item.event.title} ({state_label(item.sync_state)})")


def _weekday(day: date) -> str:
    return WEEKDAYS.get(lang(), WEEKDAYS["en"])[day.weekday()]


def hours(event: EventView) -> str:
    """Like 07:00–08:00, or "All day"."""
    if event.all_day:
        return t("events.all_day")
    return f"{event.start:%H:%M}–{event.end:%H:%M}"


def state_label(state: SyncState) -> str:
    return f"{STATE_STYLE[state][2]} {t(f'events.state.{state.value}')}"


def _tooltip(item: ScheduledEvent) -> str:
    event = item.event
    lines = [
        f"{_weekday(event.start.date())} {event.start:%d/%m} {hours(item.event)}",
        event.title,
    ]
    if event.client_name:
        lines.append(f"{t('col.client')}: {event.client_name}")
    if event.location:
        lines.append(event.location)
    lines.append(f"{t('events.col.origin')}: {t(f'events.origin.{event.origin.value}')}")
    lines.append(state_label(item.sync_state))
    return _escape("\n".join(lines))


def _colours(item: ScheduledEvent) -> str:
    background, edge, _ = STATE_STYLE[item.sync_state]
    return f"background:{background};border-color:{edge};"


def _chip(item: ScheduledEvent, *, with_time: bool = False) -> str:
    """One line: the state's icon, the start time (in a month cell) and the title, which keeps
    its own direction (a Hebrew title in the English page still ends in "…" on its left)."""
    start = f"<b>{item.event.start:%H:%M}</b>" if with_time and not item.event.all_day else ""
    return (
        f'<div class="nyev-chip" style="{_colours(item)}" title="{_tooltip(item)}" '
        f'role="group" aria-label="{_label(item)}">'
        f'<span aria-hidden="true">{STATE_STYLE[item.sync_state][2]}</span>{start}'
        f"{_title(item.event.title)}</div>"
    )


def _covers(item: ScheduledEvent, day: date) -> bool:
    event = item.event
    last = (event.end - timedelta(microseconds=1)).date()
    return event.start.date() <= day <= last


def _segments(items: Iterable[ScheduledEvent], day: date) -> list[_Segment]:
    """Timed events of `day` in side-by-side lanes, so that overlapping ones stay readable."""
    pieces = []
    for item in items:
        event = item.event
        if event.all_day or not _covers(item, day):
            continue
        begins = 0 if event.start.date() < day else event.start.hour * 60 + event.start.minute
        ends = 24 * 60 if event.end.date() > day else event.end.hour * 60 + event.end.minute
        pieces.append(_Segment(item, begins, max(ends, begins + 1)))
    pieces.sort(key=lambda s: (s.begins, -s.ends))
    placed: list[_Segment] = []
    cluster: list[_Segment] = []
    lane_ends: list[int] = []

    def close_cluster() -> None:
        placed.extend(_Segment(s.item, s.begins, s.ends, s.lane, len(lane_ends)) for s in cluster)
        cluster.clear()
        lane_ends.clear()

    for piece in pieces:
        if cluster and piece.begins >= max(lane_ends):
            close_cluster()
        lane = next((i for i, end in enumerate(lane_ends) if end <= piece.begins), None)
        if lane is None:
            lane = len(lane_ends)
            lane_ends.append(piece.ends)
        else:
            lane_ends[lane] = piece.ends
        cluster.append(_Segment(piece.item, piece.begins, piece.ends, lane))
    close_cluster()
    return placed


def _hour_window(items: list[ScheduledEvent]) -> tuple[int, int]:
    """06:00 to 22:00, widened to show every timed event of the week."""
    first, last = 6, 22
    for item in items:
        event = item.event
        if event.all_day:
            continue
        if event.start.date() == event.end.date():
            first = min(first, event.start.hour)
            last = max(last, event.end.hour + (1 if event.end.minute else 0))
        else:
            first, last = 0, 24
    return first, last


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def legend() -> str:
    spans = "".join(
        f'<span style="background:{bg};border-color:{edge}">{icon} '
        f"{_escape(t(f'events.state.{state.value}'))}</span>"
        for state, (bg, edge, icon) in STATE_STYLE.items()
    )
    return f'<div class="nyev-legend">{spans}</div>'


def _frame(body: str) -> str:
    direction = "rtl" if is_rtl() else "ltr"
    return f'{_CSS}<div class="nyev" dir="{direction}">{legend()}{body}</div>'


def week_grid(items: list[ScheduledEvent], first: date, last: date, today: date) -> str:
    """One grid per week (Sunday to Saturday) of [first, last]; days outside it are greyed."""
    start_hour, end_hour = _hour_window(items)
    height = (end_hour - start_hour) * HOUR_PX + TOP_PX
    weeks = []
    sunday, _ = week_containing(first)
    _, saturday_last = week_containing(last)
    days = _days(sunday, saturday_last)
    for offset in range(0, len(days), 7):
        week = days[offset : offset + 7]
        cells = ['<div class="nyev-corner"></div>']
        for day in week:
            marker = " nyev-today" if day == today else ""
            cells.append(
                f'<div class="nyev-head{marker}">{_escape(_weekday(day))} {day:%d/%m}</div>'
            )
        cells.append(f'<div class="nyev-allday-label">{_escape(t("events.all_day"))}</div>')
        for day in week:
            chips = "".join(
                _chip(item)
                for item in items
                if item.event.all_day and _covers(item, day) and first <= day <= last
            )
            cells.append(f'<div class="nyev-allday">{chips}</div>')
        marks = "".join(
            f'<div class="nyev-hour" style="top:{TOP_PX + (hour - start_hour) * HOUR_PX}px">'
            f"{hour:02d}:00</div>"
            for hour in range(start_hour, end_hour)
        )
        cells.append(f'<div class="nyev-gutter" style="height:{height}px">{marks}</div>')
        for day in week:
            outside = not first <= day <= last
            blocks = []
            for segment in [] if outside else _segments(items, day):
                top = TOP_PX + (segment.begins - start_hour * 60) * HOUR_PX / 60
                tall = max((segment.ends - segment.begins) * HOUR_PX / 60 - 2, 18)
                width = 100 / segment.lanes
                event = segment.item.event
                short = segment.ends - segment.begins < SHORT_MINUTES
                client = (
                    _title(event.client_name, tag="div")
                    if event.client_name and event.client_name not in event.title and not short
                    else ""
                )
                # Hours read left to right in Hebrew too (06:00–07:00, not 07:00–06:00).
                when = f"{event.start:%H:%M}" if short else hours(event)
                blocks.append(
                    f'<div class="nyev-event{" nyev-short" if short else ""}" '
                    f'title="{_tooltip(segment.item)}" role="group" '
                    f'aria-label="{_label(segment.item)}" style="'
                    f"top:{top:.1f}px;height:{tall:.1f}px;"
                    f"inset-inline-start:calc({segment.lane * width:.3f}% + 1px);"
                    f'width:calc({width:.3f}% - 3px);{_colours(segment.item)}">'
                    f'<div aria-hidden="true">{STATE_STYLE[segment.item.sync_state][2]} '
                    f'<span dir="ltr">{_escape(when)}</span></div>'
                    f"{_title(event.title, tag='div', bold=True)}{client}</div>"
                )
            shade = " nyev-outside" if outside else " nyev-today" if day == today else ""
            cells.append(
                f'<div class="nyev-day{shade}" style="height:{height}px">{"".join(blocks)}</div>'
            )
        weeks.append(f'<div class="nyev-week">{"".join(cells)}</div>')
    return _frame("".join(weeks))


def month_grid(items: list[ScheduledEvent], first: date, last: date, today: date) -> str:
    """Weeks as rows, Sunday to Saturday; each day lists its sessions by start time."""
    sunday, _ = week_containing(first)
    _, saturday = week_containing(last)
    cells = [
        f'<div class="nyev-head">{_escape(_weekday(sunday + timedelta(days=n)))}</div>'
        for n in range(7)
    ]
    for day in _days(sunday, saturday):
        outside = not first <= day <= last
        classes = "nyev-cell" + (" nyev-outside" if outside else "")
        classes += " nyev-today" if day == today else ""
        todays = [] if outside else [item for item in items if _covers(item, day)]
        todays.sort(key=lambda item: (not item.event.all_day, item.event.start))
        chips = "".join(_chip(item, with_time=True) for item in todays[:MONTH_CHIPS])
        if len(todays) > MONTH_CHIPS:
            chips += (
                f'<div class="nyev-more">'
                f"{_escape(t('events.more', count=len(todays) - MONTH_CHIPS))}</div>"
            )
        label = f"{day:%d/%m}" if day.day == 1 or day == sunday else f"{day.day}"
        cells.append(f'<div class="{classes}"><div class="nyev-date">{label}</div>{chips}</div>')
    return _frame(f'<div class="nyev-month">{"".join(cells)}</div>')
