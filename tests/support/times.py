"""Moments of the tests, written as dates."""

from __future__ import annotations

from datetime import UTC, datetime


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
