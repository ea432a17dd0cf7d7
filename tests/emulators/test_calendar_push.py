"""Push notifications: events.watch, channels.stop, and deliveries to a real web server."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.support.google_emulator import CalendarUser, ConnectUser, PushReceiver, error_reason

SESSION: dict[str, Any] = {
    "summary": "Session",
    "start": {"dateTime": "2026-01-05T10:00:00Z"},
    "end": {"dateTime": "2026-01-05T11:00:00Z"},
}


def _watch(user: CalendarUser, address: str, ttl: int = 3600) -> dict[str, Any]:
    body = {
        "id": str(uuid.uuid4()),
        "type": "web_hook",
        "address": address,
        "token": "channel-secret",
        "params": {"ttl": str(ttl)},
    }
    channel: dict[str, Any] = user.service.events().watch(calendarId="primary", body=body).execute()
    return channel


def _change(user: CalendarUser, summary: str = "Changed in Google") -> None:
    user.control(
        "POST",
        "/_emulator/calendar/events",
        json={"email": user.email, "event": {**SESSION, "summary": summary}},
    )


def _numbers(receiver: PushReceiver, address: str) -> list[int]:
    return [int(n.headers["x-goog-message-number"]) for n in receiver.received(address)]


def _quiet(seconds: float = 0.3) -> None:
    """Give a notification that should not come the time it would have needed."""
    time.sleep(seconds)


def test_watch_sends_sync_then_exists_for_each_change(
    calendar_user: ConnectUser, push_receiver: PushReceiver
) -> None:
    """The channel answer carries resourceId and a millisecond expiration; the address then
    gets `sync`, and `exists` after each change on either side, with every X-Goog header,
    our token, an empty body and growing message numbers."""
    user = calendar_user()
    address = push_receiver.address()
    started_ms = time.time() * 1000

    channel = _watch(user, address, ttl=3600)
    push_receiver.wait_for(address, 1)
    user.service.events().insert(calendarId="primary", body=SESSION).execute()
    _change(user)
    received = push_receiver.wait_for(address, 3)

    assert channel["kind"] == "api#channel" and channel["token"] == "channel-secret"
    assert channel["resourceUri"].endswith("/events?alt=json")
    assert abs(int(channel["expiration"]) - (started_ms + 3_600_000)) < 5_000
    assert [n.headers["x-goog-resource-state"] for n in received] == ["sync", "exists", "exists"]
    numbers = _numbers(push_receiver, address)
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    for notification in received:
        assert notification.body == b""
        assert notification.headers["x-goog-channel-id"] == channel["id"]
        assert notification.headers["x-goog-channel-token"] == "channel-secret"
        assert notification.headers["x-goog-resource-id"] == channel["resourceId"]
        assert notification.headers["x-goog-resource-uri"] == channel["resourceUri"]
        expires = parsedate_to_datetime(notification.headers["x-goog-channel-expiration"])
        assert expires == datetime.fromtimestamp(int(channel["expiration"]) // 1000, tz=UTC)


def test_stopped_channel_gets_no_more_notifications(
    calendar_user: ConnectUser, push_receiver: PushReceiver
) -> None:
    """After channels.stop (204), changes reach no one; stopping it again is 404."""
    user = calendar_user()
    address = push_receiver.address()
    channel = _watch(user, address)
    push_receiver.wait_for(address, 1)

    stop = {"id": channel["id"], "resourceId": channel["resourceId"]}
    assert user.service.channels().stop(body=stop).execute() == ""
    _change(user)
    _quiet()

    assert [n.headers["x-goog-resource-state"] for n in push_receiver.received(address)] == ["sync"]
    with pytest.raises(HttpError) as unknown:
        user.service.channels().stop(body=stop).execute()
    assert (unknown.value.status_code, error_reason(unknown.value)) == (404, "notFound")


def test_expired_channel_gets_no_more_notifications(
    calendar_user: ConnectUser, push_receiver: PushReceiver
) -> None:
    """Channels never renew themselves: past their expiration, changes go unannounced."""
    user = calendar_user()
    address = push_receiver.address()
    channel = _watch(user, address)
    push_receiver.wait_for(address, 1)

    user.control("POST", "/_emulator/push/expire", json={"channelId": channel["id"]})
    _change(user)
    _quiet()

    assert len(push_receiver.received(address)) == 1


def test_watch_answers_at_once_even_when_the_webhook_is_down(
    calendar_user: ConnectUser, push_receiver: PushReceiver
) -> None:
    """Delivery happens in the background: an unreachable address slows no API call."""
    user = calendar_user()
    unreachable = "http://127.0.0.1:9/hook"

    started = time.monotonic()
    channel = _watch(user, unreachable)
    user.service.events().insert(calendarId="primary", body=SESSION).execute()
    elapsed = time.monotonic() - started

    assert elapsed < 1.0
    deadline = time.monotonic() + 5
    failed: list[dict[str, Any]] = []
    while len(failed) < 2 and time.monotonic() < deadline:
        failed = user.control(
            "GET", "/_emulator/push/deliveries", params={"channelId": channel["id"]}
        ).json()["deliveries"]
        time.sleep(0.05)
    assert [(d["state"], d["statusCode"]) for d in failed] == [("sync", None), ("exists", None)]
    assert all(d["error"] for d in failed)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ({"kind": "drop", "times": 1}, [3]),
        ({"kind": "duplicate", "times": 1}, [2, 2, 3]),
        ({"kind": "reorder", "times": 2}, [3, 2]),
        ({"kind": "delay", "times": 1, "seconds": 0.4}, [3, 2]),
    ],
    ids=lambda value: value["kind"] if isinstance(value, dict) else "",
)
def test_unreliable_delivery_drops_repeats_reorders_or_delays_notifications(
    calendar_user: ConnectUser,
    push_receiver: PushReceiver,
    fault: dict[str, Any],
    expected: list[int],
) -> None:
    """Google warns that push is not fully reliable; the emulator can lose the next
    notification, send it twice, swap two, or hold one back while a later one overtakes it."""
    user = calendar_user()
    address = push_receiver.address()
    channel = _watch(user, address)
    push_receiver.wait_for(address, 1)
    user.control("POST", "/_emulator/push/faults", json={**fault, "channelId": channel["id"]})

    _change(user, "first")
    _change(user, "second")
    push_receiver.wait_for(address, 1 + len(expected))
    _quiet(0.2)

    assert _numbers(push_receiver, address) == [1, *expected]
