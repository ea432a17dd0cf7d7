"""The client-side limiter keeps one account at a provider under its per-minute budget."""

from __future__ import annotations

import os

from limits import RateLimitItemPerMinute

from integrations.config import load_settings
from integrations.core.ratelimit import RateLimiter, rate_limiter
from tests.support.ci import need


def test_requests_beyond_the_budget_wait_for_the_window() -> None:
    slept: list[float] = []
    limiter = RateLimiter(RateLimitItemPerMinute(3), sleep=slept.append)
    for _ in range(3):
        limiter.acquire("dana@gmail.com")
    assert slept == []
    assert limiter.remaining("dana@gmail.com") == 0
    # The fourth must wait; a fake sleep cannot make time pass, so let the window be reset.
    calls = 0

    def sleep_and_reset(seconds: float) -> None:
        nonlocal calls
        calls += 1
        slept.append(seconds)
        limiter._limiter.clear(limiter.limit, "dana@gmail.com")

    limiter.sleep = sleep_and_reset
    limiter.acquire("dana@gmail.com")
    assert calls == 1
    assert 0 < slept[0] <= 60
    assert limiter.waited == slept[0]


def test_accounts_have_separate_budgets() -> None:
    slept: list[float] = []
    limiter = RateLimiter(RateLimitItemPerMinute(1), sleep=slept.append)
    limiter.acquire("a@gmail.com")
    limiter.acquire("b@gmail.com")
    assert slept == []


def test_workers_share_the_budget_through_redis() -> None:
    url = os.environ.get("TEST_REDIS_URL")
    need(url is not None, "TEST_REDIS_URL is not set")
    first = rate_limiter(load_settings(REDIS_URL=url), "test", per_minute=2)
    second = rate_limiter(load_settings(REDIS_URL=url), "test", per_minute=2)
    key = f"shared-{os.getpid()}@gmail.com"
    first.acquire(key)
    second.acquire(key)
    assert first.remaining(key) == 0 == second.remaining(key)
    first._limiter.clear(first.limit, key)
