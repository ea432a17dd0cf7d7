"""Resources a test needs: skipped without them, except under CI (CI=true), where a missing
resource is a failure, so a green run always means PostgreSQL and the browser were exercised."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need(condition: bool, reason: str) -> None:
    """Skip when a resource is missing, except under CI, where a missing resource is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must run this test, but: {reason}")
    pytest.skip(reason)
