"""The Calendar half of the control API (/_emulator/...), for tests and the demo.

Seed calendars and events, change events "from Google's side" (which bumps etag and `updated`
and notifies watch channels), expire sync tokens, make pages short or empty, inject faults into
the next matching API calls or push notifications, set the per-user quota, and read the request
log. None of it needs a token; all of it is loopback-only by the emulator's nature.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from emulators.google.api_errors import ApiError
from emulators.google.calendar_state import CalendarStore, ListEntry, PagingQuirks
from emulators.google.gate import Fault, FaultKind, Gate
from emulators.google.push import PushFaultKind, PushNotifier


class CalendarIn(BaseModel):
    email: str
    id: str | None = None
    summary: str = ""
    timeZone: str | None = None  # noqa: N815 - Google's field name
    description: str | None = None
    accessRole: Literal["freeBusyReader", "reader", "writer", "owner"] = "owner"  # noqa: N815


class SeedIn(BaseModel):
    email: str
    calendarId: str = "primary"  # noqa: N815
    events: list[dict[str, Any]] = Field(default_factory=list)
    generate: int = Field(0, ge=0, le=1_000_000)
    generateStart: datetime | None = None  # noqa: N815


class EventIn(BaseModel):
    email: str
    calendarId: str = "primary"  # noqa: N815
    event: dict[str, Any]


class EventChangeIn(BaseModel):
    email: str
    calendarId: str = "primary"  # noqa: N815
    changes: dict[str, Any]


class CalendarRefIn(BaseModel):
    email: str
    calendarId: str = "primary"  # noqa: N815


class FaultIn(BaseModel):
    kind: FaultKind = "error"
    times: int = Field(1, ge=1)
    status: int = Field(500, ge=400, le=599)
    reason: str | None = None
    message: str | None = None
    retryAfter: int | None = None  # noqa: N815
    seconds: float = Field(0.0, ge=0, le=120)
    method: str | None = None
    path: str | None = None
    email: str | None = None


class PushFaultIn(BaseModel):
    kind: PushFaultKind
    times: int = Field(1, ge=1)
    seconds: float = Field(0.0, ge=0, le=120)
    channelId: str | None = None  # noqa: N815


class QuotaIn(BaseModel):
    perMinute: int = Field(ge=0)  # noqa: N815
    email: str | None = None


class PagingIn(BaseModel):
    maxItemsPerPage: int | None = Field(None, ge=1)  # noqa: N815
    emptyPages: int = Field(0, ge=0)  # noqa: N815


class ChannelRefIn(BaseModel):
    channelId: str  # noqa: N815


def build_control_router(store: CalendarStore, gate: Gate, notifier: PushNotifier) -> APIRouter:
    router = APIRouter(prefix="/_emulator")

    def entry_for(email: str, calendar_id: str) -> tuple[Any, ListEntry]:
        email = email.strip().lower()
        try:
            calendar, entry = store.calendar_for(email, calendar_id)
        except ApiError:
            raise HTTPException(404, f"{email} has no calendar {calendar_id}") from None
        # Google's side acts as the calendar's owner, whatever role the account holds.
        return calendar, ListEntry(calendar.id, "owner", entry.primary, entry.seq)

    def control_error(failure: ApiError) -> JSONResponse:
        return JSONResponse(failure.body(), status_code=failure.status)

    @router.post("/calendar/calendars")
    def add_calendar(body: CalendarIn) -> dict[str, Any]:
        """Create a calendar for an account, or share one with it under `accessRole`."""
        try:
            calendar = store.add_calendar(
                body.email.strip().lower(),
                calendar_id=body.id,
                summary=body.summary,
                time_zone=body.timeZone,
                description=body.description,
                access_role=body.accessRole,
            )
        except ValueError as refused:
            raise HTTPException(400, str(refused)) from None
        return {"id": calendar.id, "summary": calendar.summary, "timeZone": calendar.time_zone}

    @router.post("/calendar/seed", response_model=None)
    def seed(body: SeedIn) -> dict[str, Any] | JSONResponse:
        """Put events in a calendar without notifying anyone: the world before the test."""
        calendar, entry = entry_for(body.email, body.calendarId)
        owner = body.email.strip().lower()
        created: list[str] = []
        try:
            with store.lock:
                for event in body.events:
                    created.append(
                        store.insert(calendar, entry, event, actor=owner, notify=False).id
                    )
                start = body.generateStart or datetime(2026, 1, 5, 8, tzinfo=UTC)
                for number in range(body.generate):
                    begins = start + timedelta(hours=number)
                    generated = {
                        "summary": f"Session {number + 1}",
                        "start": {"dateTime": begins.isoformat()},
                        "end": {"dateTime": (begins + timedelta(hours=1)).isoformat()},
                    }
                    created.append(
                        store.insert(calendar, entry, generated, actor=owner, notify=False).id
                    )
        except ApiError as failure:
            return control_error(failure)
        return {"calendarId": calendar.id, "created": len(created), "ids": created[:1000]}

    @router.get("/calendar/events")
    def stored_events(email: str, calendarId: str = "primary") -> dict[str, Any]:  # noqa: N803
        """Everything Google holds for a calendar, deleted events included, as Google renders it."""
        calendar, _ = entry_for(email, calendarId)
        with store.lock:
            items = [
                store.render(calendar, stored.resource, calendar.zone)
                for stored in calendar.events.values()
            ]
        return {"calendarId": calendar.id, "items": items}

    @router.post("/calendar/events", response_model=None)
    def create_event(body: EventIn) -> dict[str, Any] | JSONResponse:
        """Someone created an event in Google Calendar; watch channels hear of it."""
        calendar, entry = entry_for(body.email, body.calendarId)
        try:
            stored = store.insert(calendar, entry, body.event, actor=body.email.strip().lower())
        except ApiError as failure:
            return control_error(failure)
        with store.lock:
            return store.render(calendar, stored.resource, calendar.zone)

    @router.patch("/calendar/events/{event_id}", response_model=None)
    def change_event(event_id: str, body: EventChangeIn) -> dict[str, Any] | JSONResponse:
        """Someone edited an event (or one instance of a series) in Google Calendar."""
        calendar, entry = entry_for(body.email, body.calendarId)
        try:
            stored = store.update(
                calendar, entry, event_id, body.changes, if_match=None, patch=True
            )
        except ApiError as failure:
            return control_error(failure)
        with store.lock:
            return store.render(calendar, stored.resource, calendar.zone)

    @router.delete("/calendar/events/{event_id}", response_model=None)
    def delete_event(
        event_id: str,
        email: str,
        calendarId: str = "primary",  # noqa: N803
    ) -> Response:
        """Someone deleted an event (or one instance of a series) in Google Calendar."""
        calendar, entry = entry_for(email, calendarId)
        try:
            store.delete(calendar, entry, event_id, if_match=None)
        except ApiError as failure:
            return control_error(failure)
        return Response(status_code=204)

    @router.post("/calendar/expire-sync-tokens")
    def expire_sync_tokens(body: CalendarRefIn) -> dict[str, str]:
        """Every sync token of the calendar answers 410 fullSyncRequired from now on."""
        calendar, _ = entry_for(body.email, body.calendarId)
        store.expire_sync_tokens(calendar)
        return {"calendarId": calendar.id}

    @router.post("/calendar/paging")
    def paging(body: PagingIn) -> dict[str, Any]:
        """Cap every page at `maxItemsPerPage`; answer the next `emptyPages` pages empty."""
        with store.lock:
            store.paging = PagingQuirks(body.maxItemsPerPage, body.emptyPages)
        return body.model_dump()

    @router.post("/faults")
    def add_fault(body: FaultIn) -> dict[str, Any]:
        """Answer the next `times` API calls matching method, path regex and account.

        kind "error": `status` with `reason` (Google's message for it unless `message`),
        `retryAfter` seconds in a Retry-After header. kind "delay": wait `seconds`, then answer
        normally. kind "drop": close the connection without answering (not inside a batch).
        """
        try:
            pattern = re.compile(body.path) if body.path else None
        except re.error as bad:
            raise HTTPException(400, f"path is not a regular expression: {bad}") from None
        gate.add_fault(
            Fault(
                kind=body.kind,
                remaining=body.times,
                status=body.status,
                reason=body.reason,
                message=body.message,
                retry_after=body.retryAfter,
                seconds=body.seconds,
                method=body.method,
                path=pattern,
                email=body.email.strip().lower() if body.email else None,
            )
        )
        return {"pending": len(gate.faults)}

    @router.delete("/faults")
    def clear_faults() -> dict[str, int]:
        with gate.lock:
            gate.faults.clear()
        notifier.clear_faults()
        return {"pending": 0}

    @router.post("/quota")
    def quota(body: QuotaIn) -> dict[str, Any]:
        """Requests a minute per account (Google: 600); for one account or the default."""
        gate.set_quota(body.perMinute, body.email.strip().lower() if body.email else None)
        return body.model_dump()

    @router.get("/requests")
    def requests(email: str | None = None) -> dict[str, Any]:
        """API calls seen, per account: HTTP requests (a batch is one) and API calls."""
        return gate.summary(email.strip().lower() if email else None)

    @router.delete("/requests")
    def clear_requests() -> dict[str, bool]:
        gate.clear_log()
        return {"ok": True}

    @router.post("/push/faults")
    def push_fault(body: PushFaultIn) -> dict[str, Any]:
        """The next `times` notifications: dropped, sent twice, held `seconds`, or (reorder)
        held until `times` of them are queued and then sent newest first. `channelId` limits
        the fault to one channel."""
        notifier.add_fault(body.kind, body.times, body.seconds, body.channelId)
        return body.model_dump()

    @router.get("/push/channels")
    def channels(email: str | None = None) -> dict[str, Any]:
        with store.lock:
            listed = [
                {**c.describe(), "address": c.address, "stopped": c.stopped, "email": c.email}
                for c in list(notifier.channels.values())
                if email is None or c.email == email.strip().lower()
            ]
        return {"channels": listed}

    @router.post("/push/expire")
    def expire_channel(body: ChannelRefIn) -> dict[str, bool]:
        """As if the channel's expiration had passed: no more notifications."""
        if not notifier.expire(body.channelId):
            raise HTTPException(404, f"no channel {body.channelId}")
        return {"expired": True}

    @router.get("/push/deliveries")
    def deliveries(channelId: str | None = None) -> dict[str, Any]:  # noqa: N803
        records = [r for r in list(notifier.log) if channelId is None or r.channel_id == channelId]
        return {
            "deliveries": [
                {
                    "channelId": r.channel_id,
                    "messageNumber": r.message_number,
                    "state": r.state,
                    "statusCode": r.status_code,
                    "error": r.error,
                }
                for r in records
            ]
        }

    return router
