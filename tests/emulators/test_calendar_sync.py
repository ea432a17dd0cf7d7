"""Full and incremental sync through the real Calendar client: pages, sync tokens, tombstones."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from googleapiclient.discovery import Resource
from googleapiclient.errors import HttpError

from tests.support.google_emulator import ConnectUser, GoogleEmulator, error_reason


def _list_all(service: Resource, **params: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    """Every page of events.list, as a sync engine walks them; returns (items, pages)."""
    pages: list[dict[str, Any]] = []
    request = service.events().list(calendarId="primary", **params)
    while request is not None:
        page = request.execute()
        pages.append(page)
        request = service.events().list_next(request, page)
    return [item for page in pages for item in page.get("items", [])], pages


@pytest.fixture
def quirky_paging(google: GoogleEmulator) -> Iterator[None]:
    yield
    httpx.post(google.url("/_emulator/calendar/paging"), json={})


def test_full_sync_of_6000_events_costs_three_requests_and_ends_with_one_sync_token(
    calendar_user: ConnectUser,
) -> None:
    """6,000 events at maxResults=2500 arrive in ceil(6000/2500) requests, each event once,
    with nextPageToken on every page but the last and nextSyncToken only on the last."""
    user = calendar_user()
    user.seed(generate=6000)
    before = user.http_requests()

    items, pages = _list_all(user.service, maxResults=2500)

    assert user.http_requests() - before == math.ceil(6000 / 2500) == len(pages)
    assert len(items) == 6000
    assert len({item["id"] for item in items}) == 6000
    assert [("nextPageToken" in p, "nextSyncToken" in p) for p in pages] == [
        (True, False),
        (True, False),
        (False, True),
    ]


def test_pages_default_to_250_and_never_exceed_2500(calendar_user: ConnectUser) -> None:
    """Without maxResults a page holds 250 events; asking for 5000 still gets at most 2500."""
    user = calendar_user()
    user.seed(generate=2600)

    default = user.service.events().list(calendarId="primary").execute()
    greedy = user.service.events().list(calendarId="primary", maxResults=5000).execute()

    assert len(default["items"]) == 250
    assert len(greedy["items"]) == 2500
    assert "nextPageToken" in greedy and "nextSyncToken" not in greedy


@pytest.mark.usefixtures("quirky_paging")
def test_short_and_empty_pages_still_deliver_every_event(
    calendar_user: ConnectUser, google: GoogleEmulator
) -> None:
    """Google may answer fewer events than asked, even none, and still carry nextPageToken: a
    client that stops at an empty page loses events; one that follows the token gets them all."""
    user = calendar_user()
    user.seed(generate=20)
    httpx.post(
        google.url("/_emulator/calendar/paging"), json={"maxItemsPerPage": 7, "emptyPages": 2}
    )

    items, pages = _list_all(user.service, maxResults=2500)

    assert len({item["id"] for item in items}) == 20
    assert [len(p.get("items", [])) for p in pages] == [0, 0, 7, 7, 6]
    assert "nextPageToken" in pages[0]


def test_incremental_sync_returns_only_changes_and_deletions_as_tombstones(
    calendar_user: ConnectUser,
) -> None:
    """After a full sync, the sync token brings back exactly what changed on either side:
    created and edited events in full, deleted ones as bare tombstones; then nothing."""
    user = calendar_user()
    kept, edited, deleted_by_us, deleted_in_google = user.seed(generate=4)
    _, pages = _list_all(user.service, maxResults=2500)
    token = pages[-1]["nextSyncToken"]

    created = (
        user.service.events()
        .insert(
            calendarId="primary",
            body={
                "summary": "New session",
                "start": {"dateTime": "2026-02-01T10:00:00Z"},
                "end": {"dateTime": "2026-02-01T11:00:00Z"},
            },
        )
        .execute()
    )
    user.control(
        "PATCH",
        f"/_emulator/calendar/events/{edited}",
        json={"email": user.email, "changes": {"summary": "Renamed in Google"}},
    )
    user.service.events().delete(calendarId="primary", eventId=deleted_by_us).execute()
    user.control(
        "DELETE", f"/_emulator/calendar/events/{deleted_in_google}", params={"email": user.email}
    )
    before = user.http_requests()

    changes, change_pages = _list_all(user.service, syncToken=token)

    assert user.http_requests() - before == 1
    by_id = {item["id"]: item for item in changes}
    assert set(by_id) == {created["id"], edited, deleted_by_us, deleted_in_google}
    assert kept not in by_id
    assert by_id[edited]["summary"] == "Renamed in Google"
    assert by_id[created["id"]]["summary"] == "New session"
    for gone in (deleted_by_us, deleted_in_google):
        assert set(by_id[gone]) == {"kind", "etag", "id", "status", "updated"}
        assert by_id[gone]["status"] == "cancelled"
    again, _ = _list_all(user.service, syncToken=change_pages[-1]["nextSyncToken"])
    assert again == []


def test_expired_sync_token_demands_a_full_sync(calendar_user: ConnectUser) -> None:
    """Once Google invalidates a calendar's sync tokens, using one answers 410
    fullSyncRequired; so does a mangled token; a new full sync gives a token that works."""
    user = calendar_user()
    user.seed(generate=3)
    _, pages = _list_all(user.service)
    token = pages[-1]["nextSyncToken"]
    user.control("POST", "/_emulator/calendar/expire-sync-tokens", json={"email": user.email})

    for stale in (token, "1" + token):
        with pytest.raises(HttpError) as gone:
            user.service.events().list(calendarId="primary", syncToken=stale).execute()
        assert gone.value.status_code == 410
        assert error_reason(gone.value) == "fullSyncRequired"
        assert gone.value.reason == "Sync token is no longer valid, a full sync is required."

    items, pages = _list_all(user.service)
    assert len(items) == 3
    fresh = user.service.events().list(calendarId="primary", syncToken=pages[-1]["nextSyncToken"])
    assert fresh.execute()["items"] == []


@pytest.mark.parametrize(
    "restriction",
    [
        {"timeMin": "2026-01-01T00:00:00Z"},
        {"timeMax": "2026-12-31T00:00:00Z"},
        {"q": "Session"},
        {"orderBy": "startTime", "singleEvents": True},
        {"updatedMin": "2026-01-01T00:00:00Z"},
        {"iCalUID": "abc@google.com"},
        {"showDeleted": False},
    ],
    ids=lambda r: next(iter(r)),
)
def test_sync_token_with_a_time_window_or_filter_is_refused(
    calendar_user: ConnectUser, restriction: dict[str, Any]
) -> None:
    """A sync token cannot be narrowed: Google answers 400 rather than a partial change set."""
    user = calendar_user()
    _, pages = _list_all(user.service)

    with pytest.raises(HttpError) as refused:
        user.service.events().list(
            calendarId="primary", syncToken=pages[-1]["nextSyncToken"], **restriction
        ).execute()

    assert refused.value.status_code == 400
    assert error_reason(refused.value) == "invalid"
    assert refused.value.reason == "Sync token cannot be used with other request restrictions."


def test_time_window_lists_only_sessions_that_overlap_it(calendar_user: ConnectUser) -> None:
    """timeMin bounds the end (exclusive), timeMax the start (exclusive), as Google documents."""
    user = calendar_user()
    user.seed(generate=10, generateStart="2026-03-02T08:00:00Z")  # hourly, 08:00..17:00

    items, _ = _list_all(
        user.service,
        timeMin="2026-03-02T10:00:00Z",
        timeMax="2026-03-02T13:00:00Z",
        singleEvents=True,
        orderBy="startTime",
    )

    assert [item["start"]["dateTime"] for item in items] == [
        "2026-03-02T10:00:00Z",
        "2026-03-02T11:00:00Z",
        "2026-03-02T12:00:00Z",
    ]
