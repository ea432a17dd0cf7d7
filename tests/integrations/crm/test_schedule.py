"""The schedule the events page reads: ranges in the trainer's days, filters, overlaps, and
conflicts that wait for the trainer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from db.models import (
    CalendarEvent,
    Client,
    EventOrigin,
    Integration,
    IntegrationCredential,
    SyncConflict,
    SyncState,
    Trainer,
)
from integrations.core.access import Actor
from integrations.core.errors import AccessDenied, InvalidInput
from integrations.crm import schedule
from integrations.crm.schedule import CRM_ONLY, ScheduleFilter
from integrations.google_calendar.conflicts import resolve_conflict

JERUSALEM = ZoneInfo("Asia/Jerusalem")
WEEK_START = datetime(2026, 12, 6, tzinfo=JERUSALEM)  # a Sunday
WEEK_END = WEEK_START + timedelta(days=7)


def _event(session: Session, trainer_id: str, start: datetime, **fields: object) -> CalendarEvent:
    values: dict[str, object] = {
        "trainer_id": trainer_id,
        "title": "Session",
        "start_at": start,
        "end_at": start + timedelta(hours=1),
    } | fields
    event = CalendarEvent(**values)
    session.add(event)
    session.commit()
    return event


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=JERUSALEM)


@pytest.fixture
def dana(people: dict[str, Actor]) -> Actor:
    return people["trainer"]


def _trainer_id(actor: Actor) -> str:
    assert actor.trainer_id is not None
    return actor.trainer_id


def test_a_week_runs_from_sunday_to_saturday_and_a_month_from_its_first_day() -> None:
    assert schedule.week_containing(date(2026, 12, 9)) == (date(2026, 12, 6), date(2026, 12, 12))
    assert schedule.week_containing(date(2026, 12, 6)) == (date(2026, 12, 6), date(2026, 12, 12))
    assert schedule.week_containing(date(2026, 12, 12)) == (date(2026, 12, 6), date(2026, 12, 12))
    assert schedule.month_containing(date(2028, 2, 15)) == (date(2028, 2, 1), date(2028, 2, 29))
    assert schedule.month_containing(date(2026, 12, 31)) == (date(2026, 12, 1), date(2026, 12, 31))


def test_a_range_is_whole_days_in_the_trainers_zone_even_when_the_clocks_change() -> None:
    """Israel leaves summer time on 25 October 2026: that day is 25 hours long."""
    start, end = schedule.day_span(date(2026, 10, 25), date(2026, 10, 25), "Asia/Jerusalem")
    assert (start.hour, end.hour) == (0, 0)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=25)


def test_today_is_the_trainers_date_not_the_servers() -> None:
    late_evening_utc = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)
    assert schedule.today_in("Asia/Jerusalem", late_evening_utc) == date(2026, 12, 6)
    assert schedule.today_in("America/New_York", late_evening_utc) == date(2026, 12, 5)


def test_more_than_three_months_at_once_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        schedule.day_span(date(2026, 1, 1), date(2026, 6, 1), "Asia/Jerusalem")
    assert refused.value.field == "end"
    with pytest.raises(InvalidInput):
        schedule.day_span(date(2026, 1, 2), date(2026, 1, 1), "Asia/Jerusalem")


def test_only_sessions_that_touch_the_range_are_read(session: Session, dana: Actor) -> None:
    trainer_id = _trainer_id(dana)
    before = _event(session, trainer_id, _at(5, 22), title="Saturday night")
    across = _event(
        session, trainer_id, _at(5, 23, 30), end_at=_at(6, 0, 30), title="Across midnight"
    )
    inside = _event(session, trainer_id, _at(8, 7), title="Tuesday")
    _event(session, trainer_id, _at(13, 7), title="Next Sunday")
    shown = schedule.read_schedule(dana, trainer_id, WEEK_START, WEEK_END, session=session)
    assert [item.event.title for item in shown] == [across.title, inside.title]
    assert before.title not in {item.event.title for item in shown}
    assert shown[1].event.start.tzinfo is not None and shown[1].event.start.hour == 7


def test_filters_keep_only_the_sessions_asked_for(session: Session, dana: Actor) -> None:
    trainer_id = _trainer_id(dana)
    client = Client(trainer_id=trainer_id, name="Ron")
    session.add(client)
    session.commit()
    crm = _event(session, trainer_id, _at(7, 7), title="CRM", client_id=client.id)
    google = _event(
        session,
        trainer_id,
        _at(7, 9),
        title="Dentist",
        origin=EventOrigin.GOOGLE,
        google_calendar_id="family@example.com",
        google_event_id="g1",
        sync_state=SyncState.SYNCED,
    )
    pushed = _event(
        session,
        trainer_id,
        _at(7, 17),
        title="Pushed",
        google_calendar_id="primary",
        google_event_id="g2",
        sync_state=SyncState.ERROR,
    )

    def titles(filters: ScheduleFilter) -> list[str]:
        return [
            item.event.title
            for item in schedule.read_schedule(
                dana, trainer_id, WEEK_START, WEEK_END, filters=filters, session=session
            )
        ]

    assert titles(ScheduleFilter()) == [crm.title, google.title, pushed.title]
    assert titles(ScheduleFilter(calendar_id=CRM_ONLY)) == [crm.title]
    assert titles(ScheduleFilter(calendar_id="family@example.com")) == [google.title]
    assert titles(ScheduleFilter(client_id=client.id)) == [crm.title]
    assert titles(ScheduleFilter(origin=EventOrigin.GOOGLE)) == [google.title]
    assert titles(ScheduleFilter(origin=EventOrigin.CRM)) == [crm.title, pushed.title]
    assert titles(ScheduleFilter(sync_state=SyncState.ERROR)) == [pushed.title]
    assert titles(ScheduleFilter(sync_state=SyncState.LOCAL_ONLY)) == [crm.title]


def _conflict(
    session: Session, event: CalendarEvent, *, resolved_by: str = "rule", minutes_ago: int = 5
) -> SyncConflict:
    conflict = SyncConflict(
        trainer_id=event.trainer_id,
        event_id=event.id,
        detected_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
        local_version={
            "summary": "Spinning (CRM)",
            "start": event.start_at.isoformat(),
            "end": event.end_at.isoformat(),
            "deleted": False,
        },
        google_version={
            "summary": "Spinning (Google)",
            "start": {"dateTime": "2026-12-08T06:00:00Z"},
            "end": {"dateTime": "2026-12-08T07:00:00Z"},
            "status": "confirmed",
        },
        winner="local",
        resolved_by=resolved_by,
    )
    session.add(conflict)
    session.commit()
    return conflict


def test_a_conflict_shows_until_the_trainer_chooses_a_version(
    session: Session, dana: Actor
) -> None:
    trainer_id = _trainer_id(dana)
    event = _event(
        session, trainer_id, _at(8, 7), title="Spinning (CRM)", sync_state=SyncState.PENDING
    )
    conflict = _conflict(session, event)
    [item] = schedule.read_schedule(dana, trainer_id, WEEK_START, WEEK_END, session=session)
    assert item.sync_state is SyncState.CONFLICT
    assert item.conflict is not None and item.conflict.id == conflict.id
    assert item.conflict.kept == "local"
    # Google's version, written in UTC, is shown in the trainer's zone (UTC+2 in December).
    assert item.conflict.google.title == "Spinning (Google)"
    assert item.conflict.google.start == _at(8, 8)
    assert item.conflict.google.start is not None and item.conflict.google.start.hour == 8
    assert item.conflict.local.start is not None and item.conflict.local.start.hour == 7

    resolve_conflict(dana, conflict.id, "google", session=session)
    [after] = schedule.read_schedule(dana, trainer_id, WEEK_START, WEEK_END, session=session)
    assert after.conflict is None
    assert after.sync_state is SyncState.PENDING
    assert after.event.title == "Spinning (Google)"
    assert ScheduleFilter(sync_state=SyncState.CONFLICT).keeps(after) is False


def test_a_session_decided_by_the_trainer_is_no_longer_a_conflict_even_with_older_ones(
    session: Session, dana: Actor
) -> None:
    trainer_id = _trainer_id(dana)
    event = _event(session, trainer_id, _at(8, 7))
    _conflict(session, event, resolved_by="rule", minutes_ago=60)
    _conflict(session, event, resolved_by="trainer", minutes_ago=5)
    assert schedule.open_conflicts(dana, trainer_id, [event.id], session=session) == {}


def test_overlaps_name_the_other_timed_sessions_only(session: Session, dana: Actor) -> None:
    trainer_id = _trainer_id(dana)
    mine = _event(session, trainer_id, _at(8, 7), title="Mine")
    clash = _event(session, trainer_id, _at(8, 7, 30), title="Clash")
    _event(session, trainer_id, _at(8, 8), title="Right after")  # touching is not overlapping
    _event(
        session,
        trainer_id,
        _at(8, 0),
        end_at=_at(9, 0),
        all_day=True,
        title="Hanukkah",
    )
    overlaps = schedule.find_overlaps(
        dana, trainer_id, mine.start_at, mine.end_at, ignore_event_id=mine.id, session=session
    )
    assert [e.title for e in overlaps] == [clash.title]


def test_the_calendar_filter_lists_the_accounts_calendars_then_others_in_the_store(
    session: Session, dana: Actor
) -> None:
    trainer_id = _trainer_id(dana)
    session.add(
        IntegrationCredential(
            trainer_id=trainer_id,
            integration=Integration.GOOGLE_CALENDAR,
            calendars=[
                {"id": "dana@example.com", "summary": "Dana", "primary": True},
                {"id": "family@example.com", "summary": "Family"},
            ],
        )
    )
    session.commit()
    _event(session, trainer_id, _at(8, 7), google_calendar_id="old@example.com")
    _event(session, trainer_id, _at(8, 9), google_calendar_id="family@example.com")
    choices = schedule.calendar_choices(dana, trainer_id, session=session)
    assert [(c.id, c.name) for c in choices] == [
        ("dana@example.com", "Dana"),
        ("family@example.com", "Family"),
        ("old@example.com", "old@example.com"),
    ]


def test_another_trainers_schedule_stays_private(
    session: Session, people: dict[str, Actor]
) -> None:
    dana, yossi = people["trainer"], people["other_trainer"]
    yossi_id = _trainer_id(yossi)
    event = _event(session, yossi_id, _at(8, 7))
    with pytest.raises(AccessDenied):
        schedule.read_schedule(dana, yossi_id, WEEK_START, WEEK_END, session=session)
    with pytest.raises(AccessDenied):
        schedule.open_conflicts(dana, yossi_id, [event.id], session=session)
    with pytest.raises(AccessDenied):
        schedule.calendar_choices(dana, yossi_id, session=session)
    with pytest.raises(AccessDenied):
        schedule.find_overlaps(dana, yossi_id, WEEK_START, WEEK_END, session=session)
    staff_view = schedule.read_schedule(
        people["staff"], yossi_id, WEEK_START, WEEK_END, session=session
    )
    assert [item.event.id for item in staff_view] == [event.id]


def test_a_trainer_in_another_zone_reads_their_own_local_times(
    session: Session, dana: Actor
) -> None:
    trainer_id = _trainer_id(dana)
    trainer = session.get(Trainer, trainer_id)
    assert trainer is not None
    trainer.timezone = "America/New_York"
    session.add(trainer)
    session.commit()
    _event(session, trainer_id, datetime(2026, 12, 8, 12, 0, tzinfo=UTC))
    start, end = schedule.day_span(date(2026, 12, 6), date(2026, 12, 12), trainer.timezone)
    [item] = schedule.read_schedule(dana, trainer_id, start, end, session=session)
    assert (item.event.start.hour, item.event.start.utcoffset()) == (7, timedelta(hours=-5))


def test_staff_pick_from_every_trainer_and_a_trainer_only_from_themselves(
    session: Session, people: dict[str, Actor]
) -> None:
    dana, yossi = people["trainer"], people["other_trainer"]
    everyone = schedule.trainer_choices(people["staff"], session=session)
    assert [(c.id, c.name) for c in everyone] == [
        (_trainer_id(dana), "Dana"),
        (_trainer_id(yossi), "Yossi"),
    ]
    assert {c.timezone for c in everyone} == {"Asia/Jerusalem"}
    assert [c.id for c in schedule.trainer_choices(dana, session=session)] == [_trainer_id(dana)]
