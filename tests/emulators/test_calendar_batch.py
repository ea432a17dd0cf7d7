"""The batch endpoint through googleapiclient's BatchHttpRequest.

`service.new_batch_http_request()` always posts to www.googleapis.com (it reads the discovery
document's rootUrl, not `api_endpoint`), so against the emulator the batch is built with
`BatchHttpRequest(batch_uri=...)`. Each test runs with the library's class and with the sync
engine's `WireBatch` (the same batch, its multipart body written and read as plain text): both
must get the same answers.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from integrations.google_calendar.batch import WireBatch
from tests.support.google_emulator import CalendarUser, ConnectUser, error_reason

Answers = dict[str, tuple[Any, HttpError | None]]


@pytest.fixture(params=[BatchHttpRequest, WireBatch], ids=["library", "wire"])
def batch_class(request: pytest.FixtureRequest) -> type[BatchHttpRequest]:
    chosen: type[BatchHttpRequest] = request.param
    return chosen


def _batch(user: CalendarUser, answers: Answers, cls: type[BatchHttpRequest]) -> BatchHttpRequest:
    def collect(request_id: str, response: Any, exception: HttpError | None) -> None:
        answers[request_id] = (response, exception)

    return cls(callback=collect, batch_uri=user.google.url("/batch/calendar/v3"))


def _session(number: int) -> dict[str, Any]:
    return {
        "id": f"crm0session{number:06d}",
        "summary": f"Session {number}",
        "start": {"dateTime": f"2026-02-{1 + number % 28:02d}T09:00:00Z"},
        "end": {"dateTime": f"2026-02-{1 + number % 28:02d}T10:00:00Z"},
    }


def test_fifty_sessions_are_pushed_in_one_http_request(
    calendar_user: ConnectUser, batch_class: type[BatchHttpRequest]
) -> None:
    """50 inserts go in one batch request; each gets its own answer; each counts as a call."""
    user = calendar_user()
    answers: Answers = {}
    batch = _batch(user, answers, batch_class)
    for number in range(50):
        batch.add(user.service.events().insert(calendarId="primary", body=_session(number)))

    batch.execute()

    assert len(answers) == 50
    assert all(error is None for _, error in answers.values())
    assert sorted(r["id"] for r, _ in answers.values()) == [
        f"crm0session{n:06d}" for n in range(50)
    ]
    log = user.requests()
    assert (log["httpRequests"], log["apiCalls"]) == (1, 50)
    listed = user.service.events().list(calendarId="primary").execute()["items"]
    assert len(listed) == 50


def test_a_batch_of_51_is_refused_whole(
    calendar_user: ConnectUser, batch_class: type[BatchHttpRequest]
) -> None:
    """Calendar takes at most 50 calls a batch; 51 answer 400 and nothing is created."""
    user = calendar_user()
    answers: Answers = {}
    batch = _batch(user, answers, batch_class)
    for number in range(51):
        batch.add(user.service.events().insert(calendarId="primary", body=_session(number)))

    with pytest.raises(HttpError) as refused:
        batch.execute()

    assert refused.value.status_code == 400
    assert answers == {}
    assert user.service.events().list(calendarId="primary").execute()["items"] == []


def test_each_call_in_a_batch_succeeds_or_fails_on_its_own(
    calendar_user: ConnectUser, batch_class: type[BatchHttpRequest]
) -> None:
    """A duplicate id or a missing event fails only its own call, with Google's error; a
    delete answers '' and an injected fault hits just the call it matches."""
    user = calendar_user()
    existing = user.service.events().insert(calendarId="primary", body=_session(1)).execute()
    user.fault(status=503, method="PATCH")
    answers: Answers = {}
    batch = _batch(user, answers, batch_class)
    events = user.service.events()
    batch.add(events.insert(calendarId="primary", body=_session(1)), request_id="again")
    batch.add(events.insert(calendarId="primary", body=_session(2)), request_id="new")
    batch.add(events.get(calendarId="primary", eventId="nosuchevent1"), request_id="missing")
    batch.add(
        events.patch(calendarId="primary", eventId=existing["id"], body={"summary": "x"}),
        request_id="faulted",
    )
    batch.add(events.delete(calendarId="primary", eventId=existing["id"]), request_id="delete")

    batch.execute()

    outcome = {
        key: (error.status_code, error_reason(error)) if error else "ok"
        for key, (_, error) in answers.items()
    }
    assert outcome == {
        "again": (409, "duplicate"),
        "new": "ok",
        "missing": (404, "notFound"),
        "faulted": (503, "backendError"),
        "delete": "ok",
    }
    assert answers["delete"][0] == ""
    assert answers["new"][0]["summary"] == "Session 2"


# googleapiclient refreshes batch credentials through a throwaway httplib2.Http() that it never
# closes (googleapiclient/_auth.py, refresh_credentials): its socket is the library's leak.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_batch_replays_a_401_call_after_refreshing_the_token(
    calendar_user: ConnectUser, batch_class: type[BatchHttpRequest]
) -> None:
    """A call that answers 401 inside a batch is sent again, in a second batch, after one
    token refresh, as BatchHttpRequest does."""
    user = calendar_user()
    old_token = user.credentials.token
    user.fault(status=401, method="POST", path=r"/events$")
    answers: Answers = {}
    batch = _batch(user, answers, batch_class)
    batch.add(user.service.events().insert(calendarId="primary", body=_session(7)))

    batch.execute()
    gc.collect()  # let the library's leaked socket be reported inside this test

    assert answers["1"][1] is None and answers["1"][0]["id"] == _session(7)["id"]
    assert user.credentials.token != old_token
    assert user.requests()["httpRequests"] == 2
