"""Google Calendar API v3 routes under /calendar/v3, as googleapiclient calls them.

The gate (`gate.py`) has already checked the access token and the quota; each route checks the
token's scopes against the method's, then asks the store. Query parameters are parsed by hand so
that a bad value gets Google's error, not FastAPI's.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from emulators.google.api_errors import ApiError, insufficient_scopes, invalid
from emulators.google.calendar_state import (
    DEFAULT_PAGE_SIZE,
    Calendar,
    CalendarStore,
    EventQuery,
    EventsPage,
    ListEntry,
)
from emulators.google.event_time import format_updated, parse_rfc3339, zone_or_none
from emulators.google.gate import TOKEN_KEY
from emulators.google.push import DEFAULT_TTL_SECONDS, MAX_TTL_SECONDS, Channel, PushNotifier
from emulators.google.state import AccessToken

_AUTH = "https://www.googleapis.com/auth/"


def _scopes(*names: str) -> frozenset[str]:
    return frozenset(_AUTH + name for name in names)


# Per method, from the scopes the Calendar discovery document lists.
EVENT_READ_SCOPES = _scopes(
    "calendar",
    "calendar.app.created",
    "calendar.events",
    "calendar.events.freebusy",
    "calendar.events.owned",
    "calendar.events.owned.readonly",
    "calendar.events.public.readonly",
    "calendar.events.readonly",
    "calendar.readonly",
)
EVENT_WRITE_SCOPES = _scopes(
    "calendar", "calendar.app.created", "calendar.events", "calendar.events.owned"
)
CALENDAR_LIST_SCOPES = _scopes(
    "calendar", "calendar.calendarlist", "calendar.calendarlist.readonly", "calendar.readonly"
)
CALENDAR_GET_SCOPES = _scopes(
    "calendar",
    "calendar.app.created",
    "calendar.calendars",
    "calendar.calendars.readonly",
    "calendar.readonly",
)
CHANNEL_STOP_SCOPES = EVENT_READ_SCOPES | CALENDAR_LIST_SCOPES

_COLORS = {"14": ("#9fe1e7", "#000000"), "9": ("#7bd148", "#000000")}


async def json_body(request: Request) -> Any:
    """The request's JSON body, or Google's parse error."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(400, "parseError", "Parse Error") from None


JsonBody = Annotated[Any, Depends(json_body)]


def build_router(
    store: CalendarStore, notifier: PushNotifier, issuer: Callable[[], str]
) -> APIRouter:
    router = APIRouter(prefix="/calendar/v3")

    def caller(request: Request, allowed: frozenset[str], method: str) -> AccessToken:
        token: AccessToken | None = request.scope.get(TOKEN_KEY)
        if token is None:  # the gate guards every path under /calendar/v3
            raise ApiError(401, "authError")
        if not allowed.intersection(token.scopes):
            raise insufficient_scopes(method, sorted(allowed))
        return token

    def calendar_of(token: AccessToken, calendar_id: str) -> tuple[Calendar, ListEntry]:
        return store.calendar_for(token.email, calendar_id)

    @router.get("/users/me/calendarList")
    def calendar_list(request: Request) -> dict[str, Any]:
        token = caller(request, CALENDAR_LIST_SCOPES, "calendar.v3.CalendarList.List")
        params = request.query_params
        max_results = min(_int(params.get("maxResults"), 100, "maxResults"), 250)
        minimum = params.get("minAccessRole")
        order = ("freeBusyReader", "reader", "writer", "owner")
        if minimum is not None and minimum not in order:
            raise invalid(f"Invalid value for minAccessRole: {minimum}", "minAccessRole")
        entries = [
            (calendar, entry)
            for calendar, entry in store.entries(token.email)
            if minimum is None or order.index(entry.access_role) >= order.index(minimum)
        ]
        start = _int(params.get("pageToken"), 0, "pageToken") if params.get("pageToken") else 0
        chosen = entries[start : start + max_results]
        answer: dict[str, Any] = {
            "kind": "calendar#calendarList",
            "etag": _collection_etag(f"{token.email}:{len(entries)}:{store.seq}"),
            "items": [_list_entry(calendar, entry) for calendar, entry in chosen],
        }
        if start + max_results < len(entries):
            answer["nextPageToken"] = str(start + max_results)
        else:
            answer["nextSyncToken"] = secrets.token_urlsafe(24)
        return answer

    @router.get("/users/me/calendarList/{calendar_id}")
    def calendar_list_get(calendar_id: str, request: Request) -> dict[str, Any]:
        token = caller(request, CALENDAR_LIST_SCOPES, "calendar.v3.CalendarList.Get")
        return _list_entry(*calendar_of(token, calendar_id))

    @router.get("/calendars/{calendar_id}")
    def calendars_get(calendar_id: str, request: Request) -> dict[str, Any]:
        token = caller(request, CALENDAR_GET_SCOPES, "calendar.v3.Calendars.Get")
        calendar, _ = calendar_of(token, calendar_id)
        answer: dict[str, Any] = {
            "kind": "calendar#calendar",
            "etag": f'"{calendar.updated_us}"',
            "id": calendar.id,
            "summary": calendar.summary,
            "timeZone": calendar.time_zone,
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }
        if calendar.description:
            answer["description"] = calendar.description
        return answer

    @router.get("/calendars/{calendar_id}/events")
    def events_list(calendar_id: str, request: Request) -> JSONResponse:
        token = caller(request, EVENT_READ_SCOPES, "calendar.v3.Events.List")
        calendar, entry = calendar_of(token, calendar_id)
        zone = _response_zone(request, calendar)
        page = store.list_events(calendar, _event_query(request), zone)
        # Already plain JSON: answered as is, not walked again by FastAPI's encoder per item.
        return JSONResponse(_events_answer(calendar, entry, page, zone))

    # The calls a batch carries are `async def`: in-memory work under the store's lock, run on
    # the loop, so that the 50 parts of a batch are not each handed to a worker thread and back.
    @router.post("/calendars/{calendar_id}/events")
    async def events_insert(calendar_id: str, request: Request, body: JsonBody) -> JSONResponse:
        token = caller(request, EVENT_WRITE_SCOPES, "calendar.v3.Events.Insert")
        calendar, entry = calendar_of(token, calendar_id)
        _send_updates(request)
        stored = store.insert(calendar, entry, body, actor=token.email)
        return _event_answer(store, calendar, stored.resource, _response_zone(request, calendar))

    @router.post("/calendars/{calendar_id}/events/watch")
    def events_watch(calendar_id: str, request: Request, body: JsonBody) -> dict[str, Any]:
        token = caller(request, EVENT_READ_SCOPES, "calendar.v3.Events.Watch")
        calendar, _ = calendar_of(token, calendar_id)
        channel = notifier.watch(_channel(body, calendar, token, issuer()))
        if channel is None:
            raise ApiError(400, "channelIdNotUnique", f"Channel id {body['id']} not unique")
        return channel.describe()

    @router.get("/calendars/{calendar_id}/events/{event_id}")
    async def events_get(calendar_id: str, event_id: str, request: Request) -> Response:
        token = caller(request, EVENT_READ_SCOPES, "calendar.v3.Events.Get")
        calendar, _ = calendar_of(token, calendar_id)
        resource, _ = store.get(calendar, event_id)
        if_none_match = request.headers.get("if-none-match")
        if if_none_match and if_none_match.strip() == resource.get("etag"):
            return Response(status_code=304, headers={"ETag": str(resource["etag"])})
        return _event_answer(store, calendar, resource, _response_zone(request, calendar))

    @router.get("/calendars/{calendar_id}/events/{event_id}/instances")
    def events_instances(calendar_id: str, event_id: str, request: Request) -> dict[str, Any]:
        token = caller(request, EVENT_READ_SCOPES, "calendar.v3.Events.Instances")
        calendar, entry = calendar_of(token, calendar_id)
        zone = _response_zone(request, calendar)
        query = _event_query(request)
        query.single_events = True
        page = store.instances(calendar, event_id, query, zone)
        return _events_answer(calendar, entry, page, zone)

    def write(
        calendar_id: str, event_id: str, request: Request, body: Any, *, patch: bool
    ) -> JSONResponse:
        method = "calendar.v3.Events.Patch" if patch else "calendar.v3.Events.Update"
        token = caller(request, EVENT_WRITE_SCOPES, method)
        calendar, entry = calendar_of(token, calendar_id)
        _send_updates(request)
        stored = store.update(
            calendar,
            entry,
            event_id,
            body,
            if_match=request.headers.get("if-match"),
            patch=patch,
        )
        return _event_answer(store, calendar, stored.resource, _response_zone(request, calendar))

    @router.put("/calendars/{calendar_id}/events/{event_id}")
    async def events_update(
        calendar_id: str, event_id: str, request: Request, body: JsonBody
    ) -> JSONResponse:
        return write(calendar_id, event_id, request, body, patch=False)

    @router.patch("/calendars/{calendar_id}/events/{event_id}")
    async def events_patch(
        calendar_id: str, event_id: str, request: Request, body: JsonBody
    ) -> JSONResponse:
        return write(calendar_id, event_id, request, body, patch=True)

    @router.delete("/calendars/{calendar_id}/events/{event_id}")
    async def events_delete(calendar_id: str, event_id: str, request: Request) -> Response:
        token = caller(request, EVENT_WRITE_SCOPES, "calendar.v3.Events.Delete")
        calendar, entry = calendar_of(token, calendar_id)
        _send_updates(request)
        store.delete(calendar, entry, event_id, if_match=request.headers.get("if-match"))
        return Response(status_code=204)

    @router.post("/channels/stop")
    def channels_stop(request: Request, body: JsonBody) -> Response:
        caller(request, CHANNEL_STOP_SCOPES, "calendar.v3.Channels.Stop")
        if not isinstance(body, dict) or not body.get("id") or not body.get("resourceId"):
            raise ApiError(400, "required", "Required", location="resourceId")
        if not notifier.stop(str(body["id"]), str(body["resourceId"])):
            raise ApiError(
                404, "notFound", f"Channel '{body['id']}' not found for project '123456789012'"
            )
        return Response(status_code=204)

    return router


def _int(raw: str | None, default: int, name: str) -> int:
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid(f"Invalid value '{raw}'. Values must match the format: int", name) from None


def _bool(raw: str | None, name: str) -> bool | None:
    if raw is None:
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise invalid(f"Invalid value '{raw}'. Values must be true or false.", name)


def _event_query(request: Request) -> EventQuery:
    params = request.query_params
    order_by = params.get("orderBy")
    if order_by is not None and order_by not in ("startTime", "updated"):
        raise invalid(f"Invalid value for orderBy: {order_by}", "orderBy")

    def moment(name: str) -> Any:
        raw = params.get(name)
        return parse_rfc3339(raw, name) if raw else None

    return EventQuery(
        max_results=_int(params.get("maxResults"), DEFAULT_PAGE_SIZE, "maxResults"),
        page_token=params.get("pageToken") or None,
        sync_token=params.get("syncToken") or None,
        show_deleted=_bool(params.get("showDeleted"), "showDeleted"),
        single_events=bool(_bool(params.get("singleEvents"), "singleEvents")),
        time_min=moment("timeMin"),
        time_max=moment("timeMax"),
        order_by=order_by,
        updated_min=moment("updatedMin"),
        q=params.get("q") or None,
        ical_uid=params.get("iCalUID") or None,
        private_properties=params.getlist("privateExtendedProperty"),
        shared_properties=params.getlist("sharedExtendedProperty"),
        original_start=params.get("originalStart") or None,
    )


def _response_zone(request: Request, calendar: Calendar) -> ZoneInfo:
    name = request.query_params.get("timeZone")
    if not name:
        return calendar.zone
    zone = zone_or_none(name)
    if zone is None:
        raise invalid("Invalid time zone definition.", "timeZone")
    return zone


def _send_updates(request: Request) -> None:
    value = request.query_params.get("sendUpdates")
    if value is not None and value not in ("all", "externalOnly", "none"):
        raise invalid(f"Invalid value for sendUpdates: {value}", "sendUpdates")


def _collection_etag(seed: str) -> str:
    return '"' + hashlib.sha256(seed.encode()).hexdigest()[:16] + '"'


def _list_entry(calendar: Calendar, entry: ListEntry) -> dict[str, Any]:
    background, foreground = _COLORS.get(entry.color_id, _COLORS["14"])
    answer: dict[str, Any] = {
        "kind": "calendar#calendarListEntry",
        "etag": f'"{calendar.updated_us}"',
        "id": calendar.id,
        "summary": calendar.summary,
        "timeZone": calendar.time_zone,
        "colorId": entry.color_id,
        "backgroundColor": background,
        "foregroundColor": foreground,
        "selected": True,
        "accessRole": entry.access_role,
        "defaultReminders": [{"method": "popup", "minutes": 10}] if entry.primary else [],
        "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
    }
    if calendar.description:
        answer["description"] = calendar.description
    if entry.primary:
        answer["primary"] = True
    return answer


def _events_answer(
    calendar: Calendar, entry: ListEntry, page: EventsPage, zone: ZoneInfo
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "kind": "calendar#events",
        "etag": f'"p{calendar.updated_us}"',
        "summary": calendar.summary,
        "description": calendar.description,
        "updated": format_updated(calendar.updated_us),
        "timeZone": zone.key,
        "accessRole": entry.access_role,
        "defaultReminders": [{"method": "popup", "minutes": 10}] if entry.primary else [],
    }
    if page.next_page_token:
        answer["nextPageToken"] = page.next_page_token
    if page.next_sync_token:
        answer["nextSyncToken"] = page.next_sync_token
    answer["items"] = page.items
    return answer


def _event_answer(
    store: CalendarStore, calendar: Calendar, resource: dict[str, Any], zone: ZoneInfo
) -> JSONResponse:
    with store.lock:
        rendered = store.render(calendar, resource, zone)
    return JSONResponse(rendered, headers={"ETag": str(rendered["etag"])})


def _channel(body: Any, calendar: Calendar, token: AccessToken, base: str) -> Channel:
    """A web_hook channel from an events.watch body; Google's 400s for bad ones."""
    if not isinstance(body, dict) or not body.get("id"):
        raise ApiError(400, "required", "Required", location="id")
    if body.get("type") not in ("web_hook", "webhook"):
        raise invalid(f"Invalid value for type: {body.get('type')}", "type")
    address = str(body.get("address") or "")
    if not address.startswith(("https://", "http://")):
        raise ApiError(400, "push.webhookUrlNotHttps", f"WebHook callback must be HTTPS: {address}")
    channel_id = str(body["id"])
    raw_params = body.get("params")
    params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
    ttl = _int(
        str(params.get("ttl")) if params.get("ttl") is not None else None,
        DEFAULT_TTL_SECONDS,
        "params.ttl",
    )
    now_ms = time.time_ns() // 1_000_000
    expiration_ms = now_ms + min(max(ttl, 1), MAX_TTL_SECONDS) * 1000
    if body.get("expiration"):
        asked = _int(str(body["expiration"]), expiration_ms, "expiration")
        expiration_ms = min(asked, now_ms + MAX_TTL_SECONDS * 1000)
    resource_id = hashlib.sha256(f"events:{calendar.id}".encode()).hexdigest()[:27]
    return Channel(
        id=channel_id,
        resource_id=resource_id,
        resource_uri=f"{base}/calendar/v3/calendars/{quote(calendar.id, safe='')}/events?alt=json",
        calendar_id=calendar.id,
        email=token.email,
        address=address,
        token=str(body["token"]) if body.get("token") is not None else None,
        expiration_ms=expiration_ms,
    )
