"""Expanding a recurring event's RRULE/EXDATE/RDATE lines into instances, as Google does.

A series recurs in wall-clock time of its start `timeZone`, so a 09:00 weekly meeting stays at
09:00 across a DST change. Instance ids are `<seriesId>_<YYYYMMDDTHHMMSSZ>` (the original start
in UTC) for timed series and `<seriesId>_<YYYYMMDD>` for all-day ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import rrule  # type: ignore[import-untyped]

from emulators.google.api_errors import invalid, required
from emulators.google.event_time import When, format_instant, zone_or_none

#: No expansion goes further than this many instances.
MAX_INSTANCES = 5000
#: How far ahead an open-ended series is expanded when no timeMax bounds it.
OPEN_ENDED_HORIZON = timedelta(days=2 * 366)

_UNTIL = re.compile(r"UNTIL=(\d{8})(T(\d{6})(Z?))?", re.IGNORECASE)


@dataclass(frozen=True)
class Occurrence:
    """One instance of a series, in the stored EventDateTime form."""

    suffix: str
    start: dict[str, Any]
    end: dict[str, Any]
    start_instant: datetime
    end_instant: datetime


@dataclass(frozen=True)
class Series:
    """A series ready to expand: its wall-clock start, its length and its rules."""

    rules: Any  # a dateutil rruleset
    dtstart: datetime  # naive, wall clock of `zone`
    length: timedelta
    zone: ZoneInfo
    zone_name: str | None
    all_day: bool

    def occurrences(
        self, *, until: datetime, after: datetime | None = None, limit: int = MAX_INSTANCES
    ) -> list[Occurrence]:
        """Instances that start before `until` and end after `after` (both aware)."""
        until_local = until.astimezone(self.zone).replace(tzinfo=None)
        found: list[Occurrence] = []
        for wall in self.rules:
            if wall >= until_local or len(found) >= limit:
                break
            occurrence = self._occurrence(wall)
            if after is not None and occurrence.end_instant <= after:
                continue
            found.append(occurrence)
        return found

    def _occurrence(self, wall: datetime) -> Occurrence:
        if self.all_day:
            first = wall.date()
            last = (wall + self.length).date()
            return Occurrence(
                suffix=first.strftime("%Y%m%d"),
                start={"date": first.isoformat()},
                end={"date": last.isoformat()},
                start_instant=datetime.combine(first, time(), tzinfo=self.zone),
                end_instant=datetime.combine(last, time(), tzinfo=self.zone),
            )
        begins = wall.replace(tzinfo=self.zone)
        ends = (wall + self.length).replace(tzinfo=self.zone)
        start: dict[str, Any] = {"dateTime": format_instant(begins, self.zone)}
        end: dict[str, Any] = {"dateTime": format_instant(ends, self.zone)}
        if self.zone_name:
            start["timeZone"] = end["timeZone"] = self.zone_name
        return Occurrence(
            suffix=begins.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"),
            start=start,
            end=end,
            start_instant=begins,
            end_instant=ends,
        )


def build_series(recurrence: Any, start: When, end: When, calendar_zone: ZoneInfo) -> Series:
    """Validate `recurrence` against its start and end; raise Google's 400 when it is wrong."""
    if not isinstance(recurrence, list) or not all(isinstance(x, str) for x in recurrence):
        raise invalid("Invalid recurrence rule.")
    if start.all_day:
        assert start.day is not None and end.day is not None
        zone = calendar_zone
        dtstart = datetime.combine(start.day, time())
        length = datetime.combine(end.day, time()) - dtstart
    else:
        if not start.zone_name:
            raise required("Missing time zone definition for start time.")
        zone = zone_or_none(start.zone_name) or calendar_zone
        assert start.instant is not None and end.instant is not None
        dtstart = start.instant.astimezone(zone).replace(tzinfo=None)
        length = end.instant.astimezone(zone).replace(tzinfo=None) - dtstart
    rules = rrule.rruleset()
    has_rule = False
    try:
        for line in recurrence:
            name, _, value = line.partition(":")
            kind, *parameters = name.upper().split(";")
            if kind in ("RRULE", "EXRULE") and value:
                rule = rrule.rrulestr(_local_until(value, zone, start.all_day), dtstart=dtstart)
                if kind == "RRULE":
                    rules.rrule(rule)
                    has_rule = True
                else:
                    rules.exrule(rule)
            elif kind in ("EXDATE", "RDATE") and value:
                for moment in _dates(value, parameters, zone, dtstart):
                    if kind == "EXDATE":
                        rules.exdate(moment)
                    else:
                        rules.rdate(moment)
                        has_rule = True
            else:
                raise ValueError(line)
        if not has_rule:
            raise ValueError("no rule")
        next(iter(rules), None)
    except (ValueError, TypeError, KeyError, IndexError):
        raise invalid("Invalid recurrence rule.") from None
    return Series(rules, dtstart, length, zone, start.zone_name, start.all_day)


def _local_until(rule: str, zone: ZoneInfo, all_day: bool) -> str:
    """dateutil wants UNTIL in the same naive wall clock as DTSTART; Google accepts UTC."""

    def convert(match: re.Match[str]) -> str:
        day, clock, utc = match.group(1), match.group(3), match.group(4)
        if clock is None:
            return f"UNTIL={day}" if all_day else f"UNTIL={day}T235959"
        if not utc:
            return f"UNTIL={day}T{clock}"
        moment = datetime.strptime(day + clock, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        local = moment.astimezone(zone)
        return "UNTIL=" + local.strftime("%Y%m%dT%H%M%S")

    return _UNTIL.sub(convert, rule)


def _dates(value: str, parameters: list[str], zone: ZoneInfo, dtstart: datetime) -> list[datetime]:
    """EXDATE/RDATE values as naive wall-clock times of the series' zone."""
    named = dict(p.split("=", 1) for p in parameters if "=" in p)
    source = zone_or_none(named.get("TZID", "")) if "TZID" in named else None
    moments: list[datetime] = []
    for item in value.split(","):
        item = item.strip()
        if len(item) == 8:
            day = date(int(item[:4]), int(item[4:6]), int(item[6:8]))
            moments.append(datetime.combine(day, dtstart.time()))
            continue
        moment = datetime.strptime(item.rstrip("Zz"), "%Y%m%dT%H%M%S")
        if item.upper().endswith("Z"):
            moment = moment.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
        elif source is not None:
            moment = moment.replace(tzinfo=source).astimezone(zone).replace(tzinfo=None)
        moments.append(moment)
    return moments
