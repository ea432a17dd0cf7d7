"""Writing events through the real Calendar client: ids, etags, deletes, times, access."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import httpx
import pytest
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from tests.support.google_emulator import (
    CALENDAR_READONLY,
    ConnectUser,
    GoogleEmulator,
    calendar_service,
    error_reason,
)

SESSION: dict[str, Any] = {
    "summary": "PT with Noa",
    "start": {"dateTime": "2026-01-05T10:00:00+02:00"},
    "end": {"dateTime": "2026-01-05T11:00:00+02:00"},
}
UPDATED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def _instant(value: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(value["dateTime"])


def test_inserting_with_our_own_id_twice_is_a_409_not_a_second_event(
    calendar_user: ConnectUser,
) -> None:
    """A retried insert with a client-chosen id answers 409 duplicate; one event exists."""
    user = calendar_user()
    body = {**SESSION, "id": "crm0session0000042"}

    first = user.service.events().insert(calendarId="primary", body=body).execute()
    with pytest.raises(HttpError) as again:
        user.service.events().insert(calendarId="primary", body=body).execute()

    assert first["id"] == "crm0session0000042"
    assert again.value.status_code == 409
    assert error_reason(again.value) == "duplicate"
    assert again.value.reason == "The requested identifier already exists."
    listed = user.service.events().list(calendarId="primary").execute()["items"]
    assert [item["id"] for item in listed] == ["crm0session0000042"]


@pytest.mark.parametrize("bad_id", ["abcd", "crm-session-1", "UPPERCASE1", "wxyz12345"])
def test_event_ids_outside_base32hex_are_refused(calendar_user: ConnectUser, bad_id: str) -> None:
    """Ids must be 5-1024 characters of a-v and 0-9, or Google answers 400 invalid."""
    user = calendar_user()

    with pytest.raises(HttpError) as refused:
        user.service.events().insert(calendarId="primary", body={**SESSION, "id": bad_id}).execute()

    assert refused.value.status_code == 400
    assert error_reason(refused.value) == "invalid"
    assert refused.value.reason == "Invalid resource id value."


def test_every_change_gets_a_new_etag_and_a_stale_if_match_is_refused(
    calendar_user: ConnectUser,
) -> None:
    """Etags change on every change (ours or Google's); If-Match with an old one answers 412
    and changes nothing; `updated` is RFC 3339 with milliseconds and only moves forward."""
    user = calendar_user()
    created = user.service.events().insert(calendarId="primary", body=SESSION).execute()
    patched = (
        user.service.events()
        .patch(
            calendarId="primary",
            eventId=created["id"],
            body={"summary": "Moved"},
            sendUpdates="none",
        )
        .execute()
    )
    in_google = user.control(
        "PATCH",
        f"/_emulator/calendar/events/{created['id']}",
        json={"email": user.email, "changes": {"location": "Gym B"}},
    ).json()
    assert len({created["etag"], patched["etag"], in_google["etag"]}) == 3
    assert all(UPDATED.fullmatch(e["updated"]) for e in (created, patched, in_google))
    assert created["updated"] <= patched["updated"] <= in_google["updated"]

    stale = user.service.events().patch(
        calendarId="primary", eventId=created["id"], body={"summary": "Overwrite"}
    )
    stale.headers["If-Match"] = patched["etag"]
    with pytest.raises(HttpError) as refused:
        stale.execute()

    assert refused.value.status_code == 412
    assert error_reason(refused.value) == "conditionNotMet"
    current = user.service.events().get(calendarId="primary", eventId=created["id"]).execute()
    assert current["summary"] == "Moved" and current["location"] == "Gym B"
    fresh = user.service.events().update(
        calendarId="primary", eventId=created["id"], body={**current, "summary": "Agreed"}
    )
    fresh.headers["If-Match"] = current["etag"]
    assert fresh.execute()["summary"] == "Agreed"
    sent = [c["query"] for c in user.requests()["calls"] if c["method"] == "PATCH"]
    assert "sendUpdates=none" in sent[0]


def test_deleting_twice_answers_410_and_an_unknown_event_404(calendar_user: ConnectUser) -> None:
    """DELETE answers 204 ('' from execute); the event then reads as cancelled; a second
    delete is 410 deleted; an id Google never had is 404 notFound."""
    user = calendar_user()
    created = user.service.events().insert(calendarId="primary", body=SESSION).execute()

    assert user.service.events().delete(calendarId="primary", eventId=created["id"]).execute() == ""
    after = user.service.events().get(calendarId="primary", eventId=created["id"]).execute()
    with pytest.raises(HttpError) as twice:
        user.service.events().delete(calendarId="primary", eventId=created["id"]).execute()
    with pytest.raises(HttpError) as unknown:
        user.service.events().delete(calendarId="primary", eventId="neverexisted1").execute()

    assert after["status"] == "cancelled"
    assert (twice.value.status_code, error_reason(twice.value)) == (410, "deleted")
    assert (unknown.value.status_code, error_reason(unknown.value)) == (404, "notFound")
    assert unknown.value.reason == "Not Found"


def test_all_day_and_zoned_sessions_keep_their_day_instant_and_zone(
    calendar_user: ConnectUser,
) -> None:
    """All-day dates come back unchanged (exclusive end); timed events keep their instant and
    their own timeZone, written in the calendar's zone as Google does; private extended
    properties survive, and a patch merges into them."""
    user = calendar_user()
    user.control(
        "POST",
        "/_emulator/calendar/calendars",
        json={"email": user.email, "id": "primary", "timeZone": "Asia/Jerusalem"},
    )
    all_day = {"summary": "Retreat", "start": {"date": "2026-03-27"}, "end": {"date": "2026-03-29"}}
    berlin = {
        "summary": "Online session",
        "start": {"dateTime": "2026-03-29T09:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-03-29T10:00:00", "timeZone": "Europe/Berlin"},
        "extendedProperties": {"private": {"crmSessionId": "42"}},
    }
    events = user.service.events()
    made = [
        events.insert(calendarId="primary", body=b).execute() for b in (all_day, berlin, SESSION)
    ]
    got = [events.get(calendarId="primary", eventId=m["id"]).execute() for m in made]

    assert (got[0]["start"], got[0]["end"]) == (all_day["start"], all_day["end"])
    # Berlin has just moved to summer time (+02:00), Jerusalem two days earlier (+03:00).
    assert got[1]["start"] == {"dateTime": "2026-03-29T10:00:00+03:00", "timeZone": "Europe/Berlin"}
    assert _instant(got[1]["end"]) == datetime.fromisoformat("2026-03-29T10:00:00+02:00")
    assert _instant(got[2]["start"]) == _instant(SESSION["start"])
    assert got[2]["start"] == {"dateTime": "2026-01-05T10:00:00+02:00"}
    patched = events.patch(
        calendarId="primary",
        eventId=made[1]["id"],
        body={"extendedProperties": {"private": {"syncedAt": "t1"}}},
    ).execute()
    assert patched["extendedProperties"]["private"] == {"crmSessionId": "42", "syncedAt": "t1"}
    in_berlin = events.get(calendarId="primary", eventId=made[1]["id"], timeZone="Europe/Berlin")
    assert in_berlin.execute()["start"]["dateTime"] == "2026-03-29T09:00:00+02:00"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"summary": "x", "start": {"dateTime": "2026-01-05T10:00:00Z"}}, "Missing end time."),
        (
            {
                "start": {"dateTime": "2026-01-05T10:00:00"},
                "end": {"dateTime": "2026-01-05T11:00:00"},
            },
            "Missing time zone definition for start time.",
        ),
        (
            {"start": {"date": "2026-01-05"}, "end": {"dateTime": "2026-01-05T11:00:00Z"}},
            "Start and end times must either both be date or both be dateTime.",
        ),
        (
            {"start": {"date": "2026-01-05"}, "end": {"date": "2026-01-04"}},
            "The specified time range is empty.",
        ),
    ],
    ids=["no-end", "local-time-without-zone", "date-and-datetime", "end-before-start"],
)
def test_sessions_with_impossible_times_are_refused(
    calendar_user: ConnectUser, body: dict[str, Any], message: str
) -> None:
    """Google refuses events whose times it cannot place, with a 400 that says why."""
    user = calendar_user()

    with pytest.raises(HttpError) as refused:
        user.service.events().insert(calendarId="primary", body=body).execute()

    assert refused.value.status_code == 400
    assert refused.value.reason == message


def test_a_read_only_connection_can_list_but_not_write(
    calendar_user: ConnectUser, google: GoogleEmulator
) -> None:
    """A token without calendar.events reads events but gets 403 insufficientPermissions on
    writes, in the front end's shape (ErrorInfo in `details`)."""
    user = calendar_user()
    narrow = Credentials(
        token=None,
        refresh_token=user.credentials.refresh_token,
        token_uri=google.url("/token"),
        client_id=google.client_id,
        client_secret=google.client_secret,
        scopes=[CALENDAR_READONLY],
    )
    narrow.refresh(Request())
    service = calendar_service(google, narrow)
    try:
        service.events().list(calendarId="primary").execute()
        with pytest.raises(HttpError) as refused:
            service.events().insert(calendarId="primary", body=SESSION).execute()
    finally:
        service.close()

    assert refused.value.status_code == 403
    assert error_reason(refused.value) == "insufficientPermissions"
    assert refused.value.reason == "Request had insufficient authentication scopes."
    assert refused.value.error_details[0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"


def test_calendar_list_shows_each_calendar_with_its_access_role(
    calendar_user: ConnectUser,
) -> None:
    """The primary calendar is the account's email ("primary" aliases it); shared calendars
    carry their role, and a reader's writes answer 403 requiredAccessLevel."""
    user = calendar_user()
    for summary, role in (("Studio", "owner"), ("Team", "writer"), ("Holidays", "reader")):
        user.control(
            "POST",
            "/_emulator/calendar/calendars",
            json={"email": user.email, "summary": summary, "accessRole": role},
        )

    entries = user.service.calendarList().list().execute()["items"]
    primary = user.service.calendars().get(calendarId="primary").execute()

    assert (entries[0]["summary"], entries[0]["accessRole"], entries[0]["primary"]) == (
        user.email,
        "owner",
        True,
    )
    assert sorted((e["summary"], e["accessRole"], "primary" in e) for e in entries[1:]) == [
        ("Holidays", "reader", False),
        ("Studio", "owner", False),
        ("Team", "writer", False),
    ]
    assert entries[0]["id"] == primary["id"] == user.email
    holidays = next(e for e in entries if e["summary"] == "Holidays")
    with pytest.raises(HttpError) as refused:
        user.service.events().insert(calendarId=holidays["id"], body=SESSION).execute()
    assert (refused.value.status_code, error_reason(refused.value)) == (403, "requiredAccessLevel")
    team = next(e for e in entries if e["summary"] == "Team")
    made = user.service.events().insert(calendarId=team["id"], body=SESSION).execute()
    assert made["organizer"]["email"] == team["id"]


@pytest.mark.parametrize("authorization", [None, "Bearer ya29.not-a-real-token"])
def test_calls_without_a_valid_token_answer_401(
    google: GoogleEmulator, authorization: str | None
) -> None:
    """No token or an unknown one: 401 UNAUTHENTICATED with a WWW-Authenticate challenge."""
    headers = {"Authorization": authorization} if authorization else {}

    answer = httpx.get(google.url("/calendar/v3/users/me/calendarList"), headers=headers)

    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    error = answer.json()["error"]
    assert error["code"] == 401 and error["status"] == "UNAUTHENTICATED"
    assert error["errors"][0]["reason"] == ("authError" if authorization else "required")


def test_simultaneous_writes_are_all_kept_with_distinct_etags(
    calendar_user: ConnectUser, google: GoogleEmulator
) -> None:
    """Eight clients inserting at once (uvicorn serves them on worker threads) lose nothing:
    every event is stored once, every etag differs, and one sync token then sees no change."""
    user = calendar_user()

    def insert_ten(worker: int) -> list[dict[str, Any]]:
        service = calendar_service(google, user.credentials)
        try:
            return [
                service.events()
                .insert(calendarId="primary", body={**SESSION, "id": f"crm{worker}s{n:04d}"})
                .execute()
                for n in range(10)
            ]
        finally:
            service.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        made = [event for batch in pool.map(insert_ten, range(8)) for event in batch]
    listed = user.service.events().list(calendarId="primary", maxResults=2500).execute()

    assert len(made) == 80 and len({e["etag"] for e in made}) == 80
    assert sorted(e["id"] for e in listed["items"]) == sorted(e["id"] for e in made)
    quiet = user.service.events().list(calendarId="primary", syncToken=listed["nextSyncToken"])
    assert quiet.execute()["items"] == []
