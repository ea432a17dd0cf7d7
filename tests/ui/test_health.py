"""The health page, as the demo manager sees it and as nobody else may: tiles, open alerts, the
charts, the error log with its filters, the drill-down to a run, and the CSV export."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import streamlit as st
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from db.engine import get_engine
from db.models import ConnectionStatus, LogLevel, RunOutcome, SyncTrigger, Trainer, utcnow
from integrations.core.retry import ErrorKind
from integrations.crm import accounts
from integrations.messages import MESSAGES
from integrations.monitoring import alerts
from tests.support.apptest import EMAILS, ROOT, run_fragments
from tests.support.audit_events import recorded_events as _recorded_events
from tests.support.health_rows import channel, connect, log_line, sync_run

PAGE = "pages/health.py"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """The page caches reads for a few seconds; each test starts from the store as it is."""
    st.cache_data.clear()
    yield
    st.cache_data.clear()


@pytest.fixture
def world(demo_store: str) -> dict[str, str]:
    """Dana syncs (with some failures), Yossi must reconnect, Noa never connected."""
    now = utcnow()
    with Session(get_engine(demo_store), expire_on_commit=False) as session:
        ids = {t.email.split("@")[0]: t.id for t in session.exec(select(Trainer)).all()}
        connect(session, ids["dana"], at=now - timedelta(days=5))
        connect(
            session, ids["yossi"], at=now - timedelta(days=5), status=ConnectionStatus.NEEDS_REAUTH
        )
        for hours in range(12, 0, -1):
            sync_run(session, ids["dana"], now - timedelta(hours=hours), duration_ms=900 + hours)
        failed = sync_run(
            session, ids["dana"], now - timedelta(minutes=50), RunOutcome.FAILED,
            error_kind="rate_limited", error="Google answered 429 rateLimitExceeded",
            http_requests=9, rate_limited=4,
        )  # fmt: skip
        log_line(
            session, now - timedelta(minutes=50), "waiting 2 s before retrying",
            level=LogLevel.WARNING, trainer_id=ids["dana"], event="retry",
            sync_run_id=failed.id,
        )  # fmt: skip
        log_line(
            session, now - timedelta(minutes=20), "could not open a push channel",
            level=LogLevel.WARNING, trainer_id=ids["dana"], event="channel_failed",
        )  # fmt: skip
        channel(
            session, ids["dana"], created_at=now - timedelta(days=6),
            expires_at=now + timedelta(days=1),
        )  # fmt: skip
        alerts.check_alerts(session, now)
    return {"dana": ids["dana"], "yossi": ids["yossi"], "failed_run": failed.id}


def health_page(app_as: Callable[..., AppTest], lang: str = "en") -> AppTest:
    at = app_as(EMAILS["manager"], lang).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _figures(at: AppTest) -> list[dict[str, object]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_a_manager_sees_a_tile_per_integration_with_trainers_counted_by_status(
    app_as: Callable[..., AppTest], world: dict[str, str]
) -> None:
    at = health_page(app_as)
    assert [title.value for title in at.title] == ["Health"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Connected": "1", "Need attention": "2", "Not connected": "1"}
    tiles = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert tiles == ["#### Google Calendar", "#### Email", "#### SMS", "#### Payments"]
    assert [m.value for m in at.markdown].count("⚪ Not configured") == 3
    assert "🔴 Errors" in [m.value for m in at.markdown]


def test_a_manager_sees_the_open_alert_about_a_trainer_who_must_reconnect(
    app_as: Callable[..., AppTest], world: dict[str, str]
) -> None:
    at = health_page(app_as)
    assert [w.value.split(",")[0] for w in at.warning] == [
        "**Google Calendar needs reconnecting**: יוסי לוי"
    ]


def test_a_manager_sees_the_six_charts_of_the_period(
    app_as: Callable[..., AppTest], world: dict[str, str]
) -> None:
    at = health_page(app_as)
    figures = _figures(at)
    assert len(figures) == 6
    runs, kinds, durations, requests, channels, freshness = figures
    assert [trace["name"] for trace in runs["data"]] == [
        "Succeeded",
        "Partly succeeded",
        "Failed",
        "Running",
    ]
    assert sum(sum(trace["y"]) for trace in runs["data"]) == 13
    assert kinds["data"][0]["y"] == ["Rate limited"]
    assert [trace["name"] for trace in durations["data"]] == [
        "Median (p50)",
        "95th percentile (p95)",
    ]
    assert sum(requests["data"][1]["y"]) == 4  # rate-limit hits
    assert channels["data"][1]["y"].count(1) == 1
    # Yossi never synced since connecting five days ago; Dana synced an hour ago.
    assert freshness["data"][0]["y"] == ["יוסי לוי", "דנה כהן"]


def test_choosing_another_period_redraws_the_charts_by_day(
    app_as: Callable[..., AppTest], world: dict[str, str]
) -> None:
    at = health_page(app_as)
    at.segmented_control(key="health_window").set_value("7d").run()
    assert not at.exception
    runs = _figures(at)[0]
    assert len(runs["data"][0]["x"]) == 7
    assert runs["layout"]["xaxis"]["tickformat"] == "%d/%m"


def test_in_hebrew_the_page_and_its_charts_read_from_the_right(
    app_as: Callable[..., AppTest], world: dict[str, str]
) -> None:
    at = health_page(app_as, "he")
    assert [title.value for title in at.title] == ["תקינות"]
    runs, kinds, *_ = _figures(at)
    assert [trace["name"] for trace in runs["data"]][:3] == ["הצליח", "הצליח חלקית", "נכשל"]
    assert runs["layout"]["yaxis"]["side"] == "right"
    assert runs["layout"]["legend"]["xanchor"] == "right"
    assert runs["layout"]["xaxis"]["title"]["text"] == "זמן"
    assert kinds["layout"]["xaxis"]["autorange"] == "reversed"  # bars grow from the right
    assert kinds["data"][0]["y"] == ["מגבלת קצב"]


def test_the_error_log_lists_errors_and_warnings_newest_first(
    app_as: Callable[..., AppTest], world: dict[str, str]
) -> None:
    at = health_page(app_as)
    log = at.dataframe[-1].value
    # The alert engine logs the incident it raised for Yossi: it is the newest warning.
    assert list(log["Event"]) == [
        "Alert raised",
        "Realtime channel not opened",
        "Sync failed",
        "retry",  # a name the catalogue does not know is shown as it is
    ]
    assert "4 entries" in " ".join(c.value for c in at.caption)


def test_the_error_log_filters_narrow_what_is_listed(
    app_as: Callable[..., AppTest], world: dict[str, str]
) -> None:
    at = health_page(app_as)
    at.multiselect(key="health_log_levels_en").set_value(["warning"]).run()
    assert list(at.dataframe[-1].value["Event"]) == [
        "Alert raised",
        "Realtime channel not opened",
        "retry",
    ]
    at.text_input(key="health_log_text").input("PUSH").run()
    assert list(at.dataframe[-1].value["Event"]) == ["Realtime channel not opened"]
    at.text_input(key="health_log_text").input("nothing like this").run()
    assert [i.value for i in at.info][-1] == "Nothing matches these filters."


def test_the_error_log_narrows_to_one_trainer(
    app_as: Callable[..., AppTest], world: dict[str, str]
) -> None:
    at = health_page(app_as)
    at.selectbox(key="health_log_trainer_en").set_value(world["yossi"]).run()
    assert list(at.dataframe[-1].value["Event"]) == ["Alert raised"]
    at.selectbox(key="health_log_trainer_en").set_value(world["dana"]).run()
    assert len(at.dataframe[-1].value) == 3


def test_opening_an_error_shows_its_run_and_the_lines_it_logged(
    app_as: Callable[..., AppTest], world: dict[str, str]
) -> None:
    at = health_page(app_as)
    at.selectbox(key="health_drill_run_en").set_value(world["failed_run"]).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Outcome"] == "Failed"
    assert metrics["Google requests"] == "9" and metrics["Rate-limit hits"] == "4"
    assert "Google asked us to slow down" in at.error[0].value
    assert "Google answered 429 rateLimitExceeded" in [c.value for c in at.code]  # as logged
    lines = at.dataframe[-1].value
    assert list(lines["Event"]) == ["retry", "Sync failed"]


def test_the_filtered_error_log_is_offered_as_a_csv_download(
    app_as: Callable[..., AppTest], world: dict[str, str]
) -> None:
    at = health_page(app_as)
    [button] = at.get("download_button")
    assert button.proto.label == "Download as CSV"
    assert "Asia/Jerusalem" in button.proto.help
    assert button.proto.ignore_rerun  # the file is made on click; the page does not rerun


@pytest.mark.parametrize("role", ["staff", "trainer"])
def test_staff_and_trainers_are_refused_the_health_page(
    world: dict[str, str], demo_store: str, role: str
) -> None:
    with Session(get_engine(demo_store)) as session:
        actor = accounts.resolve_login(EMAILS[role], session=session)
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=30)
    at.session_state["shell_lang"] = "en"
    at.session_state["shell_actor"] = actor
    at.run()
    assert [e.value for e in at.error] == ["This page is not available to your role."]
    assert not at.get("plotly_chart") and not at.dataframe


def test_error_log_filters_survive_a_switch_to_hebrew_with_hebrew_labels(
    app_as: Callable[..., AppTest], world: dict[str, str]
) -> None:
    """A choice is kept as its label by the browser: after the switch the same levels are still
    chosen, now shown in Hebrew."""
    at = health_page(app_as)
    at.multiselect(key="health_log_levels_en").set_value(["warning"]).run()
    at.session_state["shell_lang"] = "he"
    at.run()
    levels = at.multiselect(key="health_log_levels_he")
    assert levels.value == ["warning"]
    assert levels.options == ["שגיאה", "אזהרה", "מידע"]
    assert list(at.dataframe[-1].value["אירוע"]) == [
        "נפתחה התראה",
        "ערוץ זמן אמת לא נפתח",
        "retry",
    ]


# --- Labels, not internal names ---------------------------------------------------------------


def test_every_event_the_code_logs_and_every_trigger_and_error_kind_has_a_label() -> None:
    events = _recorded_events()
    assert {"sync_failed", "google_consent_refused", "alert_raised"} <= events
    assert sorted(e for e in events if f"health.event.{e}" not in MESSAGES) == []
    assert [k for k in SyncTrigger if f"health.trigger.{k.value}" not in MESSAGES] == []
    assert [k for k in ErrorKind if f"health.kind.{k.value}" not in MESSAGES] == []


@pytest.mark.parametrize(
    ("lang", "event", "message"),
    [
        ("en", "Google consent not given", "The trainer declined access on Google's consent page"),
        ("he", "לא ניתנה הסכמה ב-Google", "המאמן/ת סירב/ה לתת גישה בדף ההסכמה של Google"),
    ],
)
def test_the_error_log_names_events_and_provider_codes_in_the_readers_language(
    app_as: Callable[..., AppTest],
    world: dict[str, str],
    demo_store: str,
    lang: str,
    event: str,
    message: str,
) -> None:
    """`google_consent_refused` with Google's bare `access_denied` reads as a sentence; the code
    stays beside it, for searching and for support."""
    with Session(get_engine(demo_store)) as session:
        log_line(
            session, utcnow() - timedelta(minutes=5), "access_denied", level=LogLevel.WARNING,
            trainer_id=world["dana"], event="google_consent_refused",
        )  # fmt: skip
    at = health_page(app_as, lang)
    log = at.dataframe[-1].value
    columns = {"en": ("Event", "Message"), "he": ("אירוע", "הודעה")}[lang]
    [refused] = [row for _, row in log.iterrows() if event in row[columns[0]]]
    assert message in refused[columns[1]] and "(access_denied)" in refused[columns[1]]
    assert not [name for name in log[columns[0]] if "google_consent_refused" in name]


def test_a_runs_trigger_is_named_in_the_readers_language(
    app_as: Callable[..., AppTest], world: dict[str, str]
) -> None:
    at = health_page(app_as)
    at.selectbox(key="health_drill_run_en").set_value(world["failed_run"]).run()
    assert any("trigger: on schedule," in c.value for c in at.caption)
    hebrew = health_page(app_as, "he")
    hebrew.selectbox(key="health_drill_run_he").set_value(world["failed_run"]).run()
    assert any("הפעלה: לפי התזמון," in c.value for c in hebrew.caption)
    assert not any("schedule" in c.value for c in hebrew.caption)
    assert {m.label: m.value for m in hebrew.metric}["משך"] == "1.0 שנ׳"  # not "s 1.0"


def test_a_hebrew_name_in_an_english_run_title_keeps_the_time_after_it(
    app_as: Callable[..., AppTest], world: dict[str, str]
) -> None:
    at = health_page(app_as)
    at.selectbox(key="health_drill_run_en").set_value(world["failed_run"]).run()
    [title] = [m.value for m in at.markdown if m.value.startswith("##### ")]
    assert title.startswith("##### Sync run of \u2068דנה כהן\u2069, ")


def test_a_single_entry_is_counted_in_the_singular(
    app_as: Callable[..., AppTest], world: dict[str, str]
) -> None:
    for lang, expected in (("en", "One entry · page 1 of 1"), ("he", "רשומה אחת · עמוד 1 מתוך 1")):
        at = health_page(app_as, lang)
        at.selectbox(key=f"health_log_trainer_{lang}").set_value(world["yossi"]).run()
        assert expected in [c.value for c in at.caption]


def test_chart_legends_sit_below_the_toolbars_row(
    app_as: Callable[..., AppTest], world: dict[str, str]
) -> None:
    """Plotly's toolbar shows in the top 30 pixels of a chart, at the right; each legend lies
    right above the plot, under a top margin that leaves that row to the toolbar and room for
    the legend to wrap once."""
    for lang in ("en", "he"):
        figures = _figures(health_page(app_as, lang))
        assert [f["layout"]["showlegend"] for f in figures] == [
            True,
            False,
            True,
            True,
            True,
            False,
        ]
        for figure in figures:
            layout: Any = figure["layout"]
            assert layout["margin"]["t"] >= (80 if layout["showlegend"] else 30)
            assert (layout["legend"]["yanchor"], layout["legend"]["y"]) == ("bottom", 1.02)


def test_in_hebrew_the_log_dates_follow_the_shells_direction_like_every_page(
    app_as: Callable[..., AppTest], world: dict[str, str]
) -> None:
    """The shell keeps each date's parts left to right; the page no longer turns the whole range
    left to right, which put the start at the left unlike the Events page's range."""
    at = health_page(app_as, "he")
    assert not [h for h in at.html if "stDateInputField" in h.value]


def test_a_manager_whose_access_is_turned_off_sees_no_more_health_on_the_next_refresh(
    app_as: Callable[..., AppTest], world: dict[str, str], demo_store: str
) -> None:
    """The page's parts refresh by themselves without the login gate: they look the manager
    up again on every run, so an open page stops showing data once access is turned off."""
    at = health_page(app_as)
    assert at.metric, "the tiles are drawn before access is turned off"
    with Session(get_engine(demo_store)) as session:
        accounts.deactivate_by_email(EMAILS["manager"], session=session)
    run_fragments(at)
    assert not at.exception, at.exception
    assert not at.metric
    assert not at.dataframe
    assert not at.get("plotly_chart")
    assert [e.value for e in at.error] == [MESSAGES["shell.access_off"]["en"]]
