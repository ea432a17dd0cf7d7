"""Injected faults, the per-user quota and token refresh, as the real client experiences them."""

from __future__ import annotations

import http.client

import google_auth_httplib2
import httplib2
import pytest
from googleapiclient.errors import HttpError

from tests.support.google_emulator import (
    ConnectUser,
    GoogleEmulator,
    calendar_service,
    error_reason,
)


@pytest.mark.parametrize(
    ("status", "reason", "message"),
    [
        (403, "rateLimitExceeded", "Rate Limit Exceeded"),
        (403, "userRateLimitExceeded", "User Rate Limit Exceeded"),
        (403, "quotaExceeded", "Calendar usage limits exceeded."),
        (
            403,
            "forbiddenForNonOrganizer",
            "Shared properties can only be changed by the organizer of the event.",
        ),
        (410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required."),
        (500, "backendError", "Backend Error"),
        (503, "backendError", "The service is currently unavailable."),
    ],
    ids=lambda value: str(value) if isinstance(value, int) else None,
)
def test_an_injected_error_reaches_the_client_as_googles_http_error(
    calendar_user: ConnectUser, status: int, reason: str, message: str
) -> None:
    """The next call fails with Google's status, reason and message; the one after works."""
    user = calendar_user()
    user.fault(status=status, reason=reason)

    with pytest.raises(HttpError) as failed:
        user.service.events().list(calendarId="primary").execute()
    user.service.events().list(calendarId="primary").execute()

    assert failed.value.status_code == status
    assert error_reason(failed.value) == reason
    assert failed.value.reason == message


def test_rate_limited_429_carries_retry_after(calendar_user: ConnectUser) -> None:
    """429 rateLimitExceeded comes with the Retry-After a backoff policy should honour."""
    user = calendar_user()
    user.fault(status=429, retryAfter=17)

    with pytest.raises(HttpError) as limited:
        user.service.events().list(calendarId="primary").execute()

    assert limited.value.status_code == 429
    assert error_reason(limited.value) == "rateLimitExceeded"
    assert limited.value.resp.get("retry-after") == "17"


def test_a_fault_hits_only_the_calls_it_matches(calendar_user: ConnectUser) -> None:
    """A fault for inserts leaves reads alone and is spent after `times` matching calls."""
    user = calendar_user()
    user.fault(status=503, method="POST", path=r"/events$", times=2)
    body = {"start": {"date": "2026-01-05"}, "end": {"date": "2026-01-06"}}

    user.service.events().list(calendarId="primary").execute()
    failures = []
    for _ in range(3):
        try:
            user.service.events().insert(calendarId="primary", body=body).execute()
        except HttpError as failed:
            failures.append(failed.status_code)

    assert failures == [503, 503]


def test_a_401_makes_the_client_refresh_its_token_once_and_replay(
    calendar_user: ConnectUser,
) -> None:
    """On 401 the client gets a new access token from the emulator's /token and replays the
    call: two HTTP requests to the API, a new token on the credentials object."""
    user = calendar_user()
    old_token = user.credentials.token
    user.fault(status=401)

    events = user.service.events().list(calendarId="primary").execute()

    assert events["kind"] == "calendar#events"
    assert user.credentials.token != old_token
    assert [c["status"] for c in user.requests()["calls"]] == [401, 200]


def test_a_slow_answer_times_out_a_client_with_a_short_timeout(
    calendar_user: ConnectUser, google: GoogleEmulator
) -> None:
    """A delayed answer surfaces as TimeoutError in a client with a socket timeout."""
    user = calendar_user()
    impatient = google_auth_httplib2.AuthorizedHttp(
        user.credentials, http=httplib2.Http(timeout=0.3)
    )
    service = calendar_service(google, user.credentials, http=impatient)
    user.fault(kind="delay", seconds=1.0)
    try:
        with pytest.raises(TimeoutError):
            service.events().list(calendarId="primary").execute()
        assert service.events().list(calendarId="primary").execute()["items"] == []
    finally:
        service.close()


def test_one_dropped_connection_is_retried_by_httplib2_but_two_surface(
    calendar_user: ConnectUser,
) -> None:
    """httplib2 silently resends a request whose connection died before any answer, once,
    even a POST; a second drop in a row reaches the caller as a connection error."""
    user = calendar_user()
    user.fault(kind="drop", times=1)
    user.service.events().list(calendarId="primary").execute()
    assert user.http_requests() == 2

    user.fault(kind="drop", times=2)
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        user.service.events().list(calendarId="primary").execute()
    assert user.http_requests() == 4


def test_going_over_the_per_user_quota_answers_403_rate_limit_exceeded(
    calendar_user: ConnectUser,
) -> None:
    """Past the requests-a-minute quota (600 at Google, 3 here) the user gets 403
    rateLimitExceeded; another user of the same app is not affected."""
    user, other = calendar_user(), calendar_user(".other")
    user.control("POST", "/_emulator/quota", json={"email": user.email, "perMinute": 3})

    for _ in range(3):
        user.service.events().list(calendarId="primary").execute()
    with pytest.raises(HttpError) as limited:
        user.service.events().list(calendarId="primary").execute()
    other.service.events().list(calendarId="primary").execute()

    assert limited.value.status_code == 403
    assert error_reason(limited.value) == "rateLimitExceeded"
    assert limited.value.reason == "Rate Limit Exceeded"
