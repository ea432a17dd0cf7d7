"""Calendar's EventDateTime: parsing what a client sends, rendering what Google answers.

All-day events carry `date` (the end date is exclusive). Timed events carry `dateTime`, either
with an offset or as local time plus `timeZone`. Google answers every `dateTime` in the
response time zone (the `timeZone` query parameter, else the calendar's zone) and keeps the
event's own `timeZone` field as it was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from emulators.google.api_errors import ApiError, invalid, required


@lru_cache(maxsize=256)
def zone_or_none(name: str) -> ZoneInfo | None:
    """The IANA zone of that name, or None when Google would not know it either."""
    if not name or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True)
class When:
    """One parsed EventDateTime: a day for all-day events, an aware instant otherwise."""

    day: date | None
    instant: datetime | None
    zone_name: str | None

    @property
    def all_day(self) -> bool:
        return self.day is not None

    def start_of(self, zone: ZoneInfo) -> datetime:
        """The instant this begins; an all-day date begins at midnight in `zone`."""
        if self.instant is not None:
            return self.instant
        assert self.day is not None
        return datetime.combine(self.day, time(), tzinfo=zone)


def parse_when(value: Any, which: str) -> When:
    """Validate an EventDateTime the way events.insert does; `which` is "start" or "end"."""
    if not isinstance(value, dict) or not (value.get("date") or value.get("dateTime")):
        raise required(f"Missing {which} time.")
    zone_name = value.get("timeZone")
    if zone_name is not None and (
        not isinstance(zone_name, str) or zone_or_none(zone_name) is None
    ):
        raise invalid(f"Invalid time zone definition for {which} time.")
    if value.get("date") and value.get("dateTime"):
        raise invalid(f"Invalid {which} time.")
    if value.get("date"):
        try:
            day = date.fromisoformat(str(value["date"]))
        except ValueError:
            raise invalid(f"Invalid {which} time.") from None
        if len(str(value["date"])) != 10:
            raise invalid(f"Invalid {which} time.")
        return When(day=day, instant=None, zone_name=zone_name)
    text = str(value["dateTime"])
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(f"Invalid {which} time.") from None
    if "T" not in text.upper():
        raise invalid(f"Invalid {which} time.")
    if parsed.tzinfo is None:
        if zone_name is None:
            raise required(f"Missing time zone definition for {which} time.")
        parsed = parsed.replace(tzinfo=zone_or_none(zone_name))
    return When(day=None, instant=parsed, zone_name=zone_name)


def parse_rfc3339(text: str, parameter: str) -> datetime:
    """A query timestamp (timeMin, timeMax, updatedMin): Google insists on an offset."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(400, "badRequest", location=parameter) from None
    if parsed.tzinfo is None or "T" not in text.upper():
        raise ApiError(400, "badRequest", location=parameter)
    return parsed


def format_instant(instant: datetime, zone: ZoneInfo) -> str:
    """RFC 3339 in `zone`, to the second, `Z` for a zero offset, as Google writes it."""
    local = instant.astimezone(zone)
    if local.utcoffset() == timedelta(0):
        return local.strftime("%Y-%m-%dT%H:%M:%SZ")
    return local.isoformat(timespec="seconds")


def format_updated(micros: int) -> str:
    """`created`/`updated`: UTC with milliseconds, e.g. 2026-01-05T09:00:00.123Z."""
    moment = datetime.fromtimestamp(micros / 1_000_000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def render_when(value: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """A stored EventDateTime as Google answers it in the response time zone."""
    if value.get("date"):
        return dict(value)
    when = parse_when(value, "start")
    assert when.instant is not None
    rendered: dict[str, Any] = {"dateTime": format_instant(when.instant, zone)}
    if value.get("timeZone"):
        rendered["timeZone"] = value["timeZone"]
    return rendered


def epoch_micros(instant: datetime) -> int:
    return int(instant.timestamp() * 1_000_000)
