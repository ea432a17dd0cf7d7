"""The first full listing into a calendar the store holds nothing of skips looking up held events
(sync._store_page): what it stores must be what the looked-up path stores, even when Google lists
an event a second time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from limits import RateLimitItemPerMinute
from sqlmodel import select

from db.models import (
    GoogleCalendarSyncSettings,
    IntegrationCredential,
    IntegrationLog,
    SyncRun,
    SyncTrigger,
)
from db.models import Trainer as TrainerRow
from integrations.core.ratelimit import RateLimiter
from integrations.core.retry import RetryPolicy
from integrations.google_calendar import sync
from integrations.google_calendar.events import GoogleEvent
from tests.support.google_world import Trainer

START = datetime(2030, 3, 12, 6, 0, tzinfo=UTC)


def _listing_context(trainer: Trainer) -> sync.SyncContext:
    """What sync_google_calendar builds before its first page, for this trainer's calendar."""
    session = trainer.session
    run = SyncRun(trainer_id=trainer.id, trigger=SyncTrigger.MANUAL, calendar_id="primary")
    session.add(run)
    session.commit()
    trainer_row = session.get(TrainerRow, trainer.id)
    assert trainer_row is not None
    return sync.SyncContext(
        session=session,
        settings=trainer.world.settings,
        trainer=trainer_row,
        credential=session.exec(
            select(IntegrationCredential).where(IntegrationCredential.trainer_id == trainer.id)
        ).one(),
        sync_settings=GoogleCalendarSyncSettings(trainer_id=trainer.id),
        run=run,
        service=None,  # no request is made: the pages are handed in
        limiter=RateLimiter(RateLimitItemPerMinute(100)),
        retry=RetryPolicy(),
        account=trainer.email,
    )


def _event(event_id: str, summary: str, etag: str, hours: int) -> GoogleEvent:
    start = START + timedelta(hours=hours)
    item: dict[str, Any] = {
        "id": event_id,
        "etag": etag,
        "status": "confirmed",
        "summary": summary,
        "updated": "2030-03-01T10:00:00.000Z",
        "start": {"dateTime": start.isoformat(), "timeZone": "Asia/Jerusalem"},
        "end": {"dateTime": (start + timedelta(hours=1)).isoformat(), "timeZone": "Asia/Jerusalem"},
    }
    return GoogleEvent(item)


def test_an_event_listed_again_on_a_later_page_of_the_first_sync_is_held_once(
    trainer: Trainer,
) -> None:
    """The first listing of an empty calendar does not look up held events; an event Google
    lists again on a later page updates the row the first page wrote, not a skipped duplicate."""
    context = _listing_context(trainer)
    sync._begin_listing(context, "primary", full=True)
    assert context.held_none

    sync._store_page(
        context,
        "primary",
        [_event("yoga1", "Yoga", '"1"', 0), _event("pilates1", "Pilates", '"1"', 2)],
    )
    sync._store_page(
        context,
        "primary",
        [_event("yoga1", "Yoga (moved)", '"2"', 4), _event("spin1", "Spin", '"1"', 6)],
    )

    held = {event.google_event_id: event for event in trainer.local()}
    assert {key: event.title for key, event in held.items()} == {
        "yoga1": "Yoga (moved)",
        "pilates1": "Pilates",
        "spin1": "Spin",
    }
    assert held["yoga1"].start_at == START + timedelta(hours=4)
    assert (context.run.created, context.run.updated) == (3, 1)
    skipped = trainer.session.exec(
        select(IntegrationLog).where(IntegrationLog.event == "google_event_skipped")
    ).all()
    assert skipped == []


def test_a_full_listing_of_a_calendar_already_held_looks_its_events_up(trainer: Trainer) -> None:
    """Once the store holds the calendar (a 410's full listing, a second full sync), every
    page looks up what is held, so a listed event updates its row."""
    context = _listing_context(trainer)
    sync._begin_listing(context, "primary", full=True)
    sync._store_page(context, "primary", [_event("yoga1", "Yoga", '"1"', 0)])

    sync._begin_listing(context, "primary", full=True)
    assert not context.held_none
    sync._store_page(context, "primary", [_event("yoga1", "Yoga (renamed)", '"2"', 0)])
    assert [event.title for event in trainer.local()] == ["Yoga (renamed)"]

    sync._begin_listing(context, "primary", full=False)
    assert context.listing is None and not context.held_none
