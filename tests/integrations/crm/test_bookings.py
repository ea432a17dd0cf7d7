"""Sessions in the CRM: validation a trainer understands, privacy, and what sync will send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from db.models import CalendarEvent, Client, Integration, IntegrationCredential, SyncState
from integrations.core.access import Actor
from integrations.core.errors import AccessDenied, InvalidInput, NotFound
from integrations.crm import bookings, schedule
from integrations.google_calendar.events import google_body

JERUSALEM = ZoneInfo("Asia/Jerusalem")


def _values(**overrides: object) -> dict[str, object]:
    start = datetime(2026, 12, 6, 7, 0, tzinfo=JERUSALEM)
    return {
        "title": "Personal training",
        "start_at": start,
        "end_at": start + timedelta(hours=1),
    } | overrides


def test_a_trainer_creates_a_session_that_waits_locally_until_google_is_connected(
    session: Session, people: dict[str, Actor]
) -> None:
    dana = people["trainer"]
    assert dana.trainer_id is not None
    event = bookings.create_booking(dana, dana.trainer_id, _values(), session=session)
    assert event.sync_state is SyncState.LOCAL_ONLY
    session.add(
        IntegrationCredential(trainer_id=dana.trainer_id, integration=Integration.GOOGLE_CALENDAR)
    )
    session.commit()
    second = bookings.create_booking(
        dana, dana.trainer_id, _values(title="Second"), session=session
    )
    assert second.sync_state is SyncState.PENDING


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"end_at": datetime(2026, 12, 6, 6, 0, tzinfo=JERUSALEM)}, "end_at"),
        ({"start_at": datetime(2026, 12, 6, 7, 0)}, "start_at"),
        ({"client_id": "someone-elses"}, "client_id"),
    ],
)
def test_bad_sessions_are_refused_with_the_field_named(
    session: Session, people: dict[str, Actor], overrides: dict[str, object], field: str
) -> None:
    dana = people["trainer"]
    assert dana.trainer_id is not None
    with pytest.raises(InvalidInput) as raised:
        bookings.create_booking(dana, dana.trainer_id, _values(**overrides), session=session)
    assert raised.value.field == field
    assert session.exec(select(CalendarEvent)).all() == []


def test_another_trainers_client_cannot_be_booked(
    session: Session, people: dict[str, Actor]
) -> None:
    dana, yossi = people["trainer"], people["other_trainer"]
    assert dana.trainer_id and yossi.trainer_id
    client = Client(trainer_id=yossi.trainer_id, name="Yossi's client")
    session.add(client)
    session.commit()
    with pytest.raises(InvalidInput, match="clients"):
        bookings.create_booking(
            dana, dana.trainer_id, _values(client_id=client.id), session=session
        )


def test_a_trainer_can_neither_see_nor_change_another_trainers_sessions(
    session: Session, people: dict[str, Actor]
) -> None:
    dana, yossi = people["trainer"], people["other_trainer"]
    assert dana.trainer_id and yossi.trainer_id
    theirs = bookings.create_booking(yossi, yossi.trainer_id, _values(), session=session)
    with pytest.raises(NotFound):
        bookings.update_booking(dana, theirs.id, {"title": "mine now"}, session=session)
    with pytest.raises(NotFound):
        bookings.delete_booking(dana, theirs.id, session=session)
    with pytest.raises(AccessDenied):
        bookings.get_google_calendar_events(
            dana,
            yossi.trainer_id,
            datetime(2026, 12, 1, tzinfo=UTC),
            datetime(2027, 1, 1, tzinfo=UTC),
            session=session,
        )
    with pytest.raises(AccessDenied):
        bookings.create_booking(dana, yossi.trainer_id, _values(), session=session)


def test_staff_may_look_but_not_edit(session: Session, people: dict[str, Actor]) -> None:
    dana, staff = people["trainer"], people["staff"]
    assert dana.trainer_id is not None
    event = bookings.create_booking(dana, dana.trainer_id, _values(), session=session)
    seen = bookings.get_google_calendar_events(
        staff,
        dana.trainer_id,
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
        session=session,
    )
    assert [e.id for e in seen] == [event.id]
    with pytest.raises(AccessDenied):
        bookings.update_booking(staff, event.id, {"title": "x"}, session=session)


def test_events_are_read_back_in_the_trainers_time_zone_across_dst(
    session: Session, people: dict[str, Actor]
) -> None:
    """07:00 in Jerusalem stays 07:00 in winter (UTC+2) and in summer (UTC+3)."""
    dana = people["trainer"]
    assert dana.trainer_id is not None
    winter = datetime(2026, 12, 6, 7, 0, tzinfo=JERUSALEM)
    summer = datetime(2027, 6, 6, 7, 0, tzinfo=JERUSALEM)
    for start in (winter, summer):
        bookings.create_booking(
            dana,
            dana.trainer_id,
            _values(start_at=start, end_at=start + timedelta(hours=1)),
            session=session,
        )
    events = bookings.get_google_calendar_events(
        dana,
        dana.trainer_id,
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 7, 1, tzinfo=UTC),
        session=session,
    )
    assert [(e.start.hour, e.start.utcoffset()) for e in events] == [
        (7, timedelta(hours=2)),
        (7, timedelta(hours=3)),
    ]


def test_changing_and_deleting_a_linked_session_marks_it_for_google(
    session: Session, people: dict[str, Actor]
) -> None:
    dana = people["trainer"]
    assert dana.trainer_id is not None
    event = bookings.create_booking(dana, dana.trainer_id, _values(), session=session)
    event.google_event_id = event.id
    event.google_calendar_id = "dana@gmail.com"
    event.sync_state = SyncState.SYNCED
    session.add(event)
    session.commit()
    changed = bookings.update_booking(dana, event.id, {"title": "Moved"}, session=session)
    assert changed.sync_state is SyncState.PENDING
    bookings.delete_booking(dana, event.id, session=session)
    session.refresh(event)
    assert event.deleted_at is not None and event.sync_state is SyncState.PENDING
    assert (
        bookings.get_google_calendar_events(
            dana,
            dana.trainer_id,
            datetime(2026, 12, 1, tzinfo=UTC),
            datetime(2027, 1, 1, tzinfo=UTC),
            session=session,
        )
        == []
    )


# --- Bad input: refused with the field and the reason, nothing stored -------------------------

WINTER = datetime(2030, 1, 6, 7, 0, tzinfo=JERUSALEM)


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"start_at": datetime(1, 1, 1, 7, tzinfo=JERUSALEM)}, "start_at", "out_of_range"),
        (
            {
                "start_at": datetime(9999, 12, 31, 7, tzinfo=JERUSALEM),
                "end_at": datetime(9999, 12, 31, 8, tzinfo=JERUSALEM),
            },
            "start_at",
            "out_of_range",
        ),
        ({"end_at": datetime(2036, 1, 6, 7, tzinfo=JERUSALEM)}, "end_at", "too_long"),
        ({"end_at": WINTER + timedelta(hours=25)}, "end_at", "too_long"),
        (
            {"all_day": True, "end_at": WINTER + timedelta(days=40)},
            "end_at",
            "too_long",
        ),
        ({"title": "Box\x00ing"}, "title", "control"),
        ({"title": "Box\ting"}, "title", "control"),
        ({"location": "Gym\x00"}, "location", "control"),
        ({"description": "warm up\x00"}, "description", "control"),
        ({"description": "x" * 1_000_000}, "description", "too_long"),
        ({"title": "x" * 501}, "title", "too_long"),
        ({"location": "x" * 501}, "location", "too_long"),
        ({"title": "\u200b\u200c\u200d\u2060\ufeff\u200f\u202b\u2067 "}, "title", "missing"),
        ({"all_day": "yes"}, "all_day", "not_bool"),
        ({"all_day": "false"}, "all_day", "not_bool"),
        ({"title": 42}, "title", "not_text"),
    ],
)
def test_a_session_no_one_could_mean_is_refused_naming_the_field_and_why(
    session: Session,
    people: dict[str, Actor],
    overrides: dict[str, object],
    field: str,
    reason: str,
) -> None:
    """Years 1 and 9999, a ten-year or 25-hour session, NULs, a 1 MB note, an invisible title,
    all_day as a string: each is an InvalidInput the page can put beside its field."""
    dana = people["trainer"]
    assert dana.trainer_id is not None
    values = {"start_at": WINTER, "end_at": WINTER + timedelta(hours=1)} | overrides
    with pytest.raises(InvalidInput) as raised:
        bookings.create_booking(dana, dana.trainer_id, _values(**values), session=session)
    assert (raised.value.field, raised.value.reason) == (field, reason)
    assert session.exec(select(CalendarEvent)).all() == []


def test_notes_keep_their_line_breaks_and_a_hebrew_title_its_marks(
    session: Session, people: dict[str, Actor]
) -> None:
    dana = people["trainer"]
    assert dana.trainer_id is not None
    event = bookings.create_booking(
        dana,
        dana.trainer_id,
        _values(title="\u200fאימון כוח", description="line one\nline two\tindented"),
        session=session,
    )
    assert event.title == "\u200fאימון כוח"
    assert event.description == "line one\nline two\tindented"


def test_a_bad_change_is_refused_by_the_same_rules_and_leaves_the_session_as_it_was(
    session: Session, people: dict[str, Actor]
) -> None:
    dana = people["trainer"]
    assert dana.trainer_id is not None
    event = bookings.create_booking(dana, dana.trainer_id, _values(), session=session)
    for changes, field in (
        ({"title": "\u200b"}, "title"),
        ({"end_at": event.start_at + timedelta(days=3650)}, "end_at"),
        ({"all_day": "no"}, "all_day"),
        ({"description": "\x00"}, "description"),
    ):
        with pytest.raises(InvalidInput) as raised:
            bookings.update_booking(dana, event.id, changes, session=session)
        assert raised.value.field == field
        session.refresh(event)
        assert (event.title, event.all_day, event.description) == ("Personal training", False, None)


def test_renaming_a_long_event_from_google_is_not_refused_for_its_length(
    session: Session, people: dict[str, Actor]
) -> None:
    """A three-day conference made in Google can still get a new title here."""
    dana = people["trainer"]
    assert dana.trainer_id is not None
    event = CalendarEvent(
        trainer_id=dana.trainer_id,
        title="Conference",
        start_at=WINTER,
        end_at=WINTER + timedelta(days=3),
    )
    session.add(event)
    session.commit()
    renamed = bookings.update_booking(
        dana, event.id, {"title": "Conference (Eilat)"}, session=session
    )
    assert renamed.title == "Conference (Eilat)"


def test_reading_dates_near_year_9999_is_refused_clearly_and_an_event_there_still_reads(
    session: Session, people: dict[str, Actor]
) -> None:
    dana = people["trainer"]
    assert dana.trainer_id is not None
    with pytest.raises(InvalidInput) as raised:
        bookings.get_google_calendar_events(
            dana,
            dana.trainer_id,
            datetime(9999, 12, 30, tzinfo=UTC),
            datetime(9999, 12, 31, 23, tzinfo=UTC),
            session=session,
        )
    assert raised.value.reason == "out_of_range"
    # A Google event that never ends still shows in the range where it starts.
    forever = CalendarEvent(
        trainer_id=dana.trainer_id,
        title="Forever",
        start_at=WINTER,
        end_at=datetime(9999, 12, 31, 23, 30, tzinfo=UTC),
    )
    session.add(forever)
    session.commit()
    [seen] = bookings.get_google_calendar_events(
        dana,
        dana.trainer_id,
        WINTER - timedelta(days=1),
        WINTER + timedelta(days=1),
        session=session,
    )
    assert seen.title == "Forever" and seen.end.year == 9999


# --- Near year 9999: a clear refusal or a sensible answer, never OverflowError ---------------


@pytest.mark.parametrize(
    "read",
    [
        lambda: schedule.day_span(date(9999, 12, 30), date(9999, 12, 31), "America/New_York"),
        lambda: schedule.day_span(date(1, 1, 1), date(1, 1, 2), "Asia/Jerusalem"),
        lambda: schedule.week_containing(date(9999, 12, 31)),
        lambda: schedule.week_containing(date(1, 1, 1)),
        lambda: schedule.month_containing(date(9999, 12, 31)),
    ],
)
def test_reading_a_range_near_the_ends_of_the_calendar_is_refused_by_name(
    read: Callable[[], object],
) -> None:
    with pytest.raises(InvalidInput) as raised:
        read()
    assert raised.value.reason == "out_of_range"
    assert raised.value.field in ("start", "end")


def test_the_weeks_and_months_at_the_edges_of_the_booking_range_still_read() -> None:
    assert schedule.week_containing(bookings.FIRST_DAY)[0] == date(1999, 12, 26)
    assert schedule.month_containing(bookings.LAST_DAY) == (date(2099, 12, 1), date(2099, 12, 31))
    start, end = schedule.day_span(date(2099, 12, 27), date(2100, 1, 2), "America/New_York")
    assert (start.year, end.year) == (2099, 2100)


def test_google_gets_an_all_day_event_on_the_last_day_there_is_without_a_crash() -> None:
    """Google's exclusive end date of 9999-12-31 would be a day that does not exist."""
    event = CalendarEvent(
        trainer_id="t",
        title="Forever",
        all_day=True,
        timezone="Asia/Jerusalem",
        start_at=datetime(9999, 12, 30, 22, tzinfo=UTC),
        end_at=datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
    )
    body = google_body(event)
    assert body["start"] == {"date": "9999-12-31"}
    assert body["end"]["date"] == "9999-12-31"
    timed = CalendarEvent(
        trainer_id="t",
        title="Late",
        timezone="Asia/Jerusalem",
        start_at=datetime(9999, 12, 31, 21, tzinfo=UTC),
        end_at=datetime(9999, 12, 31, 23, tzinfo=UTC),
    )
    body = google_body(timed)
    assert body["start"]["dateTime"].startswith("9999-12-31T23:00")
    assert body["end"]["dateTime"].startswith("9999-12-31T23:59")


def test_a_booking_in_the_past_waits_for_the_trainers_yes_when_the_form_asks(
    session: Session, people: dict[str, Actor]
) -> None:
    """The clock is the test's: a session an hour before "now" is refused as in_past until
    the form passes allow_past; one after "now" is booked straight away."""
    dana = people["trainer"]
    assert dana.trainer_id is not None
    now = WINTER + timedelta(hours=1)
    with pytest.raises(InvalidInput) as raised:
        bookings.create_booking(
            dana,
            dana.trainer_id,
            _values(start_at=WINTER, end_at=WINTER + timedelta(hours=1)),
            allow_past=False,
            now=now,
            session=session,
        )
    assert (raised.value.field, raised.value.reason) == ("start_at", "in_past")
    assert session.exec(select(CalendarEvent)).all() == []
    bookings.create_booking(
        dana,
        dana.trainer_id,
        _values(start_at=WINTER, end_at=WINTER + timedelta(hours=1)),
        allow_past=False,
        now=WINTER,
        session=session,
    )
    bookings.create_booking(
        dana,
        dana.trainer_id,
        _values(start_at=WINTER, end_at=WINTER + timedelta(hours=1)),
        allow_past=True,
        now=now,
        session=session,
    )
    assert len(session.exec(select(CalendarEvent)).all()) == 2


def test_moving_a_session_into_the_past_waits_for_the_trainers_yes_but_renaming_does_not(
    session: Session, people: dict[str, Actor]
) -> None:
    dana = people["trainer"]
    assert dana.trainer_id is not None
    event = bookings.create_booking(
        dana,
        dana.trainer_id,
        _values(start_at=WINTER, end_at=WINTER + timedelta(hours=1)),
        session=session,
    )
    now = WINTER + timedelta(days=1)
    earlier = {"start_at": WINTER - timedelta(days=1), "end_at": WINTER - timedelta(hours=23)}
    with pytest.raises(InvalidInput) as raised:
        bookings.update_booking(dana, event.id, earlier, allow_past=False, now=now, session=session)
    assert raised.value.reason == "in_past"
    session.refresh(event)
    assert event.start_at == WINTER
    renamed = bookings.update_booking(
        dana, event.id, {"title": "Renamed"}, allow_past=False, now=now, session=session
    )
    assert renamed.title == "Renamed"
    moved = bookings.update_booking(
        dana, event.id, earlier, allow_past=True, now=now, session=session
    )
    assert moved.start_at == earlier["start_at"]
