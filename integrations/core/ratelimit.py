"""Client-side rate limits, so we stay under a provider's quota instead of bouncing off it.

Google allows 600 Calendar requests a minute per user; we budget less than that per account. The
counters live in Redis when REDIS_URL is set (shared by every worker), otherwise in this process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from integrations.config import Settings

#: Google's per-user limit is 600 a minute; leave room for the trainer's own apps.
GOOGLE_REQUESTS_PER_MINUTE = 500


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


def google_rate_limiter(
    settings: Settings, per_minute: int = GOOGLE_REQUESTS_PER_MINUTE
) -> RateLimiter:
    storage = settings.REDIS_URL or "memory://"
    return RateLimiter(RateLimitItemPerMinute(per_minute, namespace="google"), storage_uri=storage)


@lru_cache(maxsize=4)
def shared_google_rate_limiter(storage_uri: str) -> RateLimiter:
    """One limiter per process and storage: in memory mode the counts must outlive a task."""
    item = RateLimitItemPerMinute(GOOGLE_REQUESTS_PER_MINUTE, namespace="google")
    return RateLimiter(item, storage_uri=storage_uri)
