"""Google's event JSON as our sync engine sees it, and a CRM session as Google should see it.

All-day events stay dates (Google's end date is exclusive); timed events keep their IANA zone, so
a weekly 07:00 session in Jerusalem stays at 07:00 across daylight-saving changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from db.models import CalendarEvent

PRIVATE_EVENT_ID = "newym_event_id"
PRIVATE_CLIENT_ID = "newym_client_id"

#: Column sizes of CalendarEvent (db/models.py): Google allows more than the store keeps.
TITLE_MAX = 500
LOCATION_MAX = 500
TIMEZONE_MAX = 64
GOOGLE_ID_MAX = 1024
ETAG_MAX = 255
#: What we store of Google's times. A day short of datetime's own ends, so converting to any
#: zone (up to 14 hours off UTC) and the exclusive end of an all-day event never overflow.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)
_STATUSES = frozenset({"confirmed", "tentative", "cancelled"})
#: Control characters (Unicode Cc) and lone surrogates (Cs), which are not valid UTF-8.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_BREAK = re.compile("\r\n|[\r\u2028\u2029\x85]")


class UnusableEvent(ValueError):
    """Google sent an event the store cannot hold as it is (its times, or an id too long);
    the sync skips it and logs why instead of failing the whole run."""


def clean_text(value: Any, limit: int | None = None, *, multiline: bool = False) -> str:
    """Text as the store can keep it: PostgreSQL refuses NUL, and control characters or lone
    surrogates from Google would break storage or display; capped to `limit` characters."""
    text = str(value)
    if text.isprintable():  # the usual title: nothing to clean (and 20x cheaper than the regexes)
        return text[:limit] if limit is not None else text
    text = _BREAK.sub("\n", text)
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    text = _CONTROL.sub("", text)
    return text[:limit] if limit is not None else text


def _parse_datetime(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _zone(name: str | None, fallback: str) -> ZoneInfo:
    for candidate in (name, fallback):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            continue
    return ZoneInfo("UTC")  # a bad stored zone must not stop every event of that trainer


@dataclass(frozen=True, slots=True)
class GoogleEvent:
    """One item of events.list/get, with the predicates the engine asks about."""

    raw: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.raw["id"])

    @property
    def etag(self) -> str | None:
        return self.raw.get("etag")

    @property
    def is_cancelled(self) -> bool:
        return self.raw.get("status") == "cancelled"

    @property
    def is_all_day(self) -> bool:
        return "date" in (self.raw.get("start") or {})

    @property
    def recurring_event_id(self) -> str | None:
        return self.raw.get("recurringEventId")

    @property
    def updated(self) -> datetime | None:
        value = self.raw.get("updated")
        return _parse_datetime(value) if value else None

    @property
    def crm_event_id(self) -> str | None:
        private = (self.raw.get("extendedProperties") or {}).get("private") or {}
        return private.get(PRIVATE_EVENT_ID)

    def timezone(self, fallback: str) -> str:
        return str((self.raw.get("start") or {}).get("timeZone") or fallback)

    def span(self, fallback_zone: str) -> tuple[datetime, datetime]:
        """Start and end as aware UTC; all-day dates are midnights in the event's zone.

        Raises UnusableEvent for times that cannot be read or lie outside EARLIEST..LATEST
        (an all-day event on 9999-12-31 ends on 10000-01-01, which no datetime can hold).
        """
        start, end = self.raw.get("start") or {}, self.raw.get("end") or {}
        try:
            if "date" in start:
                zone = _zone(start.get("timeZone"), fallback_zone)
                first = datetime.combine(date.fromisoformat(start["date"]), time(0), tzinfo=zone)
                after = date.fromisoformat(end.get("date") or start["date"])
                last = datetime.combine(after, time(0), tzinfo=zone)
                if last <= first:
                    last = first + timedelta(days=1)
            else:
                first = _parse_datetime(start["dateTime"])
                last = _parse_datetime(end["dateTime"]) if end.get("dateTime") else first
            begin, finish = first.astimezone(UTC), last.astimezone(UTC)
        except (KeyError, TypeError, ValueError, OverflowError) as failure:
            raise UnusableEvent(f"its start or end cannot be read ({failure})") from None
        if begin < EARLIEST or finish > LATEST:
            raise UnusableEvent(
                f"its time ({begin.date().isoformat()} to {finish.date().isoformat()}) is outside "
                f"{EARLIEST.date().isoformat()} to {LATEST.date().isoformat()}"
            )
        return begin, finish

    def local_fields(self, fallback_zone: str) -> dict[str, Any]:
        """Google's version as CalendarEvent column values, cleaned to fit the store.

        Shared by the row-at-a-time and bulk paths. Raises UnusableEvent when the event cannot
        be stored even cleaned; nothing is changed then.
        """
        if len(self.id) > GOOGLE_ID_MAX:
            raise UnusableEvent(f"its id is longer than {GOOGLE_ID_MAX} characters")
        etag = self.etag
        if etag is not None and len(str(etag)) > ETAG_MAX:
            raise UnusableEvent(f"its etag is longer than {ETAG_MAX} characters")
        start_at, end_at = self.span(fallback_zone)
        try:
            updated = self.updated
        except (TypeError, ValueError):
            updated = None
        title = clean_text(self.raw.get("summary") or "", TITLE_MAX).strip()
        description = self.raw.get("description")
        location = clean_text(self.raw.get("location") or "", LOCATION_MAX).strip()
        recurring = self.recurring_event_id
        status = str(self.raw.get("status") or "confirmed")
        return {
            "title": title or "(no title)",
            "description": clean_text(description, multiline=True) if description else None,
            "location": location or None,
            "start_at": start_at,
            "end_at": end_at,
            "all_day": self.is_all_day,
            "timezone": _zone(self.timezone(fallback_zone)[:TIMEZONE_MAX], fallback_zone).key,
            "google_etag": str(etag) if etag is not None else None,
            "google_updated_at": updated,
            "recurring_event_id": str(recurring)
            if recurring and len(str(recurring)) <= GOOGLE_ID_MAX
            else None,
            "status": status if status in _STATUSES else "confirmed",
        }

    def apply_to(self, event: CalendarEvent, fallback_zone: str) -> None:
        """Copy Google's version onto the local event (the caller decides whether it should).

        Raises UnusableEvent, before changing anything, when the event cannot be stored.
        """
        assign_fields(event, self.local_fields(fallback_zone))

    def comparable(self) -> dict[str, Any]:
        """What a trainer would recognise of this version, for the conflict record."""
        return {
            "summary": self.raw.get("summary"),
            "start": self.raw.get("start"),
            "end": self.raw.get("end"),
            "location": self.raw.get("location"),
            "description": self.raw.get("description"),
            "updated": self.raw.get("updated"),
            "status": self.raw.get("status"),
        }


def assign_fields(event: CalendarEvent, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(event, name, value)


def local_version(event: CalendarEvent) -> dict[str, Any]:
    return {
        "summary": event.title,
        "start": event.start_at.isoformat(),
        "end": event.end_at.isoformat(),
        "location": event.location,
        "description": event.description,
        "updated": event.updated_at.isoformat(),
        "deleted": event.deleted_at is not None,
    }


def _local(value: datetime, zone: ZoneInfo) -> datetime:
    """`value` in `zone`, pinned to the last (or first) moment datetime holds rather than
    overflowing: an event Google keeps until the end of year 9999 can still be sent back."""
    try:
        return value.astimezone(zone)
    except OverflowError:
        return (datetime.max if value.year > 1 else datetime.min).replace(tzinfo=zone)


def google_body(event: CalendarEvent) -> dict[str, Any]:
    """The CRM session as a Google event; our ids ride along in private extended properties."""
    zone = _zone(event.timezone, "Asia/Jerusalem")
    if event.all_day:
        first = _local(event.start_at, zone).date()
        after = _local(event.end_at, zone).date()
        # Google's end date is exclusive; the day after 9999-12-31 does not exist.
        next_day = first + timedelta(days=1) if first < date.max else first
        start: dict[str, Any] = {"date": first.isoformat()}
        end: dict[str, Any] = {"date": max(after, next_day).isoformat()}
    else:
        start = {"dateTime": _local(event.start_at, zone).isoformat(), "timeZone": zone.key}
        end = {"dateTime": _local(event.end_at, zone).isoformat(), "timeZone": zone.key}
    private = {PRIVATE_EVENT_ID: event.id}
    if event.client_id:
        private[PRIVATE_CLIENT_ID] = event.client_id
    body: dict[str, Any] = {
        "summary": event.title,
        "start": start,
        "end": end,
        "extendedProperties": {"private": private},
    }
    if event.description:
        body["description"] = event.description
    if event.location:
        body["location"] = event.location
    return body
