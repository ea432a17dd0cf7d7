"""The emulated Google Calendar world: calendars, events, change numbers and sync tokens.

Plain Python, no HTTP: the routes in `calendar.py` parse requests and render what this module
returns. Every change takes a new world-wide change number and a strictly increasing
microsecond timestamp, from which the event's `etag` and `updated` are derived, so both change
on every change. A sync token remembers the change number a listing started at; an incremental
listing returns what changed after it, deletions as tombstones.

All methods expect the caller to hold `CalendarStore.lock` (the emulator's one lock) or take it.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import threading
import time
from bisect import bisect_right, insort
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from emulators.google.api_errors import ApiError, invalid, not_found
from emulators.google.event_time import (
    When,
    epoch_micros,
    format_updated,
    parse_when,
    render_when,
    zone_or_none,
)
from emulators.google.recurrence import MAX_INSTANCES, OPEN_ENDED_HORIZON, Series, build_series

MAX_PAGE_SIZE = 2500
DEFAULT_PAGE_SIZE = 250
ACCESS_ROLES = ("freeBusyReader", "reader", "writer", "owner")
_WRITERS = {"writer", "owner"}
_EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")
_BASE32HEX = "0123456789abcdefghijklmnopqrstuv"

#: Fields a client may write on an event; Google ignores or computes the rest.
WRITABLE_FIELDS = frozenset(
    {
        "anyoneCanAddSelf",
        "attachments",
        "attendees",
        "attendeesOmitted",
        "colorId",
        "conferenceData",
        "description",
        "end",
        "endTimeUnspecified",
        "eventType",
        "extendedProperties",
        "focusTimeProperties",
        "gadget",
        "guestsCanInviteOthers",
        "guestsCanModify",
        "guestsCanSeeOtherGuests",
        "iCalUID",
        "location",
        "locked",
        "originalStartTime",
        "outOfOfficeProperties",
        "privateCopy",
        "recurrence",
        "reminders",
        "sequence",
        "source",
        "start",
        "status",
        "summary",
        "transparency",
        "visibility",
        "workingLocationProperties",
    }
)
#: The order Google writes an event's fields in, for readable answers.
_FIELD_ORDER = (
    "kind",
    "etag",
    "id",
    "status",
    "htmlLink",
    "created",
    "updated",
    "summary",
    "description",
    "location",
    "colorId",
    "creator",
    "organizer",
    "start",
    "end",
    "endTimeUnspecified",
    "recurrence",
    "recurringEventId",
    "originalStartTime",
    "transparency",
    "visibility",
    "iCalUID",
    "sequence",
    "attendees",
    "extendedProperties",
    "reminders",
    "source",
    "eventType",
)
_TIME_FIELDS = ("start", "end")


def new_event_id() -> str:
    """An id like Google's own: 26 base32hex characters."""
    return "".join(secrets.choice(_BASE32HEX) for _ in range(26))


def _b64(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _unb64(token: str) -> dict[str, Any] | None:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (ValueError, UnicodeError):
        return None
    return decoded if isinstance(decoded, dict) else None


@dataclass
class StoredEvent:
    """An event as Google keeps it; `resource` holds start/end as the client wrote them."""

    resource: dict[str, Any]
    seq: int
    updated_us: int

    @property
    def id(self) -> str:
        return str(self.resource["id"])

    @property
    def cancelled(self) -> bool:
        return self.resource.get("status") == "cancelled"

    @property
    def is_series(self) -> bool:
        return bool(self.resource.get("recurrence"))

    @property
    def series_id(self) -> str | None:
        value = self.resource.get("recurringEventId")
        return str(value) if value else None


@dataclass
class Calendar:
    id: str
    summary: str
    time_zone: str
    description: str = ""
    events: dict[str, StoredEvent] = field(default_factory=dict)
    #: Bumped to invalidate every sync token handed out for this calendar.
    sync_epoch: int = 0
    updated_us: int = 0
    #: Every stored id in listing order, so a page resumes from its token in O(page) instead of
    #: rebuilding and sorting the whole calendar (events are never removed, only cancelled).
    ordered_ids: list[str] = field(default_factory=list)
    #: Ids of recurring series' masters: their instances interleave, so listings that expand
    #: them take the general path.
    series_masters: set[str] = field(default_factory=set)

    def index(self, stored: StoredEvent, *, new: bool) -> None:
        """Keep `ordered_ids` and `series_masters` in step with one stored event."""
        if new:
            insort(self.ordered_ids, stored.id)
        if stored.is_series and stored.series_id is None:
            self.series_masters.add(stored.id)
        else:
            self.series_masters.discard(stored.id)

    def reindex(self) -> None:
        """Rebuild the listing index from `events` (a safety net; never needed in practice)."""
        self.ordered_ids = sorted(self.events)
        self.series_masters = {
            stored.id
            for stored in self.events.values()
            if stored.is_series and stored.series_id is None
        }

    @property
    def zone(self) -> ZoneInfo:
        return zone_or_none(self.time_zone) or ZoneInfo("UTC")


@dataclass
class ListEntry:
    """A calendar as it appears in one account's calendar list."""

    calendar_id: str
    access_role: str
    primary: bool
    seq: int
    color_id: str = "14"


@dataclass
class EventQuery:
    """events.list / events.instances parameters, already parsed."""

    max_results: int = DEFAULT_PAGE_SIZE
    page_token: str | None = None
    sync_token: str | None = None
    show_deleted: bool | None = None
    single_events: bool = False
    time_min: datetime | None = None
    time_max: datetime | None = None
    order_by: str | None = None
    updated_min: datetime | None = None
    q: str | None = None
    ical_uid: str | None = None
    private_properties: list[str] = field(default_factory=list)
    shared_properties: list[str] = field(default_factory=list)
    original_start: str | None = None


@dataclass
class EventsPage:
    items: list[dict[str, Any]]
    next_page_token: str | None
    next_sync_token: str | None


@dataclass
class _Row:
    key: tuple[int, str]
    resource: dict[str, Any]
    tombstone: bool


@dataclass
class PagingQuirks:
    """Google may return short or even empty pages; tests turn that on here."""

    max_items_per_page: int | None = None
    empty_pages: int = 0


ChangeListener = Callable[[str], None]


class CalendarStore:
    """Every account's calendars and events."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.calendars: dict[str, Calendar] = {}
        self.lists: dict[str, dict[str, ListEntry]] = {}
        self.paging = PagingQuirks()
        self.seq = 0
        self._last_us = 0
        self._listeners: list[ChangeListener] = []

    # -- clock, listeners ---------------------------------------------------------------------

    def subscribe(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    def _tick(self) -> tuple[int, int]:
        self.seq += 1
        self._last_us = max(time.time_ns() // 1000, self._last_us + 1)
        return self.seq, self._last_us

    def _changed(self, calendar: Calendar) -> None:
        for listener in self._listeners:
            listener(calendar.id)

    def reset(self) -> None:
        with self.lock:
            self.calendars.clear()
            self.lists.clear()
            self.paging = PagingQuirks()

    # -- calendars ----------------------------------------------------------------------------

    def ensure_account(self, email: str) -> Calendar:
        """The account's primary calendar, created on first use (id = the email)."""
        with self.lock:
            entries = self.lists.setdefault(email, {})
            calendar = self.calendars.get(email)
            if calendar is None:
                calendar = Calendar(id=email, summary=email, time_zone="UTC")
                calendar.updated_us = self._tick()[1]
                self.calendars[email] = calendar
            if email not in entries:
                entries[email] = ListEntry(email, "owner", primary=True, seq=self._tick()[0])
            return calendar

    def add_calendar(
        self,
        email: str,
        *,
        calendar_id: str | None = None,
        summary: str = "",
        time_zone: str | None = None,
        description: str | None = None,
        access_role: str = "owner",
    ) -> Calendar:
        """Create a calendar, or share an existing one with `email` under `access_role`.

        `calendar_id` "primary" or the account's email changes the primary calendar.
        """
        if access_role not in ACCESS_ROLES:
            raise ValueError(f"accessRole must be one of {ACCESS_ROLES}")
        if time_zone is not None and zone_or_none(time_zone) is None:
            raise ValueError(f"unknown time zone {time_zone!r}")
        with self.lock:
            primary = self.ensure_account(email)
            if calendar_id in (None, ""):
                calendar_id = f"c_{new_event_id()}@group.calendar.google.com"
            if calendar_id in ("primary", email):
                calendar = primary
            else:
                assert calendar_id is not None
                found = self.calendars.get(calendar_id)
                calendar = found or Calendar(
                    id=calendar_id, summary=summary or calendar_id, time_zone="UTC"
                )
                self.calendars[calendar.id] = calendar
                self.lists[email][calendar.id] = ListEntry(
                    calendar.id, access_role, primary=False, seq=self._tick()[0]
                )
            if summary:
                calendar.summary = summary
            if time_zone:
                calendar.time_zone = time_zone
            if description is not None:
                calendar.description = description
            calendar.updated_us = self._tick()[1]
            return calendar

    def calendar_for(self, email: str, calendar_id: str) -> tuple[Calendar, ListEntry]:
        """The calendar a caller names ("primary" aliases their own), or Google's 404."""
        with self.lock:
            self.ensure_account(email)
            if calendar_id == "primary":
                calendar_id = email
            entry = self.lists[email].get(calendar_id)
            calendar = self.calendars.get(calendar_id)
            if entry is None or calendar is None or entry.access_role == "freeBusyReader":
                raise not_found()
            return calendar, entry

    def entries(self, email: str) -> list[tuple[Calendar, ListEntry]]:
        with self.lock:
            self.ensure_account(email)
            found = [(self.calendars[cid], e) for cid, e in self.lists[email].items()]
            return sorted(found, key=lambda pair: (not pair[1].primary, pair[0].id))

    def expire_sync_tokens(self, calendar: Calendar) -> None:
        with self.lock:
            calendar.sync_epoch += 1

    # -- reading ------------------------------------------------------------------------------

    def get(self, calendar: Calendar, event_id: str) -> tuple[dict[str, Any], int]:
        """An event's resource (stored form) and its updated time; instances are derived."""
        with self.lock:
            stored = calendar.events.get(event_id)
            if stored is not None:
                return stored.resource, stored.updated_us
            derived = self._instance(calendar, event_id)
            if derived is None:
                raise not_found()
            return derived

    def list_events(self, calendar: Calendar, query: EventQuery, zone: ZoneInfo) -> EventsPage:
        """events.list: one page, with nextPageToken or (last page only) nextSyncToken."""
        restricted = [
            name
            for name, value in (
                ("timeMin", query.time_min),
                ("timeMax", query.time_max),
                ("q", query.q),
                ("orderBy", query.order_by),
                ("updatedMin", query.updated_min),
                ("iCalUID", query.ical_uid),
                ("privateExtendedProperty", query.private_properties),
                ("sharedExtendedProperty", query.shared_properties),
            )
            if value
        ]
        if query.sync_token and (restricted or query.show_deleted is False):
            raise invalid("Sync token cannot be used with other request restrictions.")
        _check_query(query)
        with self.lock:
            since: int | None = None
            if query.sync_token:
                since = self._sync_point(calendar, query.sync_token)
            cursor, snapshot = self._page_point(query.page_token)
            if snapshot is None:
                snapshot = self.seq
            if len(calendar.ordered_ids) != len(calendar.events):
                calendar.reindex()
            if not query.order_by and not calendar.series_masters and (cursor or (0,))[0] == 0:
                # Every row's key is (0, id): walk the id index from the cursor, one page.
                rows = self._rows_after(calendar, query, since, cursor, self._page_size(query) + 1)
                return self._page(
                    calendar, rows, query, zone, cursor, snapshot, with_sync=True, resumed=True
                )
            rows = self._rows(calendar, query, zone, since)
            return self._page(calendar, rows, query, zone, cursor, snapshot, with_sync=True)

    def instances(
        self, calendar: Calendar, event_id: str, query: EventQuery, zone: ZoneInfo
    ) -> EventsPage:
        """events.instances: a series' instances in start order, exceptions applied."""
        _check_query(query)
        with self.lock:
            series = calendar.events.get(event_id)
            if series is None or series.series_id is not None:
                raise not_found()
            cursor, snapshot = self._page_point(query.page_token)
            rows: list[_Row] = []
            if not series.is_series:
                rows.append(self._row(series.resource, series.updated_us, False, "startTime"))
            else:
                for resource, updated_us in self._expanded(calendar, series, query):
                    cancelled = resource.get("status") == "cancelled"
                    if cancelled and not query.show_deleted:
                        continue
                    rows.append(self._row(resource, updated_us, cancelled, "startTime"))
            if query.original_start:
                wanted = query.original_start
                rows = [r for r in rows if _original_start_matches(r.resource, wanted)]
            rows.sort(key=lambda r: r.key)
            return self._page(
                calendar, rows, query, zone, cursor, snapshot or self.seq, with_sync=False
            )

    def _rows(
        self, calendar: Calendar, query: EventQuery, zone: ZoneInfo, since: int | None
    ) -> list[_Row]:
        rows: list[_Row] = []
        for stored in calendar.events.values():
            rows += self._stored_rows(calendar, stored, query, since)
        return [row for row in rows if _matches(row, query, calendar.zone)]

    def _rows_after(
        self,
        calendar: Calendar,
        query: EventQuery,
        since: int | None,
        cursor: tuple[int, str] | None,
        wanted: int,
    ) -> list[_Row]:
        """The first `wanted` rows after `cursor` in id order, for a calendar without series
        masters listed in no particular order (each stored event is at most one row (0, id))."""
        ids = calendar.ordered_ids
        position = 0 if cursor is None else bisect_right(ids, cursor[1])
        rows: list[_Row] = []
        while position < len(ids) and len(rows) < wanted:
            stored = calendar.events[ids[position]]
            position += 1
            rows += [
                row
                for row in self._stored_rows(calendar, stored, query, since)
                if _matches(row, query, calendar.zone)
            ]
        return rows

    def _stored_rows(
        self, calendar: Calendar, stored: StoredEvent, query: EventQuery, since: int | None
    ) -> list[_Row]:
        """What one stored event contributes to a listing, before the query's filters."""
        incremental = since is not None
        show_deleted = bool(query.show_deleted) or incremental or query.updated_min is not None
        order = query.order_by or ""
        changed = since is None or stored.seq > since
        if query.updated_min is not None and stored.updated_us < epoch_micros(query.updated_min):
            changed = False
        if not changed:
            return []
        if stored.is_series and stored.series_id is None:
            if not query.single_events:
                if stored.cancelled:
                    if show_deleted:
                        return [self._row(stored.resource, stored.updated_us, True, order)]
                elif self._series_in_window(calendar, stored, query):
                    return [self._row(stored.resource, stored.updated_us, False, order)]
                return []
            return [
                self._row(resource, updated_us, stored.cancelled, order)
                for resource, updated_us in self._expanded(
                    calendar, stored, query, exceptions=False
                )
                if show_deleted or not stored.cancelled
            ]
        if stored.cancelled:
            # Cancelled instances of a series are listed unless singleEvents hides them.
            instance = stored.series_id is not None
            if show_deleted or (instance and not query.single_events):
                return [self._row(stored.resource, stored.updated_us, True, order)]
            return []
        return [self._row(stored.resource, stored.updated_us, False, order)]

    def _row(self, resource: dict[str, Any], updated_us: int, tombstone: bool, order: str) -> _Row:
        if order == "startTime" and resource.get("start"):
            first = epoch_micros(_when(resource["start"]).start_of(ZoneInfo("UTC")))
        elif order == "updated":
            first = updated_us
        else:
            first = 0
        return _Row((first, str(resource["id"])), resource, tombstone)

    def _page(
        self,
        calendar: Calendar,
        rows: list[_Row],
        query: EventQuery,
        zone: ZoneInfo,
        cursor: tuple[int, str] | None,
        snapshot: int,
        *,
        with_sync: bool,
        resumed: bool = False,
    ) -> EventsPage:
        """One page of `rows` after `cursor`; `resumed` rows already start after it, sorted,
        and hold at least one more than the page when more follow."""
        if resumed:
            begin = 0
        else:
            rows.sort(key=lambda r: r.key)
            begin = 0 if cursor is None else bisect_right([r.key for r in rows], cursor)
        size = self._page_size(query)
        if self.paging.empty_pages > 0 and begin < len(rows):
            self.paging.empty_pages -= 1
            size = 0
        chosen = rows[begin : begin + size]
        items = [
            self.render(calendar, row.resource, zone, tombstone=row.tombstone) for row in chosen
        ]
        if begin + size < len(rows):
            last = chosen[-1].key if chosen else cursor
            state: dict[str, Any] = {"s": snapshot}
            if last is not None:
                state["c"] = list(last)
            return EventsPage(items, _b64(state), None)
        sync = (
            _b64({"k": calendar.id, "s": snapshot, "e": calendar.sync_epoch}) if with_sync else None
        )
        return EventsPage(items, None, sync)

    def _page_size(self, query: EventQuery) -> int:
        size = min(max(query.max_results, 1), MAX_PAGE_SIZE)
        if self.paging.max_items_per_page:
            size = min(size, self.paging.max_items_per_page)
        return size

    def _sync_point(self, calendar: Calendar, token: str) -> int:
        decoded = _unb64(token)
        if (
            decoded is None
            or decoded.get("k") != calendar.id
            or decoded.get("e") != calendar.sync_epoch
            or not isinstance(decoded.get("s"), int)
            or decoded["s"] > self.seq
        ):
            raise ApiError(410, "fullSyncRequired")
        return int(decoded["s"])

    @staticmethod
    def _page_point(token: str | None) -> tuple[tuple[int, str] | None, int | None]:
        if not token:
            return None, None
        decoded = _unb64(token)
        if decoded is None or not isinstance(decoded.get("s"), int):
            raise invalid("Invalid page token value.", "pageToken")
        raw_cursor = decoded.get("c")
        if raw_cursor is None:
            return None, int(decoded["s"])
        return (int(raw_cursor[0]), str(raw_cursor[1])), int(decoded["s"])

    def _series(self, calendar: Calendar, stored: StoredEvent) -> Series:
        resource = stored.resource
        return build_series(
            resource["recurrence"],
            _when(resource["start"]),
            _when(resource["end"]),
            calendar.zone,
        )

    def _expanded(
        self,
        calendar: Calendar,
        series: StoredEvent,
        query: EventQuery,
        *,
        exceptions: bool = True,
    ) -> Iterator[tuple[dict[str, Any], int]]:
        """A series' instances in the query window; stored exceptions replace theirs."""
        horizon = query.time_max or (
            max(datetime.now(UTC), query.time_min or datetime.now(UTC)) + OPEN_ENDED_HORIZON
        )
        for occurrence in self._series(calendar, series).occurrences(
            until=horizon, after=query.time_min, limit=MAX_INSTANCES
        ):
            instance_id = f"{series.id}_{occurrence.suffix}"
            stored = calendar.events.get(instance_id)
            if stored is not None:
                if exceptions:
                    yield stored.resource, stored.updated_us
                continue
            resource = _instance_resource(series.resource, instance_id, occurrence.start)
            resource["end"] = occurrence.end
            if series.cancelled:
                resource["status"] = "cancelled"
            yield resource, series.updated_us

    def _series_in_window(self, calendar: Calendar, series: StoredEvent, query: EventQuery) -> bool:
        if query.time_min is None and query.time_max is None:
            return True
        return any(True for _ in self._expanded(calendar, series, query, exceptions=False))

    def _instance(self, calendar: Calendar, event_id: str) -> tuple[dict[str, Any], int] | None:
        """The instance `<seriesId>_<suffix>` if the series really has it."""
        series_id, _, suffix = event_id.rpartition("_")
        series = calendar.events.get(series_id)
        if series is None or not series.is_series or series.series_id or not suffix:
            return None
        try:
            when = (
                datetime.strptime(suffix, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
                if "T" in suffix
                else datetime.strptime(suffix, "%Y%m%d").replace(tzinfo=calendar.zone)
            )
        except ValueError:
            return None
        for occurrence in self._series(calendar, series).occurrences(
            until=when + timedelta(days=2), after=when - timedelta(days=2)
        ):
            if occurrence.suffix == suffix:
                resource = _instance_resource(series.resource, event_id, occurrence.start)
                resource["end"] = occurrence.end
                if series.cancelled:
                    resource["status"] = "cancelled"
                return resource, series.updated_us
        return None

    # -- writing ------------------------------------------------------------------------------

    def insert(
        self, calendar: Calendar, entry: ListEntry, body: Any, *, actor: str, notify: bool = True
    ) -> StoredEvent:
        _require_writer(entry)
        if not isinstance(body, dict):
            raise ApiError(400, "required", "Missing end time.")
        event_id = body.get("id")
        if event_id is not None and (
            not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id)
        ):
            raise invalid("Invalid resource id value.")
        fields = {k: copy.deepcopy(v) for k, v in body.items() if k in WRITABLE_FIELDS}
        fields.pop("originalStartTime", None)
        fields.pop("sequence", None)
        _validate(fields, calendar.zone)
        with self.lock:
            event_id = event_id or new_event_id()
            if event_id in calendar.events:
                raise ApiError(409, "duplicate")
            seq, now_us = self._tick()
            organizer: dict[str, Any] = {"email": calendar.id, "self": True}
            if calendar.id != actor:
                organizer = {"email": calendar.id, "displayName": calendar.summary, "self": True}
            resource: dict[str, Any] = {
                "kind": "calendar#event",
                "id": event_id,
                "status": "confirmed",
                "htmlLink": _html_link(event_id, calendar.id),
                "created": format_updated(now_us),
                "creator": {"email": actor, "self": True},
                "organizer": organizer,
                "iCalUID": f"{event_id}@google.com",
                "sequence": 0,
                "reminders": {"useDefault": True},
                "eventType": "default",
                **fields,
            }
            stored = StoredEvent(resource, seq, now_us)
            _stamp(stored, seq, now_us)
            calendar.events[event_id] = stored
            calendar.index(stored, new=True)
            calendar.updated_us = now_us
            if notify:
                self._changed(calendar)
            return stored

    def update(
        self,
        calendar: Calendar,
        entry: ListEntry,
        event_id: str,
        body: Any,
        *,
        if_match: str | None,
        patch: bool,
    ) -> StoredEvent:
        _require_writer(entry)
        if not isinstance(body, dict):
            raise invalid("Invalid value for body.")
        with self.lock:
            stored = self._writable(calendar, event_id, if_match)
            before = stored.resource
            given = {k: copy.deepcopy(v) for k, v in body.items() if k in WRITABLE_FIELDS}
            for computed in ("originalStartTime", "sequence", "iCalUID"):
                given.pop(computed, None)
            if patch:
                fields = _merge({k: v for k, v in before.items() if k in WRITABLE_FIELDS}, given)
            else:
                fields = given
            kept = {k: v for k, v in before.items() if k not in WRITABLE_FIELDS}
            kept["iCalUID"] = before.get("iCalUID")
            if "originalStartTime" in before:
                kept["originalStartTime"] = before["originalStartTime"]
            fields.setdefault("status", before.get("status", "confirmed"))
            if stored.series_id is not None:
                fields.pop("recurrence", None)
            _validate(fields, calendar.zone)
            resource = {**kept, **fields}
            resource["sequence"] = int(before.get("sequence", 0)) + (
                1
                if any(before.get(k) != resource.get(k) for k in (*_TIME_FIELDS, "recurrence"))
                else 0
            )
            stored.resource = resource
            calendar.index(stored, new=False)
            self._touch(calendar, stored)
            if stored.cancelled and stored.is_series:
                self._cancel_exceptions(calendar, stored)
            self._changed(calendar)
            return stored

    def delete(
        self, calendar: Calendar, entry: ListEntry, event_id: str, *, if_match: str | None
    ) -> None:
        _require_writer(entry)
        with self.lock:
            stored = self._writable(calendar, event_id, if_match)
            if stored.cancelled:
                raise ApiError(410, "deleted")
            stored.resource["status"] = "cancelled"
            self._touch(calendar, stored)
            if stored.is_series:
                self._cancel_exceptions(calendar, stored)
            self._changed(calendar)

    def _cancel_exceptions(self, calendar: Calendar, series: StoredEvent) -> None:
        for other in calendar.events.values():
            if other.series_id == series.id and not other.cancelled:
                other.resource["status"] = "cancelled"
                self._touch(calendar, other)

    def _writable(self, calendar: Calendar, event_id: str, if_match: str | None) -> StoredEvent:
        """The stored event to change; an instance becomes a stored exception first."""
        stored = calendar.events.get(event_id)
        if stored is None:
            derived = self._instance(calendar, event_id)
            if derived is None:
                raise not_found()
            resource, updated_us = derived
            series = calendar.events[event_id.rpartition("_")[0]]
            resource["etag"] = series.resource["etag"]
            stored = StoredEvent(resource, series.seq, updated_us)
            if series.cancelled:
                raise ApiError(410, "deleted")
            self._check_etag(stored, if_match)
            calendar.events[event_id] = stored
            calendar.index(stored, new=True)
            return stored
        self._check_etag(stored, if_match)
        return stored

    @staticmethod
    def _check_etag(stored: StoredEvent, if_match: str | None) -> None:
        if if_match is None or if_match.strip() == "*":
            return
        if if_match.strip() != stored.resource.get("etag"):
            raise ApiError(412, "conditionNotMet", location="If-Match", location_type="header")

    def _touch(self, calendar: Calendar, stored: StoredEvent) -> None:
        seq, now_us = self._tick()
        _stamp(stored, seq, now_us)
        calendar.updated_us = now_us

    # -- rendering ----------------------------------------------------------------------------

    def render(
        self,
        calendar: Calendar,
        resource: dict[str, Any],
        zone: ZoneInfo,
        *,
        tombstone: bool = False,
    ) -> dict[str, Any]:
        """What Google answers: times in the response zone; deletions stripped to a tombstone."""
        if tombstone:
            bare: dict[str, Any] = {
                k: resource[k] for k in ("kind", "etag", "id", "status") if k in resource
            }
            bare["status"] = "cancelled"
            if resource.get("recurringEventId"):
                bare["recurringEventId"] = resource["recurringEventId"]
                bare["originalStartTime"] = render_when(resource["originalStartTime"], zone)
            else:
                bare["updated"] = resource.get("updated")
            return bare
        out: dict[str, Any] = {}
        for key in (*_FIELD_ORDER, *resource):
            if key in resource and key not in out:
                value = resource[key]
                if key in ("start", "end", "originalStartTime") and isinstance(value, dict):
                    value = render_when(value, zone)
                out[key] = copy.deepcopy(value)
        return out


def _stamp(stored: StoredEvent, seq: int, now_us: int) -> None:
    stored.seq = seq
    stored.updated_us = now_us
    stored.resource["etag"] = f'"{now_us}"'
    stored.resource["updated"] = format_updated(now_us)


def _require_writer(entry: ListEntry) -> None:
    if entry.access_role not in _WRITERS:
        raise ApiError(403, "requiredAccessLevel")


def _when(value: dict[str, Any]) -> When:
    return parse_when(value, "start")


def _validate(fields: dict[str, Any], calendar_zone: ZoneInfo) -> None:
    """events.insert/update's checks on times, recurrence and status."""
    start = parse_when(fields.get("start"), "start") if "start" in fields else None
    end = parse_when(fields.get("end"), "end") if "end" in fields else None
    if end is None:
        raise ApiError(400, "required", "Missing end time.")
    if start is None:
        raise ApiError(400, "required", "Missing start time.")
    if start.all_day != end.all_day:
        raise invalid("Start and end times must either both be date or both be dateTime.")
    if start.start_of(calendar_zone) > end.start_of(calendar_zone) or (
        start.all_day and start.day == end.day
    ):
        raise ApiError(400, "timeRangeEmpty", location="end.dateTime")
    if fields.get("recurrence"):
        build_series(fields["recurrence"], start, end, calendar_zone)
    elif "recurrence" in fields:
        fields.pop("recurrence")
    status = fields.get("status", "confirmed")
    if status not in ("confirmed", "tentative", "cancelled"):
        raise invalid("Invalid value for status.", "status")
    fields.setdefault("status", "confirmed")


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Patch semantics: objects merge field by field, arrays and scalars replace, null clears."""
    merged = dict(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif key in _TIME_FIELDS and isinstance(value, dict):
            base = dict(merged.get(key) or {})
            if "date" in value:
                base.pop("dateTime", None)
            if "dateTime" in value:
                base.pop("date", None)
            merged[key] = _merge(base, value)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _instance_resource(
    series: dict[str, Any], instance_id: str, original_start: dict[str, Any]
) -> dict[str, Any]:
    resource = {k: copy.deepcopy(v) for k, v in series.items() if k != "recurrence"}
    resource["id"] = instance_id
    resource["recurringEventId"] = series["id"]
    resource["originalStartTime"] = dict(original_start)
    resource["start"] = dict(original_start)
    resource["htmlLink"] = _html_link(instance_id, str(series["organizer"]["email"]))
    return resource


def _html_link(event_id: str, calendar_id: str) -> str:
    eid = base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
    return f"https://www.google.com/calendar/event?eid={eid}"


def _check_query(query: EventQuery) -> None:
    if query.max_results < 1:
        raise invalid(f"Invalid value '{query.max_results}'. Values must be at least 1.")
    if query.order_by == "startTime" and not query.single_events:
        raise invalid("The requested ordering is not available for the particular query.")
    if query.time_min and query.time_max and query.time_min >= query.time_max:
        raise ApiError(400, "timeRangeEmpty", location="timeMax")


def _matches(row: _Row, query: EventQuery, zone: ZoneInfo) -> bool:
    resource = row.resource
    if (
        (query.time_min or query.time_max)
        and resource.get("start")
        and not resource.get("recurrence")
    ):
        begins = _when(resource["start"]).start_of(zone)
        ends = parse_when(resource["end"], "end").start_of(zone)
        if query.time_max and begins >= query.time_max:
            return False
        if query.time_min and ends <= query.time_min:
            return False
    if query.q:
        text = " ".join(str(resource.get(k, "")) for k in ("summary", "description", "location"))
        if query.q.lower() not in text.lower():
            return False
    if query.ical_uid and resource.get("iCalUID") != query.ical_uid:
        return False
    extended = resource.get("extendedProperties") or {}
    for scope, wanted in (
        ("private", query.private_properties),
        ("shared", query.shared_properties),
    ):
        held = extended.get(scope) or {}
        for pair in wanted:
            name, _, value = pair.partition("=")
            if held.get(name) != value:
                return False
    return True


def _original_start_matches(resource: dict[str, Any], wanted: str) -> bool:
    original = resource.get("originalStartTime") or {}
    if original.get("date"):
        return bool(original["date"] == wanted)
    try:
        return _when(original).start_of(ZoneInfo("UTC")) == datetime.fromisoformat(wanted)
    except (ApiError, ValueError):
        return False
