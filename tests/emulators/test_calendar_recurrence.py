"""Recurring sessions through the real Calendar client: expansion, exceptions, cancellations."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.support.google_emulator import CalendarUser, ConnectUser

BERLIN = "Europe/Berlin"


def _weekly(user: CalendarUser, rule: str = "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4") -> str:
    """Mondays 09:00-10:00 Berlin time from 5 January 2026; returns the series id."""
    series = (
        user.service.events()
        .insert(
            calendarId="primary",
            body={
                "summary": "Strength class",
                "start": {"dateTime": "2026-01-05T09:00:00", "timeZone": BERLIN},
                "end": {"dateTime": "2026-01-05T10:00:00", "timeZone": BERLIN},
                "recurrence": [rule],
            },
        )
        .execute()
    )
    return str(series["id"])


def _items(user: CalendarUser, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (
        user.service.events().list(calendarId="primary", timeZone=BERLIN, **params).execute()
    )["items"]
    return items


def test_weekly_class_with_a_moved_and_a_cancelled_session_expands_correctly(
    calendar_user: ConnectUser,
) -> None:
    """singleEvents lists each session once: the moved one at its new time, the cancelled one
    not at all; without it, Google lists the series, the exception and a cancelled-instance
    tombstone carrying recurringEventId and originalStartTime."""
    user = calendar_user()
    series = _weekly(user)
    moved_id, cancelled_id = f"{series}_20260112T080000Z", f"{series}_20260119T080000Z"
    user.service.events().patch(
        calendarId="primary",
        eventId=moved_id,
        body={
            "summary": "Strength class (moved)",
            "start": {"dateTime": "2026-01-12T11:00:00", "timeZone": BERLIN},
            "end": {"dateTime": "2026-01-12T12:00:00", "timeZone": BERLIN},
        },
    ).execute()
    user.service.events().delete(calendarId="primary", eventId=cancelled_id).execute()

    expanded = _items(user, singleEvents=True, orderBy="startTime")
    compact = {item["id"]: item for item in _items(user)}
    with_deleted = _items(user, singleEvents=True, showDeleted=True)
    instances = user.service.events().instances(calendarId="primary", eventId=series).execute()

    assert [(i["start"]["dateTime"], i["summary"]) for i in expanded] == [
        ("2026-01-05T09:00:00+01:00", "Strength class"),
        ("2026-01-12T11:00:00+01:00", "Strength class (moved)"),
        ("2026-01-26T09:00:00+01:00", "Strength class"),
    ]
    assert {i["recurringEventId"] for i in expanded} == {series}
    assert expanded[1]["originalStartTime"] == {
        "dateTime": "2026-01-12T09:00:00+01:00",
        "timeZone": BERLIN,
    }
    assert set(compact) == {series, moved_id, cancelled_id}
    assert compact[series]["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"]
    assert compact[cancelled_id] == {
        "kind": "calendar#event",
        "etag": compact[cancelled_id]["etag"],
        "id": cancelled_id,
        "status": "cancelled",
        "recurringEventId": series,
        "originalStartTime": {"dateTime": "2026-01-19T09:00:00+01:00", "timeZone": BERLIN},
    }
    assert cancelled_id in {i["id"] for i in with_deleted}
    assert [i["id"] for i in instances["items"]] == [
        f"{series}_20260105T080000Z",
        moved_id,
        f"{series}_20260126T080000Z",
    ]


@pytest.mark.parametrize(
    ("recurrence", "dates"),
    [
        (["RRULE:FREQ=DAILY;COUNT=3"], ["01-05", "01-06", "01-07"]),
        (["RRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20260111T000000Z"], ["01-05", "01-07", "01-09"]),
        (["RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4"], ["01-05", "01-07", "01-12", "01-14"]),
        (["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;UNTIL=20260202"], ["01-05", "01-19", "02-02"]),
        (["RRULE:FREQ=DAILY;COUNT=3", f"EXDATE;TZID={BERLIN}:20260106T090000"], ["01-05", "01-07"]),
    ],
    ids=["daily-count", "daily-interval-until", "weekly-byday", "fortnightly-until", "exdate"],
)
def test_recurrence_rules_give_the_sessions_a_trainer_expects(
    calendar_user: ConnectUser, recurrence: list[str], dates: list[str]
) -> None:
    """DAILY and WEEKLY with COUNT, UNTIL, INTERVAL, BYDAY and EXDATE expand like Google's."""
    user = calendar_user()
    series = _weekly(user, recurrence[0])
    if len(recurrence) > 1:
        user.service.events().patch(
            calendarId="primary", eventId=series, body={"recurrence": recurrence}
        ).execute()

    expanded = _items(user, singleEvents=True, orderBy="startTime")

    assert [i["start"]["dateTime"][5:10] for i in expanded] == dates
    assert {i["start"]["dateTime"][10:] for i in expanded} == {"T09:00:00+01:00"}


def test_weekly_class_stays_at_nine_across_the_dst_change(calendar_user: ConnectUser) -> None:
    """A series recurs in its own zone's wall-clock time: 09:00 before and after DST starts."""
    user = calendar_user()
    series = (
        user.service.events()
        .insert(
            calendarId="primary",
            body={
                "summary": "Morning run",
                "start": {"dateTime": "2026-03-23T09:00:00+01:00", "timeZone": BERLIN},
                "end": {"dateTime": "2026-03-23T10:00:00+01:00", "timeZone": BERLIN},
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=2"],
            },
        )
        .execute()
    )

    instances = user.service.events().instances(
        calendarId="primary", eventId=series["id"], timeZone=BERLIN
    )

    assert [i["start"]["dateTime"] for i in instances.execute()["items"]] == [
        "2026-03-23T09:00:00+01:00",
        "2026-03-30T09:00:00+02:00",
    ]


def test_a_recurring_session_without_a_time_zone_is_refused(calendar_user: ConnectUser) -> None:
    """Recurring events need start.timeZone to expand in; Google answers 400 without it."""
    user = calendar_user()

    with pytest.raises(HttpError) as refused:
        user.service.events().insert(
            calendarId="primary",
            body={
                "start": {"dateTime": "2026-01-05T09:00:00+01:00"},
                "end": {"dateTime": "2026-01-05T10:00:00+01:00"},
                "recurrence": ["RRULE:FREQ=WEEKLY"],
            },
        ).execute()

    assert refused.value.status_code == 400
    assert refused.value.reason == "Missing time zone definition for start time."


def test_editing_one_session_in_google_syncs_only_that_session(calendar_user: ConnectUser) -> None:
    """An instance changed in Google comes back alone in the next incremental sync."""
    user = calendar_user()
    series = _weekly(user)
    full = user.service.events().list(calendarId="primary", singleEvents=True).execute()
    user.control(
        "PATCH",
        f"/_emulator/calendar/events/{series}_20260126T080000Z",
        json={"email": user.email, "changes": {"summary": "Last class: bring water"}},
    )

    changes = user.service.events().list(
        calendarId="primary", singleEvents=True, syncToken=full["nextSyncToken"]
    )

    assert [(i["id"], i["summary"]) for i in changes.execute()["items"]] == [
        (f"{series}_20260126T080000Z", "Last class: bring water")
    ]
