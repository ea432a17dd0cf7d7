"""Retry with exponential backoff and jitter (tenacity), and what is worth retrying at all.

Failures are first classified by an `ErrorClassifier` (each integration names its provider's
errors): rate limits, 5xx and timeouts are transient and retried, honouring Retry-After; quota
exhaustion, permission and "needs re-auth" errors are permanent and are raised at once, so that
nothing retries in a loop against a wall.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from integrations.core.failures import (
    RETRYABLE,
    Classified,
    ErrorClassifier,
    ErrorKind,
    classify_network_error,
)
from integrations.core.registry import classify

# `ErrorKind`, `Classified` and `classify` were defined here before issue 9; these names stay
# importable from this module for the callers not moved yet (see `__all__`).
__all__ = ["RETRYABLE", "Classified", "ErrorClassifier", "ErrorKind", "RetryPolicy", "classify"]

log = logging.getLogger(__name__)
T = TypeVar("T")


def _total(classifier: ErrorClassifier) -> Callable[[BaseException], Classified]:
    """A classifier that names every error: what `classifier` declines is the network's."""

    def named(error: BaseException) -> Classified:
        return classifier(error) or classify_network_error(error)

    return named


def _wait_honouring_retry_after(
    base: Callable[[RetryCallState], float],
    cap: float,
    named: Callable[[BaseException], Classified],
) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        backoff = base(state)
        error = state.outcome.exception() if state.outcome else None
        retry_after = named(error).retry_after if error else None
        return min(cap, max(backoff, retry_after or 0.0))

    return wait


@dataclass
class RetryPolicy:
    """How hard to try: attempts, backoff (doubling, with jitter) and the longest single wait;
    and what is worth retrying, by `classifier` (by default every registered integration's)."""

    attempts: int = 5
    initial_wait: float = 1.0
    max_wait: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    on_retry: Callable[[Classified, int, float], None] | None = None
    classifier: ErrorClassifier = classify

    def retrying(self) -> Retrying:
        named = _total(self.classifier)

        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            if error is None:
                return
            classified = named(error)
            delay = state.next_action.sleep if state.next_action else 0.0
            log.warning(
                "retrying after %s (%s %s), attempt %d, waiting %.1fs",
                classified.kind.value,
                classified.status,
                classified.reason,
                state.attempt_number,
                delay,
                extra={"event": "provider_retry"},
            )
            if self.on_retry is not None:
                self.on_retry(classified, state.attempt_number, delay)

        return Retrying(
            retry=retry_if_exception(lambda error: named(error).retryable),
            stop=stop_after_attempt(self.attempts),
            wait=_wait_honouring_retry_after(
                wait_exponential_jitter(
                    multiplier=self.initial_wait, max=self.max_wait, jitter=self.initial_wait
                ),
                self.max_wait,
                named,
            ),
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )

    def call(self, function: Callable[[], T]) -> T:
        """Run `function`, retrying transient failures; permanent ones are raised at once."""
        result: Any = self.retrying()(function)
        return result  # type: ignore[no-any-return]
