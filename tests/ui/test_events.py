"""The events page for each role: what it shows, what it refuses, and what its forms do with
good and bad input. The demo trainer Dana has sessions at 07, 09, 17 or 19 o'clock, Sunday to
Thursday, in Asia/Jerusalem."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Node

from db.models import (
    CalendarEvent,
    Client,
    ConnectionStatus,
    EventOrigin,
    GoogleCalendarSyncSettings,
    Integration,
    IntegrationCredential,
    SyncConflict,
    SyncState,
    Trainer,
    utcnow,
)
from integrations.crm.schedule import month_containing, today_in, week_containing
from integrations.processes import worker
from tests.support.events_page import (
    JERUSALEM,
    events_page,
    store,
    stored_events,
    this_week,
    trainer,
)
from tests.support.events_page import conflict_on as _conflict_on

YOSSI = "yossi@demo.newym.co.il"


# --- Helpers ---------------------------------------------------------------------------------


def friday_ahead() -> date:
    """A Friday after today (the demo has no sessions on Fridays): a booking there is in the
    future whatever day the tests run, so no "starts in the past" question comes up."""
    today = today_in(JERUSALEM, utcnow())
    return today + timedelta(days=(4 - today.weekday()) % 7 or 7)


def table_rows(at: AppTest) -> list[dict[str, Any]]:
    if not at.dataframe:
        return []
    return list(at.dataframe[0].value.to_dict("records"))


def grid(at: AppTest) -> str:
    return next(h.value for h in at.html if 'class="nyev"' in h.value)


def next_to(at: AppTest, key: str) -> Node | None:
    """The element right after the widget `key` in its own container: where its error goes."""

    def walk(block: Block) -> Node | None:
        ordered = [node for _, node in sorted(block.children.items())]
        for position, node in enumerate(ordered):
            if getattr(node, "key", None) == key:
                return ordered[position + 1] if position + 1 < len(ordered) else None
            if isinstance(node, Block) and (found := walk(node)) is not None:
                return found
        return None

    return walk(at.main)


def fill(at: AppTest, form: str, **values: Any) -> None:
    for name, value in values.items():
        if name in ("title", "location", "notes"):
            widget: Any = (
                at.text_area(key=f"{form}_{name}")
                if name == "notes"
                else at.text_input(key=f"{form}_{name}")
            )
            widget.input(value)
        elif name == "client":
            at.selectbox(key=f"{form}_client").select(value)
        elif name == "day":
            at.date_input(key=f"{form}_day").set_value(value)
        else:
            at.time_input(key=f"{form}_{name}").set_value(value)


def submit(at: AppTest, form: str) -> AppTest:
    return at.button(key=f"{form}_submit").click().run()


def local(event: CalendarEvent, zone: str = JERUSALEM) -> datetime:
    return event.start_at.astimezone(ZoneInfo(zone))


def count_events(url: str, trainer_id: str) -> int:
    with store(url) as session:
        return len(
            session.exec(
                select(CalendarEvent.id).where(
                    CalendarEvent.trainer_id == trainer_id, col(CalendarEvent.deleted_at).is_(None)
                )
            ).all()
        )


@pytest.fixture
def queue() -> Iterator[Any]:
    worker.huey.flush()
    yield worker.huey
    worker.huey.flush()


# --- What it shows ---------------------------------------------------------------------------


def test_a_trainer_sees_this_weeks_sessions_at_their_local_hours(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    at = events_page(app_as, "trainer")
    assert [t.value for t in at.title] == ["Events"]
    assert "Times in Asia/Jerusalem" in [c.value for c in at.caption]
    assert at.date_input(key="events_range").value == this_week()
    expected = stored_events(demo_store, dana.id)
    assert expected, "the demo has sessions this week"
    rows = table_rows(at)
    assert [(r["Day"], r["Time"], r["Session"]) for r in rows] == [
        (
            local(e).strftime("%a %d/%m/%Y"),
            f"{local(e):%H:%M}–{e.end_at.astimezone(ZoneInfo(JERUSALEM)):%H:%M}",
            e.title,
        )
        for e in expected
    ]
    assert {r["Time"][:2] for r in rows} <= {"07", "09", "17", "19"}
    assert {r["Sync"] for r in rows} == {"⚪ Only in the CRM"}
    assert all(e.title in grid(at) for e in expected)


def test_times_and_the_week_follow_the_trainers_zone_not_the_servers(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    """Dana moves to New York: her 07:00 Jerusalem sessions read as midnight there."""
    dana = trainer(demo_store)
    with store(demo_store) as session:
        row = session.get(Trainer, dana.id)
        assert row is not None
        row.timezone = "America/New_York"
        session.add(row)
        session.commit()
    at = events_page(app_as, "trainer")
    assert "Times in America/New_York" in [c.value for c in at.caption]
    assert at.date_input(key="events_range").value == this_week("America/New_York")
    expected = stored_events(demo_store, dana.id, "America/New_York")
    assert [r["Time"][:5] for r in table_rows(at)] == [
        f"{local(e, 'America/New_York'):%H:%M}" for e in expected
    ]
    assert {r["Time"][:2] for r in table_rows(at)} <= {"00", "02", "10", "12"}


def test_each_session_shows_its_sync_state_in_the_table_and_the_grid(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    first, second, *_ = stored_events(demo_store, dana.id)
    with store(demo_store) as session:
        for event, state in ((first, SyncState.PENDING), (second, SyncState.ERROR)):
            event.sync_state = state
            session.add(event)
        session.commit()
    at = events_page(app_as, "trainer")
    states = {r["Session"]: r["Sync"] for r in table_rows(at)}
    assert states[first.title] == "🟡 Waiting to sync"
    assert states[second.title] == "🔴 Sync error"
    html = grid(at)
    assert "Waiting to sync" in html and "Sync error" in html  # legend and tooltips
    assert html.count("🔴") >= 2  # the legend's and the failed session's


def test_the_month_view_covers_the_month_and_previous_next_move_by_one(
    app_as: Callable[..., AppTest],
) -> None:
    at = events_page(app_as, "trainer")
    today = today_in(JERUSALEM, utcnow())
    at.button(key="events_next").click().run()
    assert at.date_input(key="events_range").value == week_containing(today + timedelta(days=7))
    at.segmented_control(key="events_view").set_value("month").run()
    month = month_containing(today + timedelta(days=7))
    assert at.date_input(key="events_range").value == month
    assert 'class="nyev-month"' in grid(at) and 'class="nyev-week"' not in grid(at)
    at.button(key="events_previous").click().run()
    assert at.date_input(key="events_range").value == month_containing(month[0] - timedelta(days=1))
    at.button(key="events_today").click().run()
    assert at.date_input(key="events_range").value == month_containing(today)


def test_a_chosen_date_range_shows_only_the_sessions_in_it(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    first = stored_events(demo_store, dana.id)[0]
    day = local(first).date()
    at = events_page(app_as, "trainer")
    at.date_input(key="events_range").set_value((day, day)).run()
    days = {r["Day"] for r in table_rows(at)}
    assert days == {local(first).strftime("%a %d/%m/%Y")}
    assert f"from {day:%d/%m/%Y} to {day:%d/%m/%Y}" in " ".join(c.value for c in at.caption)


def test_filters_narrow_the_sessions_by_calendar_client_origin_and_state(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    first, second, *_ = stored_events(demo_store, dana.id)
    with store(demo_store) as session:
        first.origin = EventOrigin.GOOGLE
        first.google_calendar_id = "family@example.com"
        first.google_event_id = "g1"
        first.sync_state = SyncState.SYNCED
        session.add(first)
        session.commit()
    at = events_page(app_as, "trainer")
    everything = len(table_rows(at))
    at.selectbox(key="events_filter_origin").select(EventOrigin.GOOGLE).run()
    assert [r["Session"] for r in table_rows(at)] == [first.title]
    assert table_rows(at)[0]["Calendar"] == "family@example.com"
    at.selectbox(key="events_filter_origin").select("").run()
    at.selectbox(key="events_filter_calendar").select("crm_only").run()
    assert first.title not in [r["Session"] for r in table_rows(at)]
    assert len(table_rows(at)) == everything - 1
    at.selectbox(key="events_filter_calendar").select("").run()
    at.selectbox(key="events_filter_state").select(SyncState.SYNCED).run()
    assert [r["Session"] for r in table_rows(at)] == [first.title]
    at.selectbox(key="events_filter_state").select("").run()
    assert second.client_id is not None
    at.selectbox(key="events_filter_client").select(second.client_id).run()
    with store(demo_store) as session:
        client = session.get(Client, second.client_id)
    assert client is not None
    assert {r["Client"] for r in table_rows(at)} == {client.name}
    at.selectbox(key="events_filter_state").select(SyncState.ERROR).run()
    assert table_rows(at) == []
    assert "No events in these dates match the filters." in [i.value for i in at.info]


def test_the_page_reads_right_to_left_in_hebrew(app_as: Callable[..., AppTest]) -> None:
    at = events_page(app_as, "trainer", lang="he")
    assert [t.value for t in at.title] == ["אירועים"]
    assert 'dir="rtl"' in grid(at)
    assert "יום א׳" in grid(at)  # the week starts on Sunday
    assert "שעה" in table_rows(at)[0]
    english = events_page(app_as, "trainer")
    assert 'dir="ltr"' in grid(english)


# --- Who may do what -------------------------------------------------------------------------


def test_a_trainer_cannot_pick_another_trainer(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    """No trainer picker, and a trainer's id planted in the page's state is ignored."""
    dana, yossi = trainer(demo_store), trainer(demo_store, YOSSI)
    at = events_page(app_as, "trainer")
    with pytest.raises(KeyError):
        at.selectbox(key="events_trainer")
    at.session_state["events_trainer"] = yossi.id
    at.run()
    with store(demo_store) as session:
        dana_clients = set(
            session.exec(select(Client.name).where(Client.trainer_id == dana.id)).all()
        )
    clients = {r["Client"] for r in table_rows(at)}
    assert clients and clients <= dana_clients


def test_staff_pick_a_trainer_and_see_their_week_but_cannot_change_it(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    yossi = trainer(demo_store, YOSSI)
    at = events_page(app_as, "staff")
    picker = at.selectbox(key="events_trainer")
    assert sorted(picker.options) == sorted(["דנה כהן", "יוסי לוי", "נועה מזרחי"])
    picker.select(yossi.id).run()
    expected = stored_events(demo_store, yossi.id)
    assert [r["Session"] for r in table_rows(at)] == [e.title for e in expected]
    assert any("is for the trainer or a manager" in i.value for i in at.info)
    with pytest.raises(KeyError):
        at.text_input(key="events_new_title")
    with pytest.raises(KeyError):
        at.selectbox(key="events_pick")
    with pytest.raises(KeyError):
        at.button(key="events_edit_delete")


def test_a_manager_books_a_session_for_the_trainer_they_picked(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    yossi = trainer(demo_store, YOSSI)
    at = events_page(app_as, "manager")
    at.selectbox(key="events_trainer").select(yossi.id).run()
    friday = friday_ahead()
    fill(at, "events_new", title="Boxing", day=friday, start=time(12), end=time(13))
    submit(at, "events_new")
    assert not at.error
    with store(demo_store) as session:
        booked = session.exec(select(CalendarEvent).where(CalendarEvent.title == "Boxing")).one()
    assert booked.trainer_id == yossi.id


# --- Booking ---------------------------------------------------------------------------------


def test_a_trainer_books_a_session_at_their_local_time_and_sees_it(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    with store(demo_store) as session:
        client = session.exec(select(Client).where(Client.trainer_id == dana.id)).first()
    assert client is not None
    friday = friday_ahead()
    at = events_page(app_as, "trainer")
    fill(
        at,
        "events_new",
        title="Boxing",
        client=client.id,
        day=friday,
        start=time(12, 15),
        end=time(13, 0),
        location="Park",
    )
    submit(at, "events_new")
    assert not at.error and not at.warning
    assert [t.value for t in at.toast] == ["Session booked."]
    with store(demo_store) as session:
        booked = session.exec(select(CalendarEvent).where(CalendarEvent.title == "Boxing")).one()
    assert booked.start_at == datetime.combine(friday, time(12, 15), ZoneInfo(JERUSALEM))
    assert booked.end_at - booked.start_at == timedelta(minutes=45)
    assert (booked.client_id, booked.location) == (client.id, "Park")
    assert "Boxing" in [r["Session"] for r in table_rows(at)]
    # The form is ready for the next booking.
    assert at.text_input(key="events_new_title").value == "Personal training"


def test_a_session_ending_before_it_starts_is_refused_beside_the_end_field(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    before = count_events(demo_store, dana.id)
    at = events_page(app_as, "trainer")
    fill(at, "events_new", title="Backwards", start=time(10), end=time(9))
    submit(at, "events_new")
    beside_end = next_to(at, "events_new_end")
    assert beside_end is not None and beside_end.type == "error"
    assert beside_end.value == "The session must end after it starts."
    assert [e.value for e in at.error] == ["The session must end after it starts."]
    assert count_events(demo_store, dana.id) == before
    # Nothing typed is lost.
    assert at.text_input(key="events_new_title").value == "Backwards"
    assert at.time_input(key="events_new_start").value == time(10)
    assert at.time_input(key="events_new_end").value == time(9)
    assert not at.toast


def test_a_session_without_a_title_is_refused_beside_the_title_field(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    before = count_events(demo_store, dana.id)
    at = events_page(app_as, "trainer", lang="he")
    fill(at, "events_new", title="   ", location="Gym")
    submit(at, "events_new")
    beside_title = next_to(at, "events_new_title")
    assert beside_title is not None and beside_title.value == "תנו לאימון כותרת."
    assert count_events(demo_store, dana.id) == before
    assert at.text_input(key="events_new_location").value == "Gym"


def test_an_overlapping_booking_is_saved_with_a_warning_naming_the_other_session(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    start = datetime.combine(friday_ahead(), time(10), ZoneInfo(JERUSALEM))
    existing = CalendarEvent(
        trainer_id=dana.id, title="Strength", start_at=start, end_at=start + timedelta(hours=1)
    )
    with store(demo_store) as session:
        session.add(existing)
        session.commit()
    at = events_page(app_as, "trainer")
    fill(
        at,
        "events_new",
        title="Double booked",
        day=start.date(),
        start=(start + timedelta(minutes=30)).time(),
        end=(start + timedelta(minutes=90)).time(),
    )
    submit(at, "events_new")
    assert [t.value for t in at.toast] == ["Session booked."]
    [warning] = at.warning
    assert "overlaps" in warning.value and existing.title in warning.value
    assert "Double booked" not in warning.value
    assert "Double booked" in [r["Session"] for r in table_rows(at)]


def test_a_booking_by_a_realtime_trainer_is_sent_to_google_within_seconds(
    app_as: Callable[..., AppTest], demo_store: str, queue: Any
) -> None:
    dana = trainer(demo_store)
    with store(demo_store) as session:
        session.add(
            IntegrationCredential(
                trainer_id=dana.id,
                integration=Integration.GOOGLE_CALENDAR,
                status=ConnectionStatus.CONNECTED,
            )
        )
        session.add(GoogleCalendarSyncSettings(trainer_id=dana.id))
        session.commit()
    friday = friday_ahead()
    at = events_page(app_as, "trainer")
    assert queue.pending() == []
    fill(at, "events_new", title="Realtime", day=friday, start=time(12), end=time(13))
    submit(at, "events_new")
    # A sync of Dana's calendar, due a second later (Huey keeps delayed tasks with an eta).
    [task] = queue.pending()
    assert task.args[0] == dana.id and task.eta is not None
    states = {r["Session"]: r["Sync"] for r in table_rows(at)}
    assert states["Realtime"] == "🟡 Waiting to sync"


# --- Changing and deleting -------------------------------------------------------------------


def test_a_trainer_moves_and_renames_a_session(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    target = stored_events(demo_store, dana.id)[-1]
    at = events_page(app_as, "trainer")
    at.selectbox(key="events_pick").select(target.id).run()
    assert at.text_input(key="events_edit_title").value == target.title
    assert at.time_input(key="events_edit_start").value == local(target).time()
    friday = this_week()[0] + timedelta(days=5)
    fill(at, "events_edit", title="Moved", day=friday, start=time(14), end=time(15, 30))
    submit(at, "events_edit")
    assert [t.value for t in at.toast] == ["Changes saved."]
    with store(demo_store) as session:
        moved = session.get(CalendarEvent, target.id)
    assert moved is not None and moved.title == "Moved"
    assert moved.start_at == datetime.combine(friday, time(14), ZoneInfo(JERUSALEM))
    assert moved.end_at == datetime.combine(friday, time(15, 30), ZoneInfo(JERUSALEM))


def test_a_bad_change_is_refused_beside_the_field_and_nothing_changes(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    target = stored_events(demo_store, dana.id)[0]
    at = events_page(app_as, "trainer")
    at.selectbox(key="events_pick").select(target.id).run()
    fill(at, "events_edit", title="Renamed", start=time(18), end=time(17))
    submit(at, "events_edit")
    beside_end = next_to(at, "events_edit_end")
    assert beside_end is not None and beside_end.value == "The session must end after it starts."
    with store(demo_store) as session:
        unchanged = session.get(CalendarEvent, target.id)
    assert unchanged is not None
    assert (unchanged.title, unchanged.start_at) == (target.title, target.start_at)
    assert at.text_input(key="events_edit_title").value == "Renamed"
    assert at.time_input(key="events_edit_end").value == time(17)


def test_deleting_needs_a_confirmation_and_then_the_session_is_gone(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    target = stored_events(demo_store, dana.id)[0]
    at = events_page(app_as, "trainer")
    at.selectbox(key="events_pick").select(target.id).run()
    assert at.button(key="events_edit_delete").disabled
    at.checkbox(key="events_edit_delete_confirm").check().run()
    at.button(key="events_edit_delete").click().run()
    assert [t.value for t in at.toast] == ["Session deleted."]
    with store(demo_store) as session:
        gone = session.get(CalendarEvent, target.id)
    assert gone is not None and gone.deleted_at is not None
    assert target.id not in at.selectbox(key="events_pick").options
    assert len(table_rows(at)) == len(stored_events(demo_store, dana.id))


# --- Conflicts -------------------------------------------------------------------------------


def test_a_trainer_settles_a_conflict_by_keeping_googles_version(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    event = stored_events(demo_store, dana.id)[0]
    conflict = _conflict_on(demo_store, event)
    at = events_page(app_as, "trainer")
    assert {r["Session"]: r["Sync"] for r in table_rows(at)}[event.title] == "🟠 Conflict"
    assert "Conflicts to review (1)" in [h.value for h in at.subheader]
    page_text = " ".join(m.value for m in at.markdown)
    assert "Moved in Google" in page_text and "kept for now" in page_text
    at.button(key=f"events_conflict_{conflict.id}_google").click().run()
    assert [t.value for t in at.toast] == [
        "Kept the Google version; Google gets it at the next sync."
    ]
    with store(demo_store) as session:
        settled = session.get(SyncConflict, conflict.id)
        changed = session.get(CalendarEvent, event.id)
    assert settled is not None and (settled.resolved_by, settled.winner) == ("trainer", "google")
    assert changed is not None and changed.title == "Moved in Google"
    assert changed.start_at == event.start_at + timedelta(hours=1)
    assert changed.sync_state is SyncState.PENDING
    assert "Conflicts to review (1)" not in [h.value for h in at.subheader]
    assert "🟠 Conflict" not in {r["Sync"] for r in table_rows(at)}


def test_staff_see_a_conflict_but_cannot_settle_it(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    event = stored_events(demo_store, dana.id)[0]
    conflict = _conflict_on(demo_store, event)
    at = events_page(app_as, "staff")
    at.selectbox(key="events_trainer").select(dana.id).run()
    assert "Conflicts to review (1)" in [h.value for h in at.subheader]
    for side in ("local", "google"):
        assert at.button(key=f"events_conflict_{conflict.id}_{side}").disabled


# --- Time zones, the count, and the picker after a change ------------------------------------


def _set_zone(url: str, trainer_id: str, zone: str) -> None:
    with store(url) as session:
        row = session.get(Trainer, trainer_id)
        assert row is not None
        row.timezone = zone
        session.add(row)
        session.commit()


@pytest.mark.parametrize("role", ["trainer", "staff"])
def test_a_trainer_with_an_unknown_time_zone_is_shown_in_the_default_zone(
    app_as: Callable[..., AppTest], demo_store: str, role: str
) -> None:
    """A zone mistyped in the profile does not take the page down: times read in the
    organisation's zone, and the page says so and names the zone to correct."""
    dana = trainer(demo_store)
    _set_zone(demo_store, dana.id, "Mars/Olympus_Mons")
    at = events_page(app_as, role)
    if role == "staff":
        at.selectbox(key="events_trainer").select(dana.id).run()
    assert not at.exception
    assert "Times in Asia/Jerusalem" in [c.value for c in at.caption]
    [warning] = at.warning
    assert "Mars/Olympus_Mons" in warning.value and "Asia/Jerusalem" in warning.value
    expected = stored_events(demo_store, dana.id)
    assert [r["Time"][:5] for r in table_rows(at)] == [f"{local(e):%H:%M}" for e in expected]


def test_a_session_booked_with_an_unknown_time_zone_keeps_a_zone_google_understands(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    _set_zone(demo_store, dana.id, "Not/A_Zone")
    friday = friday_ahead()
    at = events_page(app_as, "trainer")
    fill(at, "events_new", title="Boxing", day=friday, start=time(12), end=time(13))
    submit(at, "events_new")
    assert not at.exception and not at.error
    with store(demo_store) as session:
        booked = session.exec(select(CalendarEvent).where(CalendarEvent.title == "Boxing")).one()
    assert booked.timezone == JERUSALEM
    assert booked.start_at == datetime.combine(friday, time(12), ZoneInfo(JERUSALEM))


def _caption_with(at: AppTest, text: str) -> str:
    return next(c.value for c in at.caption if text in c.value)


def test_the_count_speaks_of_events_and_says_how_many_came_from_google(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    """Google's own events (a dentist) are not sessions: the count calls everything events."""
    dana = trainer(demo_store)
    first, *rest = stored_events(demo_store, dana.id)
    with store(demo_store) as session:
        first.origin, first.sync_state = EventOrigin.GOOGLE, SyncState.SYNCED
        session.add(first)
        session.commit()
    week = this_week()
    dates = f"from {week[0]:%d/%m/%Y} to {week[1]:%d/%m/%Y}"
    at = events_page(app_as, "trainer")
    total = len(rest) + 1
    assert _caption_with(at, dates) == (
        f"{total} events {dates}: {len(rest)} from the CRM and 1 from Google"
    )
    hebrew = events_page(app_as, "trainer", lang="he")
    assert f"{total} אירועים מ-{week[0]:%d/%m/%Y}" in _caption_with(hebrew, "מ-Google")


def test_one_event_is_counted_in_the_singular_in_both_languages(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    first = stored_events(demo_store, dana.id)[0]
    day = local(first).date()
    with store(demo_store) as session:
        first.sync_state = SyncState.SYNCED
        session.add(first)
        session.commit()
    for lang, expected in (
        ("en", f"One event from {day:%d/%m/%Y} to {day:%d/%m/%Y}"),
        ("he", f"אירוע אחד מ-{day:%d/%m/%Y} עד {day:%d/%m/%Y}"),
    ):
        at = events_page(app_as, "trainer", lang=lang)
        at.date_input(key="events_range").set_value((day, day)).run()
        at.selectbox(key="events_filter_state").select(SyncState.SYNCED).run()
        assert len(table_rows(at)) == 1
        assert expected in [c.value for c in at.caption]


def test_after_a_change_the_picker_shows_the_sessions_new_label(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    """The browser shows the label it was last handed: the page hands it the new one."""
    dana = trainer(demo_store)
    target = stored_events(demo_store, dana.id)[-1]
    at = events_page(app_as, "trainer")
    at.selectbox(key="events_pick").select(target.id).run()
    fill(at, "events_edit", title="Renamed", start=time(20), end=time(21))
    submit(at, "events_edit")
    assert [t.value for t in at.toast] == ["Changes saved."]
    pick = at.selectbox(key="events_pick")
    assert pick.value == target.id
    assert pick.proto.set_value
    assert pick.proto.raw_value.endswith("20:00–21:00 · Renamed")
    assert not [o for o in pick.options if o.endswith(f"· {target.title}") and "20:00" in o]
    assert at.text_input(key="events_edit_title").value == "Renamed"


def test_after_a_delete_the_picker_shows_a_session_that_still_exists(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    target, following, *_ = stored_events(demo_store, dana.id)
    at = events_page(app_as, "trainer")
    at.selectbox(key="events_pick").select(target.id).run()
    deleted_label = at.selectbox(key="events_pick").proto.options[0]
    at.checkbox(key="events_edit_delete_confirm").check().run()
    at.button(key="events_edit_delete").click().run()
    assert [t.value for t in at.toast] == ["Session deleted."]
    pick = at.selectbox(key="events_pick")
    assert deleted_label not in pick.options
    assert pick.value == following.id
    assert (pick.proto.set_value, pick.proto.raw_value) == (True, pick.options[0])
    assert at.text_input(key="events_edit_title").value == following.title


def test_a_session_booked_for_next_week_is_shown_and_picked_for_editing(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    next_friday = this_week()[0] + timedelta(days=12)
    at = events_page(app_as, "trainer")
    fill(at, "events_new", title="Next week", day=next_friday, start=time(12), end=time(13))
    submit(at, "events_new")
    assert [t.value for t in at.toast] == ["Session booked."]
    assert at.date_input(key="events_range").value == week_containing(next_friday)
    assert "Next week" in [r["Session"] for r in table_rows(at)]
    with store(demo_store) as session:
        booked = session.exec(select(CalendarEvent).where(CalendarEvent.title == "Next week")).one()
    pick = at.selectbox(key="events_pick")
    assert pick.value == booked.id and pick.proto.raw_value.endswith("· Next week")
    assert at.text_input(key="events_edit_title").value == "Next week"
    # In the month view the move is to the month.
    at.segmented_control(key="events_view").set_value("month").run()
    next_month = month_containing(at.date_input(key="events_range").value[0]).__getitem__(1)
    later = next_month + timedelta(days=10)
    fill(at, "events_new", title="Next month", day=later, start=time(12), end=time(13))
    submit(at, "events_new")
    assert at.date_input(key="events_range").value == month_containing(later)
    assert "Next month" in [r["Session"] for r in table_rows(at)]


def test_a_session_booked_inside_the_dates_shown_leaves_them_as_they_are(
    app_as: Callable[..., AppTest],
) -> None:
    friday = friday_ahead()
    at = events_page(app_as, "trainer")
    at.segmented_control(key="events_view").set_value("month").run()
    shown = at.date_input(key="events_range").value
    fill(at, "events_new", title="Inside", day=friday, start=time(12), end=time(13))
    submit(at, "events_new")
    if shown[0] <= friday <= shown[1]:
        assert at.date_input(key="events_range").value == shown
    assert at.selectbox(key="events_pick").proto.raw_value.endswith("· Inside")


def test_a_session_moved_to_another_week_is_followed_there(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    target = stored_events(demo_store, dana.id)[0]
    earlier = this_week()[0] - timedelta(days=2)
    at = events_page(app_as, "trainer")
    at.selectbox(key="events_pick").select(target.id).run()
    fill(at, "events_edit", title="Moved back", day=earlier, start=time(12), end=time(13))
    submit(at, "events_edit")
    # Moved into the past: asked first, beside the day; saved when saved again unchanged.
    beside_day = next_to(at, "events_edit_day")
    assert beside_day is not None and beside_day.type == "warning"
    assert "starts in the past" in beside_day.value and "“Save changes” again" in beside_day.value
    with store(demo_store) as session:
        unmoved = session.get(CalendarEvent, target.id)
    assert unmoved is not None and unmoved.start_at == target.start_at
    submit(at, "events_edit")
    assert at.date_input(key="events_range").value == week_containing(earlier)
    assert at.selectbox(key="events_pick").value == target.id


# --- Bad input: a message by the field, in the reader's language; nothing typed is lost ------


def test_a_pasted_title_over_500_characters_is_kept_and_refused_beside_the_title(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    """Not cut to 500 or dropped for the default title: the trainer sees why and shortens it."""
    dana = trainer(demo_store)
    before = count_events(demo_store, dana.id)
    long_title = "אימון כוח " * 60  # 600 characters
    at = events_page(app_as, "trainer", lang="he")
    fill(at, "events_new", title=long_title, day=friday_ahead(), start=time(12), end=time(13))
    submit(at, "events_new")
    beside_title = next_to(at, "events_new_title")
    assert beside_title is not None and beside_title.type == "error"
    assert beside_title.value == (
        "הכותרת באורך 599 תווים, והמקסימום הוא 500. קצרו אותה וקבעו שוב: מה שהקלדתם נשמר."
    )
    assert count_events(demo_store, dana.id) == before
    assert at.text_input(key="events_new_title").value == long_title
    assert not at.toast


def test_a_title_of_invisible_characters_is_refused_as_no_title(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    before = count_events(demo_store, dana.id)
    at = events_page(app_as, "trainer")
    fill(at, "events_new", title="\u200b\u200f\u2060\ufeff", day=friday_ahead())
    submit(at, "events_new")
    beside_title = next_to(at, "events_new_title")
    assert beside_title is not None and beside_title.value == "Give the session a title."
    assert count_events(demo_store, dana.id) == before


def test_a_day_outside_the_allowed_years_is_explained_beside_the_day_and_the_old_error_goes(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    before = count_events(demo_store, dana.id)
    at = events_page(app_as, "trainer", lang="he")
    fill(at, "events_new", title=" ")
    submit(at, "events_new")
    assert [e.value for e in at.error] == ["תנו לאימון כותרת."]
    fill(at, "events_new", title="Far away", day=date(2150, 3, 3), start=time(9), end=time(10))
    submit(at, "events_new")
    beside_day = next_to(at, "events_new_day")
    assert beside_day is not None and beside_day.type == "error"
    assert beside_day.value == "בחרו יום בין 01/01/2000 ל-31/12/2099."
    assert [e.value for e in at.error] == [beside_day.value]  # the title's error is gone
    assert count_events(demo_store, dana.id) == before
    assert at.date_input(key="events_new_day").value == date(2150, 3, 3)
    assert at.text_input(key="events_new_title").value == "Far away"


def test_a_session_in_the_past_is_booked_only_when_the_trainer_books_it_again(
    app_as: Callable[..., AppTest], demo_store: str, queue: Any
) -> None:
    """2020 instead of 2026: a warning by the day first, nothing booked or sent to Google."""
    dana = trainer(demo_store)
    before = count_events(demo_store, dana.id)
    at = events_page(app_as, "trainer")
    fill(at, "events_new", title="Old", day=date(2020, 3, 3), start=time(9), end=time(10))
    submit(at, "events_new")
    beside_day = next_to(at, "events_new_day")
    assert beside_day is not None and beside_day.type == "warning"
    assert "starts in the past, on Tue 03/03/2020 09:00" in beside_day.value
    assert "press “Book session” again" in beside_day.value
    assert count_events(demo_store, dana.id) == before and queue.pending() == []
    assert not at.toast
    assert at.text_input(key="events_new_title").value == "Old"
    submit(at, "events_new")
    assert [t.value for t in at.toast] == ["Session booked."]
    assert count_events(demo_store, dana.id) == before + 1


def test_a_changed_past_booking_is_asked_about_again(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    dana = trainer(demo_store)
    before = count_events(demo_store, dana.id)
    at = events_page(app_as, "trainer", lang="he")
    fill(at, "events_new", title="Old", day=date(2020, 3, 3), start=time(9), end=time(10))
    submit(at, "events_new")
    fill(at, "events_new", day=date(2020, 3, 4))
    submit(at, "events_new")
    beside_day = next_to(at, "events_new_day")
    assert beside_day is not None and beside_day.type == "warning"
    assert "האימון הזה מתחיל בעבר" in beside_day.value
    assert count_events(demo_store, dana.id) == before


def test_the_last_week_that_can_be_read_shows_and_next_stays_there(
    app_as: Callable[..., AppTest],
) -> None:
    """Near the end of the calendar "Next" leaves the dates as they are instead of failing."""
    at = events_page(app_as, "trainer")
    last_week = (date(2100, 12, 19), date(2100, 12, 25))
    at.date_input(key="events_range").set_value(last_week).run()
    assert not at.exception, at.exception
    at.button(key="events_next").click().run()
    assert not at.exception, at.exception
    assert at.date_input(key="events_range").value == last_week
    assert "No events in these dates match the filters." in [i.value for i in at.info]
