"""Managers: how every integration is doing (specification: "Monitoring", checkIntegrationHealth).

Tiles per integration, open alerts, charts of the chosen period, and the error log with filters,
a drill-down to the run and its log lines, and a CSV export. Two fragments refresh themselves
every `REFRESH_SECONDS` without rerunning the rest of the app; reads are cached for
`CACHE_SECONDS`. The store does the counting (`integrations.monitoring.health`); this page only
draws.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# Imported here, not left to plotly: plotly fetches pandas lazily (`get_module`) while drawing,
# and on a server's first page loads another script thread may be halfway through importing it,
# which fails the chart with "partially initialized module 'pandas'" (plotly/plotly.py#2433).
import pandas  # noqa: F401
import plotly.graph_objects as go
import streamlit as st

from db.models import Integration, LogLevel, utcnow
from integrations.core.access import Actor, Capability
from integrations.core.errors import NotFound
from integrations.messages import MESSAGES
from integrations.monitoring import health
from integrations.monitoring.health import ErrorLogFilter
from integrations.runtime import session as open_session
from pages._plain import plain
from pages._shell import (
    display_zone,
    is_rtl,
    lang,
    local_time,
    outcome_label,
    recheck,
    require,
    status_label,
    t,
    table,
)

REFRESH_SECONDS = 30
CACHE_SECONDS = 15
FRESHNESS_BARS = 25
#: Pixels above a chart's plot: a row for plotly's toolbar (about 30), and under it, on charts
#: with a legend, room for the legend in up to two rows (a narrow column wraps it).
TOOLBAR_MARGIN = 36
LEGEND_MARGIN = 84
COLORS = {
    "success": "#2e9e5b",
    "partial": "#e0a526",
    "failed": "#d64545",
    "running": "#9aa5b1",
    "p50": "#3b6fd6",
    "p95": "#d6813b",
    "requests": "#5b8def",
    "rate_limited": "#d64545",
}

actor = require(Capability.VIEW_HEALTH)
ZONE = display_zone()


# --- Cached reads (every one through a service function that checks the actor) ---------------


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _tiles(who: Actor) -> list[health.IntegrationTile]:
    with open_session() as session:
        return health.integration_tiles(who, session=session)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _open_alerts(who: Actor) -> list[health.OpenAlert]:
    with open_session() as session:
        return health.open_alerts(who, session=session)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _series(who: Actor, window: str, zone: str) -> health.RunSeries:
    with open_session() as session:
        return health.run_series(who, window, session=session, zone=zone)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _kinds(who: Actor, window: str, zone: str) -> list[health.ErrorKindCount]:
    with open_session() as session:
        return health.errors_by_kind(who, window, session=session, zone=zone)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _channels(who: Actor, zone: str) -> health.ChannelOutlook:
    with open_session() as session:
        return health.channel_outlook(who, session=session, zone=zone)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _freshness(who: Actor) -> list[health.TrainerFreshness]:
    with open_session() as session:
        return health.trainer_freshness(who, session=session)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _log(who: Actor, filters: ErrorLogFilter, page: int) -> health.ErrorLogPage:
    with open_session() as session:
        return health.error_log(who, filters, session=session, page=page)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _trainers(who: Actor) -> list[health.TrainerChoice]:
    with open_session() as session:
        return health.trainer_choices(who, session=session)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _run(who: Actor, run_id: str) -> health.RunDetail | None:
    try:
        with open_session() as session:
            return health.run_detail(who, run_id, session=session)
    except NotFound:
        return None


# --- Chart helpers --------------------------------------------------------------------------


def _local(value: datetime) -> datetime:
    """Plotly draws naive times as they are: hand it the wall-clock time of the display zone."""
    return value.astimezone(ZoneInfo(ZONE)).replace(tzinfo=None)


def _figure(
    x_title: str, y_title: str, *, categories_on_y: bool = False, legend: bool = True
) -> go.Figure:
    """A figure that reads in the page's direction: in Hebrew the legend and the value axis sit
    at the right, and category bars grow from the right; time still runs left to right.

    The legend lies right above the plot, under a top margin tall enough for plotly's toolbar:
    the toolbar shows at the top right on hover, and with a thin margin it covered the legend's
    entries (at the right in Hebrew, the long p50/p95 names in English)."""
    rtl = is_rtl()
    figure = go.Figure()
    figure.update_layout(
        height=340,
        margin={"l": 10, "r": 10, "t": LEGEND_MARGIN if legend else TOOLBAR_MARGIN, "b": 10},
        showlegend=legend,
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.02,
            "xanchor": "right" if rtl else "left",
            "x": 1 if rtl else 0,
        },
        hoverlabel={"align": "right" if rtl else "left"},
        barmode="stack",
    )
    figure.update_xaxes(title_text=x_title)
    figure.update_yaxes(title_text=y_title)
    if rtl:
        if categories_on_y:
            figure.update_xaxes(autorange="reversed")
        figure.update_yaxes(side="right")
    return figure


def _time_axis(figure: go.Figure, granularity: health.Granularity) -> None:
    hourly = granularity is health.Granularity.HOUR
    figure.update_xaxes(
        tickformat="%H:%M\n%d/%m" if hourly else "%d/%m",
        hoverformat="%d/%m %H:%M" if hourly else "%d/%m",
    )


def _chart(figure: go.Figure, key: str) -> None:
    st.plotly_chart(figure, key=key, config={"displaylogo": False})


def _kind_label(kind: str) -> str:
    label = t(f"health.kind.{kind}")
    return kind if label == f"health.kind.{kind}" else label


def _event_label(event: str) -> str:
    """What happened, for a person: a logged event (`sync_failed`, `google_consent_refused`) or
    the kind of error a failed run ended with (`rate_limited`); an event the catalogue does not
    know yet is shown by its name rather than hidden."""
    for key in (f"health.event.{event}", f"health.kind.{event}"):
        if key in MESSAGES:
            return t(key)
    return event


def _message_text(message: str, event: str = "", kind: str | None = None) -> str:
    """What a log line says, in the reader's language: by the error kind stored with it, else by
    its event; never by reading the English text, which the technical details keep. A message
    that is only a provider's code (Google's `access_denied` when a trainer declines the consent)
    is explained, with the code kept beside it for searching and support. A line the catalogue
    cannot name is shown as logged rather than hidden."""
    key = f"health.message.{message}"
    if key in MESSAGES:
        return f"{t(key)} ({message})"
    for key in (f"health.says.kind.{kind}", f"health.says.event.{event}"):
        if key in MESSAGES:
            return t(key)
    return message


def _technical(rows: list[tuple[str, str, str]]) -> None:
    """The logged text itself (English, as the engine wrote it), folded away: for support and
    for searching, not for reading."""
    if not any(message for _, _, message in rows):
        return
    with st.expander(t("health.log.details")):
        # Code, not a table: read left to right, as logged, and copied whole into a ticket.
        st.code(
            "\n".join(f"{when}  {event}  {message}" for when, event, message in rows if message),
            language=None,
            wrap_lines=True,
        )


def _trigger_label(trigger: str) -> str:
    key = f"health.trigger.{trigger}"
    return t(key) if key in MESSAGES else trigger


def _counts_axis(values: list[int]) -> dict[str, Any]:
    """Whole numbers on an axis of counts (plotly would tick 0.2, 0.4, ... for small ones)."""
    top = max(values, default=0)
    return {"rangemode": "tozero", "tickformat": ",d", "dtick": max(1, -(-top // 5))}


def _stamp(value: datetime | None, zone: str) -> str:
    """A time inside a sentence; in Hebrew kept as one left-to-right unit ("28/11/2026 16:08",
    as in the tables), not reordered by the surrounding right-to-left text."""
    text = local_time(value, zone)
    return f"\u2066{text}\u2069" if is_rtl() else text


def _widget_key(name: str) -> str:
    """Selectboxes and multiselects remember a choice by its label, so a choice made in Hebrew
    does not match the English labels after a language switch: one key per language, seeded
    with the raw choice last made in either."""
    key = f"health_{name}_{lang()}"
    remembered = f"health_{name}_choice"
    if key not in st.session_state and remembered in st.session_state:
        st.session_state[key] = st.session_state[remembered]
    return key


def _remember(name: str, value: object) -> None:
    st.session_state[f"health_{name}_choice"] = value


# --- Overview: tiles, alerts and charts -------------------------------------------------------


def _tile(column: Any, tile: health.IntegrationTile) -> None:
    found = tile.health
    with column.container(border=True):
        st.markdown(f"#### {t('integration.' + found.name)}")
        if not found.configured:
            st.markdown(t("health.state.not_configured"))
            st.caption(t("health.tile.not_configured"))
            return
        st.markdown(t(f"health.state.{found.status.value}"))
        counts = tile.by_status
        attention = counts["needs_reauth"] + counts["error"] + tile.failing
        left, middle, right = st.columns(3)
        left.metric(t("health.tile.connected"), counts["connected"])
        middle.metric(t("health.tile.attention"), attention)
        right.metric(t("health.tile.not_connected"), counts["not_connected"])
        st.caption(
            t(
                "health.tile.breakdown",
                needs_reauth=counts["needs_reauth"],
                error=counts["error"],
                failing=tile.failing,
                disconnected=counts["disconnected"],
            )
        )
        when = _stamp(found.last_sync, ZONE) if found.last_sync else t("health.never")
        st.caption(t("health.tile.last_sync", when=when))
        st.caption(t("health.tile.errors", count=found.error_count))


def _alerts() -> None:
    st.subheader(t("health.alerts"))
    found = _open_alerts(actor)
    if not found:
        st.success(t("health.no_alerts"), icon="✅")
        return
    for alert in found:
        st.warning(
            t(
                "health.alert_line",
                rule=t(f"alert.rule.{alert.rule}"),
                trainer=alert.trainer_name or "—",
                when=_stamp(alert.opened_at, ZONE),
            ),
            icon="🚨",
        )


def _runs_chart(series: health.RunSeries) -> None:
    st.markdown(f"**{t('health.chart.runs')}**")
    if not any(b.success + b.partial + b.failed + b.running for b in series.buckets):
        st.info(t("health.no_runs"))
        return
    x = [_local(b.start) for b in series.buckets]
    figure = _figure(t("health.axis.time"), t("health.axis.runs"))
    for outcome in ("success", "partial", "failed", "running"):
        figure.add_bar(
            x=x,
            y=[getattr(b, outcome) for b in series.buckets],
            name=outcome_label(outcome),
            marker_color=COLORS[outcome],
        )
    _time_axis(figure, series.granularity)
    _chart(figure, "health_chart_runs")


def _kinds_chart(kinds: list[health.ErrorKindCount]) -> None:
    st.markdown(f"**{t('health.chart.kinds')}**")
    if not kinds:
        st.info(t("health.no_errors"))
        return
    figure = _figure(t("health.axis.errors"), "", categories_on_y=True, legend=False)
    figure.add_bar(
        x=[k.count for k in kinds],
        y=[_kind_label(k.kind) for k in kinds],
        orientation="h",
        marker_color=COLORS["failed"],
        showlegend=False,
    )
    figure.update_yaxes(autorange="reversed")  # the most frequent on top
    _chart(figure, "health_chart_kinds")


def _duration_chart(series: health.RunSeries) -> None:
    st.markdown(f"**{t('health.chart.duration')}**")
    if all(b.p50_ms is None for b in series.buckets):
        st.info(t("health.no_runs"))
        return
    x = [_local(b.start) for b in series.buckets]
    figure = _figure(t("health.axis.time"), t("health.axis.seconds"))
    for name, values in (
        ("p50", [b.p50_ms for b in series.buckets]),
        ("p95", [b.p95_ms for b in series.buckets]),
    ):
        figure.add_scatter(
            x=x,
            y=[None if v is None else v / 1000 for v in values],
            name=t(f"health.series.{name}"),
            mode="lines+markers",
            line_color=COLORS[name],
            connectgaps=False,
        )
    _time_axis(figure, series.granularity)
    _chart(figure, "health_chart_duration")


def _requests_chart(series: health.RunSeries) -> None:
    st.markdown(f"**{t('health.chart.requests')}**")
    if not any(b.http_requests or b.rate_limited for b in series.buckets):
        st.info(t("health.no_runs"))
        return
    x = [_local(b.start) for b in series.buckets]
    figure = _figure(t("health.axis.time"), t("health.axis.requests"))
    figure.add_bar(
        x=x,
        y=[b.http_requests for b in series.buckets],
        name=t("health.axis.requests"),
        marker_color=COLORS["requests"],
    )
    figure.add_scatter(
        x=x,
        y=[b.rate_limited for b in series.buckets],
        name=t("health.axis.rate_limited"),
        mode="lines+markers",
        line_color=COLORS["rate_limited"],
        yaxis="y2",
    )
    figure.update_layout(
        yaxis2={
            "overlaying": "y",
            "side": "left" if is_rtl() else "right",
            "title": {"text": t("health.axis.rate_limited")},
            "showgrid": False,
            **_counts_axis([b.rate_limited for b in series.buckets]),
        }
    )
    _time_axis(figure, series.granularity)
    _chart(figure, "health_chart_requests")


def _channels_chart(outlook: health.ChannelOutlook) -> None:
    st.markdown(f"**{t('health.chart.channels')}**")
    if not outlook.expired and not any(count for _, count in outlook.per_day):
        st.info(t("health.no_channels"))
        return
    days = [local_time(start, ZONE, "%a<br>%d/%m") for start, _ in outlook.per_day]
    figure = _figure(t("health.axis.day"), t("health.axis.channels"))
    figure.add_bar(
        x=[t("health.axis.expired")],
        y=[outlook.expired],
        name=t("health.series.expired"),
        marker_color=COLORS["failed"],
    )
    figure.add_bar(
        x=days,
        y=[count for _, count in outlook.per_day],
        name=t("health.series.expiring"),
        marker_color=COLORS["partial"],
    )
    figure.update_yaxes(**_counts_axis([outlook.expired, *(n for _, n in outlook.per_day)]))
    figure.update_xaxes(tickangle=0)
    if is_rtl():
        figure.update_xaxes(autorange="reversed")  # days read from the right, like the text
    _chart(figure, "health_chart_channels")
    if outlook.soonest:
        with st.expander(t("health.channels_table")):
            table(
                [
                    {
                        t("health.col.trainer"): c.trainer_name,
                        t("health.col.calendar"): c.calendar_id,
                        t("health.col.expires"): local_time(c.expires_at, c.timezone),
                        t("health.col.last_message"): local_time(c.last_notified_at, c.timezone),
                        t("health.col.zone"): c.timezone,
                    }
                    for c in outlook.soonest
                ]
            )


def _freshness_chart(rows: list[health.TrainerFreshness]) -> None:
    st.markdown(f"**{t('health.chart.freshness')}**")
    if not rows:
        st.info(t("health.no_trainers"))
        return
    now = utcnow()

    def hours(row: health.TrainerFreshness) -> float | None:
        since = row.since_good(now)
        return None if since is None else round(since / timedelta(hours=1), 1)

    shown = rows[:FRESHNESS_BARS]
    figure = _figure(t("health.axis.hours"), "", categories_on_y=True, legend=False)
    figure.add_bar(
        x=[hours(r) for r in shown],
        y=[r.name for r in shown],
        orientation="h",
        marker_color=[
            COLORS["failed"] if r.failures_in_a_row or r.status != "connected" else COLORS["p50"]
            for r in shown
        ],
        showlegend=False,
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(height=max(240, 28 * len(shown) + 80))
    _chart(figure, "health_chart_freshness")
    with st.expander(t("health.trainers_table")):
        table(
            [
                {
                    t("health.col.trainer"): r.name,
                    t("health.col.status"): status_label(r.status),
                    t("health.col.frequency"): t(f"health.frequency.{r.sync_frequency.value}")
                    if r.sync_frequency
                    else "—",
                    t("health.col.last_good"): local_time(r.last_good_at, r.timezone)
                    if r.last_good_at
                    else t("health.never"),
                    t("health.col.hours_since"): hours(r),
                    t("health.col.failures"): r.failures_in_a_row,
                    t("health.col.zone"): r.timezone,
                }
                for r in rows
            ]
        )


@st.fragment(run_every=REFRESH_SECONDS)
def overview() -> None:
    global actor  # the fragment's own runs re-read who is looking (access turned off)
    actor = recheck(Capability.VIEW_HEALTH)
    tiles = _tiles(actor)
    # A built integration's tile holds figures; one not built yet only says so.
    columns = st.columns([2 if tile.health.configured else 1 for tile in tiles])
    for column, tile in zip(columns, tiles, strict=True):
        _tile(column, tile)
    _alerts()
    # Labels computed now, in this run's language: format functions may be called outside it.
    labels = {key: t(f"health.window.{key}") for key in health.WINDOWS}
    window = st.segmented_control(
        t("health.window"),
        options=list(health.WINDOWS),
        format_func=labels.__getitem__,
        default=health.DEFAULT_WINDOW,
        key="health_window",
    )
    window = window or health.DEFAULT_WINDOW
    series = _series(actor, window, ZONE)
    left, right = st.columns(2)
    with left:
        _runs_chart(series)
    with right:
        _kinds_chart(_kinds(actor, window, ZONE))
    left, right = st.columns(2)
    with left:
        _duration_chart(series)
    with right:
        _requests_chart(series)
    left, right = st.columns(2)
    with left:
        _channels_chart(_channels(actor, ZONE))
    with right:
        _freshness_chart(_freshness(actor))
    st.caption(t("health.refreshed", time=local_time(utcnow(), ZONE, "%H:%M:%S")))


# --- The error log ----------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(ZONE))


def _filters() -> ErrorLogFilter:
    levels = {level: t(f"health.level.{level}") for level in ("error", "warning", "info")}
    everything = t("health.filter.all")
    integrations = {"": everything} | {i.value: t(f"integration.{i.value}") for i in Integration}
    trainers = {"": everything} | {c.id: c.name for c in _trainers(actor)}
    today = datetime.now(ZoneInfo(ZONE)).date()
    first, second, third = st.columns([2, 1, 1])
    chosen_levels = first.multiselect(
        t("health.filter.levels"),
        list(levels),
        default=None
        if _widget_key("log_levels") in st.session_state
        else [LogLevel.ERROR.value, LogLevel.WARNING.value],
        format_func=levels.__getitem__,
        key=_widget_key("log_levels"),
    )
    integration = second.selectbox(
        t("health.filter.integration"),
        list(integrations),
        format_func=integrations.__getitem__,
        key=_widget_key("log_integration"),
    )
    trainer = third.selectbox(
        t("health.filter.trainer"),
        list(trainers),
        format_func=trainers.__getitem__,
        key=_widget_key("log_trainer"),
    )
    for name, value in (
        ("log_levels", chosen_levels),
        ("log_integration", integration),
        ("log_trainer", trainer),
    ):
        _remember(name, value)
    dates_column, text_column = st.columns([1, 2])
    dates = dates_column.date_input(
        t("health.filter.dates"),
        value=(today - timedelta(days=6), today),
        max_value=today,
        format="DD/MM/YYYY",
        key="health_log_dates",
    )
    text = text_column.text_input(t("health.filter.text"), key="health_log_text")
    picked = [d for d in (dates if isinstance(dates, tuple | list) else [dates]) if d]
    since = _day_start(min(picked)) if picked else None
    until = _day_start(max(picked) + timedelta(days=1)) if picked else None
    return ErrorLogFilter(
        levels=tuple(LogLevel(level) for level in chosen_levels),
        integration=integration or None,
        trainer_id=trainer or None,
        since=since,
        until=until,
        text=text.strip(),
    )


def _drill_down(entries: list[health.ErrorLogEntry]) -> None:
    runs = {e.sync_run_id: e for e in entries if e.sync_run_id}
    st.markdown(f"**{t('health.drill')}**")
    if not runs:
        st.caption(t("health.drill.no_runs"))
        return
    labels = {"": t("health.drill.none")} | {
        run_id: " · ".join(
            [local_time(e.at, ZONE, "%d/%m %H:%M"), e.trainer_name or "—", _event_label(e.event)]
        )
        for run_id, e in runs.items()
    }
    chosen = st.selectbox(
        t("health.drill"),
        list(labels),
        format_func=labels.__getitem__,
        key=_widget_key("drill_run"),
        label_visibility="collapsed",
    )
    _remember("drill_run", chosen)
    if not chosen:
        return
    detail = _run(actor, chosen)
    if detail is None:
        st.warning(t("health.run.gone"))
        return
    with st.container(border=True):
        st.markdown(
            "##### "
            + t(
                "health.run.title",
                # Isolated: a Hebrew name in an English line would draw the time after it
                # into its right-to-left run ("Sync run of 18:19 28/11/2026 ,נועה מזרחי").
                trainer=f"\u2068{plain(detail.trainer_name)}\u2069",
                when=local_time(detail.started_at, detail.timezone),
            )
        )
        outcome, duration, requests, limited = st.columns(4)
        outcome.metric(t("health.run.outcome"), outcome_label(detail.outcome))
        duration.metric(
            t("health.run.duration"),
            "—"
            if detail.duration_ms is None
            else t("health.run.seconds", seconds=f"{detail.duration_ms / 1000:.1f}"),
        )
        requests.metric(t("health.run.requests"), detail.http_requests)
        limited.metric(t("health.run.rate_limited"), detail.rate_limited)
        if detail.error:
            st.error(
                t(
                    "health.run.error",
                    kind=_kind_label(detail.error_kind or "unknown"),
                    error=plain(_message_text(detail.error, "sync_failed", detail.error_kind)),
                )
            )
            with st.expander(t("health.log.details")):
                st.code(detail.error, language=None, wrap_lines=True)
        st.caption(
            t(
                "health.run.counts",
                trigger=_trigger_label(detail.trigger),
                calendar=detail.calendar_id or "—",
                **detail.counts,
            )
        )
        st.markdown(f"**{t('health.run.log')}**")
        if not detail.log:
            st.caption(t("health.run.no_log"))
            return
        table(
            [
                {
                    t("health.col.when"): local_time(line.at, detail.timezone, "%H:%M:%S"),
                    t("health.col.level"): t(f"health.level.{line.level.value}"),
                    t("health.col.event"): _event_label(line.event),
                    t("health.col.message"): _message_text(line.message, line.event, line.kind),
                }
                for line in detail.log
            ]
        )
        _technical(
            [
                (local_time(line.at, detail.timezone, "%H:%M:%S"), line.event, line.message)
                for line in detail.log
            ]
        )


def _csv(filters: ErrorLogFilter, headers: dict[str, str]) -> bytes:
    with open_session() as session:
        return health.export_error_log_csv(
            actor, filters, session=session, zone=ZONE, headers=headers, event_label=_event_label
        )


@st.fragment(run_every=REFRESH_SECONDS)
def error_log() -> None:
    global actor
    actor = recheck(Capability.VIEW_HEALTH)
    st.subheader(t("health.log"))
    filters = _filters()
    # A new filter starts again from the first page.
    if st.session_state.get("health_log_filters") != filters:
        st.session_state["health_log_filters"] = filters
        st.session_state["health_log_page"] = 1
    page = int(st.session_state.get("health_log_page", 1))
    found = _log(actor, filters, page)
    count_column, page_column, csv_column = st.columns([2, 1, 1])
    count_column.caption(
        t("health.log.count", count=found.total, page=found.page, pages=found.pages)
    )
    if found.pages > 1:
        page_column.number_input(
            t("health.filter.page"),
            min_value=1,
            max_value=found.pages,
            step=1,
            key="health_log_page",
        )
    headers = {
        "at": t("health.col.when"),
        "level": t("health.col.level"),
        "integration": t("health.col.integration"),
        "trainer": t("health.col.trainer"),
        "event": t("health.col.event_code"),
        "message": t("health.col.message"),
        "sync_run_id": t("health.col.run"),
        "event_label": t("health.col.event"),
    }
    csv_column.download_button(
        t("health.csv"),
        data=lambda: _csv(filters, headers),
        file_name=f"newym-error-log-{datetime.now(ZoneInfo(ZONE)):%Y%m%d-%H%M}.csv",
        mime="text/csv",
        on_click="ignore",
        help=t("health.csv.help", limit=f"{health.EXPORT_LIMIT:,}", zone=ZONE),
        key="health_log_csv",
        icon="⬇️",
    )
    if not found.entries:
        st.info(t("health.log.empty"))
        return
    table(
        [
            {
                t("health.col.when"): local_time(e.at, ZONE, "%d/%m %H:%M:%S"),
                t("health.col.level"): t(f"health.level.{e.level.value}"),
                t("health.col.integration"): t(f"integration.{e.integration}")
                if e.integration
                else "—",
                t("health.col.trainer"): e.trainer_name or "—",
                t("health.col.event"): _event_label(e.event),
                t("health.col.message"): _message_text(e.message, e.event, e.kind),
            }
            for e in found.entries
        ]
    )
    _technical(
        [(local_time(e.at, ZONE, "%d/%m %H:%M:%S"), e.event, e.message) for e in found.entries]
    )
    _drill_down(found.entries)


st.title(t("page.health"))
st.caption(t("health.intro", zone=ZONE, seconds=REFRESH_SECONDS))
overview()
error_log()
