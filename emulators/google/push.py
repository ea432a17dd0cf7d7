"""Push notification channels (events.watch, channels.stop) and their delivery.

Deliveries leave from one background thread, in the order they are due, so an API request never
waits for a webhook. Each is an empty-bodied POST carrying Google's `X-Goog-*` headers: `sync`
right after the watch, then `exists` after every change to the watched calendar. Message numbers
only grow per channel. Tests can make the next notifications arrive twice, late, reversed, or not
at all, as Google's "not 100% reliable" delivery may.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Literal

import httpx

logger = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 7 * 24 * 3600
MAX_TTL_SECONDS = 30 * 24 * 3600
_USER_AGENT = "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)"

PushFaultKind = Literal["drop", "duplicate", "delay", "reorder"]


@dataclass
class Channel:
    id: str
    resource_id: str
    resource_uri: str
    calendar_id: str
    email: str
    address: str
    token: str | None
    expiration_ms: int
    message_number: int = 0
    stopped: bool = False

    def live(self, now_ms: int) -> bool:
        return not self.stopped and self.expiration_ms > now_ms

    def describe(self) -> dict[str, Any]:
        """The channel resource events.watch answers with."""
        described: dict[str, Any] = {
            "kind": "api#channel",
            "id": self.id,
            "resourceId": self.resource_id,
            "resourceUri": self.resource_uri,
            "expiration": str(self.expiration_ms),
        }
        if self.token is not None:
            described["token"] = self.token
        return described


@dataclass
class Delivery:
    channel: Channel
    state: str
    message_number: int
    due: float = 0.0


@dataclass
class PushFault:
    kind: PushFaultKind
    remaining: int
    seconds: float = 0.0
    channel_id: str | None = None
    held: list[Delivery] = field(default_factory=list)


@dataclass
class DeliveryRecord:
    channel_id: str
    message_number: int
    state: str
    status_code: int | None
    error: str | None
    delivered_at: float


class PushNotifier:
    """Channels by id, and the thread that delivers their notifications."""

    def __init__(self, *, timeout: float = 5.0) -> None:
        self._condition = threading.Condition()
        self._queue: list[tuple[float, int, Delivery]] = []
        self._counter = 0
        self._timeout = timeout
        self._thread: threading.Thread | None = None
        self._closed = False
        self.channels: dict[str, Channel] = {}
        self.faults: list[PushFault] = []
        self.log: list[DeliveryRecord] = []

    # -- channels -----------------------------------------------------------------------------

    def watch(self, channel: Channel) -> Channel | None:
        """Register a channel and queue its `sync` message; None if the id is taken."""
        with self._condition:
            if channel.id in self.channels:
                return None
            self.channels[channel.id] = channel
            self._enqueue(channel, "sync")
        return channel

    def stop(self, channel_id: str, resource_id: str) -> bool:
        with self._condition:
            channel = self.channels.get(channel_id)
            if channel is None or channel.stopped or channel.resource_id != resource_id:
                return False
            channel.stopped = True
            return True

    def expire(self, channel_id: str) -> bool:
        """As if the channel's expiration time had passed."""
        with self._condition:
            channel = self.channels.get(channel_id)
            if channel is None:
                return False
            channel.expiration_ms = _now_ms() - 1
            return True

    def notify(self, calendar_id: str) -> None:
        """A watched calendar changed: queue an `exists` message for each live channel."""
        now_ms = _now_ms()
        with self._condition:
            for channel in self.channels.values():
                if channel.calendar_id == calendar_id and channel.live(now_ms):
                    self._enqueue(channel, "exists")

    def reset(self) -> None:
        with self._condition:
            self.channels.clear()
            self.faults.clear()
            self._queue.clear()
            self.log.clear()

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self._timeout + 1)

    # -- faults -------------------------------------------------------------------------------

    def add_fault(
        self, kind: PushFaultKind, times: int, seconds: float = 0.0, channel_id: str | None = None
    ) -> None:
        with self._condition:
            self.faults.append(PushFault(kind, times, seconds, channel_id))

    def clear_faults(self) -> None:
        with self._condition:
            held = [d for fault in self.faults for d in fault.held]
            self.faults.clear()
            for delivery in held:
                self._schedule(delivery, time.monotonic())

    # -- delivery -----------------------------------------------------------------------------

    def _enqueue(self, channel: Channel, state: str) -> None:
        channel.message_number += 1
        delivery = Delivery(channel, state, channel.message_number)
        now = time.monotonic()
        fault = next(
            (f for f in self.faults if f.remaining > 0 and f.channel_id in (None, channel.id)),
            None,
        )
        if fault is None:
            self._schedule(delivery, now)
            return
        if fault.kind == "drop":
            fault.remaining -= 1
        elif fault.kind == "duplicate":
            fault.remaining -= 1
            self._schedule(delivery, now)
            self._schedule(Delivery(channel, state, delivery.message_number), now)
        elif fault.kind == "delay":
            fault.remaining -= 1
            self._schedule(delivery, now + fault.seconds)
        else:
            fault.held.append(delivery)
            fault.remaining -= 1
            if fault.remaining == 0:
                for held in reversed(fault.held):
                    self._schedule(held, now)
                fault.held.clear()
        self.faults = [f for f in self.faults if f.remaining > 0 or f.held]

    def _schedule(self, delivery: Delivery, due: float) -> None:
        delivery.due = due
        self._counter += 1
        heapq.heappush(self._queue, (due, self._counter, delivery))
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._run, name="google-emulator-push", daemon=True
            )
            self._thread.start()
        self._condition.notify_all()

    def _next(self) -> Delivery | None:
        with self._condition:
            while not self._closed:
                if self._queue:
                    due = self._queue[0][0]
                    wait = due - time.monotonic()
                    if wait <= 0:
                        return heapq.heappop(self._queue)[2]
                    self._condition.wait(timeout=wait)
                else:
                    self._condition.wait(timeout=1.0)
            return None

    def _run(self) -> None:
        with httpx.Client(timeout=self._timeout) as client:
            while (delivery := self._next()) is not None:
                self._deliver(client, delivery)

    def _deliver(self, client: httpx.Client, delivery: Delivery) -> None:
        channel = delivery.channel
        if not channel.live(_now_ms()):
            return
        headers = {
            "User-Agent": _USER_AGENT,
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Channel-Expiration": format_datetime(
                datetime.fromtimestamp(channel.expiration_ms / 1000, tz=UTC), usegmt=True
            ),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-URI": channel.resource_uri,
            "X-Goog-Resource-State": delivery.state,
            "X-Goog-Message-Number": str(delivery.message_number),
        }
        if channel.token is not None:
            headers["X-Goog-Channel-Token"] = channel.token
        status: int | None = None
        error: str | None = None
        try:
            status = client.post(channel.address, headers=headers, content=b"").status_code
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"
            logger.info("push to %s failed: %s", channel.address, error)
        with self._condition:
            self.log.append(
                DeliveryRecord(
                    channel.id, delivery.message_number, delivery.state, status, error, time.time()
                )
            )


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
