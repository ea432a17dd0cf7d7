"""Client-side rate limits, so we stay under a provider's quota instead of bouncing off it.

Generic over a namespace (one per provider) and a key (one per account at that provider); each
integration sets its own budget (Google Calendar's: `google_calendar.ratelimit`). The counters
live in Redis when REDIS_URL is set (shared by every worker), otherwise in this process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from integrations.config import Settings


@dataclass
class RateLimiter:
    """Blocks until a request for `key` fits in the window; `waited` counts the seconds spent."""

    limit: RateLimitItem
    storage_uri: str = "memory://"
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    waited: float = 0.0
    _limiter: MovingWindowRateLimiter = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(self.storage_uri))

    def acquire(self, key: str) -> None:
        while not self._limiter.hit(self.limit, key):
            reset_at, _remaining = self._limiter.get_window_stats(self.limit, key)
            delay = max(0.05, reset_at - self.clock())
            self.waited += delay
            self.sleep(delay)

    def remaining(self, key: str) -> int:
        return int(self._limiter.get_window_stats(self.limit, key)[1])


def rate_limiter(settings: Settings, namespace: str, per_minute: int) -> RateLimiter:
    """A limiter of `per_minute` requests per key in `namespace`, counted where the settings say."""
    storage = settings.REDIS_URL or "memory://"
    return RateLimiter(RateLimitItemPerMinute(per_minute, namespace=namespace), storage_uri=storage)


@lru_cache(maxsize=16)
def shared_rate_limiter(storage_uri: str, namespace: str, per_minute: int) -> RateLimiter:
    """One limiter per process, storage and budget: in memory mode the counts must outlive a
    task."""
    item = RateLimitItemPerMinute(per_minute, namespace=namespace)
    return RateLimiter(item, storage_uri=storage_uri)


_MOVED_TO_GOOGLE_CALENDAR = frozenset(
    {"GOOGLE_REQUESTS_PER_MINUTE", "google_rate_limiter", "shared_google_rate_limiter"}
)


def __getattr__(name: str) -> Any:
    """Google's budget lived here before issue 9; the callers not moved yet still find it."""
    if name in _MOVED_TO_GOOGLE_CALENDAR:
        from integrations.google_calendar import ratelimit

        return getattr(ratelimit, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
