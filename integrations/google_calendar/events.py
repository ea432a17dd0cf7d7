"""Google's event JSON as our sync engine sees it, and a CRM session as Google should see it.

All-day events stay dates (Google's end date is exclusive); timed events keep their IANA zone, so
a weekly 07:00 session in Jerusalem stays at 07:00 across daylight-saving changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from db.models import CalendarEvent

PRIVATE_EVENT_ID = "newym_event_id"
PRIVATE_CLIENT_ID = "newym_client_id"


def _parse_datetime(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _zone(name: str | None, fallback: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or fallback)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(fallback)


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
        """Start and end as aware UTC; all-day dates are midnights in the event's zone."""
        start, end = self.raw.get("start") or {}, self.raw.get("end") or {}
        if "date" in start:
            zone = _zone(start.get("timeZone"), fallback_zone)
            first = datetime.combine(date.fromisoformat(start["date"]), time(0), tzinfo=zone)
            after = date.fromisoformat(end.get("date") or start["date"])
            last = datetime.combine(after, time(0), tzinfo=zone)
            if last <= first:
                last = first + timedelta(days=1)
            return first.astimezone(UTC), last.astimezone(UTC)
        begin = _parse_datetime(start["dateTime"])
        finish = _parse_datetime(end["dateTime"]) if end.get("dateTime") else begin
        return begin.astimezone(UTC), finish.astimezone(UTC)

    def apply_to(self, event: CalendarEvent, fallback_zone: str) -> None:
        """Copy Google's version onto the local event (the caller decides whether it should)."""
        event.title = str(self.raw.get("summary") or "(no title)")[:500]
        event.description = self.raw.get("description")
        event.location = (self.raw.get("location") or None) and str(self.raw["location"])[:500]
        event.start_at, event.end_at = self.span(fallback_zone)
        event.all_day = self.is_all_day
        event.timezone = self.timezone(fallback_zone)
        event.google_etag = self.etag
        event.google_updated_at = self.updated
        event.recurring_event_id = self.recurring_event_id
        event.status = str(self.raw.get("status") or "confirmed")

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


def google_body(event: CalendarEvent) -> dict[str, Any]:
    """The CRM session as a Google event; our ids ride along in private extended properties."""
    zone = _zone(event.timezone, "Asia/Jerusalem")
    if event.all_day:
        first = event.start_at.astimezone(zone).date()
        after = event.end_at.astimezone(zone).date()
        start: dict[str, Any] = {"date": first.isoformat()}
        end: dict[str, Any] = {"date": max(after, first + timedelta(days=1)).isoformat()}
    else:
        start = {"dateTime": event.start_at.astimezone(zone).isoformat(), "timeZone": zone.key}
        end = {"dateTime": event.end_at.astimezone(zone).isoformat(), "timeZone": zone.key}
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
