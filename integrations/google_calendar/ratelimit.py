"""Google Calendar's request budget per account, kept on our side of Google's quota."""

from __future__ import annotations

from integrations.config import Settings
from integrations.core.ratelimit import RateLimiter, rate_limiter, shared_rate_limiter

#: Google's per-user limit is 600 a minute; leave room for the trainer's own apps.
GOOGLE_REQUESTS_PER_MINUTE = 500
#: The counters' namespace: Google's budget is apart from every other provider's.
NAMESPACE = "google"


def google_rate_limiter(
    settings: Settings, per_minute: int = GOOGLE_REQUESTS_PER_MINUTE
) -> RateLimiter:
    return rate_limiter(settings, NAMESPACE, per_minute)


def shared_google_rate_limiter(storage_uri: str) -> RateLimiter:
    """The process's one Google limiter for this storage (see `shared_rate_limiter`)."""
    return shared_rate_limiter(storage_uri, NAMESPACE, GOOGLE_REQUESTS_PER_MINUTE)
