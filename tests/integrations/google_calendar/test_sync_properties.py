"""Property: whatever happens on either side, in whatever order, the two calendars end up equal.

Random interleavings of sessions created, changed and deleted in the CRM, events created,
changed and deleted in Google (through the emulator's control API), syncs, repeated webhooks,
transient faults (503, 429 with Retry-After, dropped connections) and expired sync tokens end,
once the faults clear and two quiet syncs have run, with:

- both sides equal: the same live events, with the same titles and the same start and end
  (instants for timed events, dates for all-day ones);
- no duplicates: no two local sessions linked to one Google event, no two Google events
  carrying one `newym_event_id`;
- nothing lost: every event's final state is the version written by the most recent change
  to it, on either side (a deletion is a change), which is the engine's documented rule
  (`_local_wins`: the later of the CRM's `updated_at` and Google's `updated` wins). One
  deliberate exception: a Google deletion the engine learns of only from a full list (after a
  410) carries no time, so a session changed in the CRM and not yet pushed survives it
  (`_reconcile_after_full_list`);
- and a further sync changes nothing.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from db.models import CalendarEvent, CalendarSyncState, Role, SyncRun, SyncTrigger
from integrations import accounts, sessions
from integrations.google_calendar import channels
from integrations.google_calendar.events import PRIVATE_EVENT_ID
from tests.integrations.google_calendar.conftest import GoogleWorld
from tests.integrations.google_calendar.test_sync import Trainer

JERUSALEM = ZoneInfo("Asia/Jerusalem")
#: Late March next year: the days around the switch to summer time in Israel and Europe.
BASE_DAY = date(datetime.now(UTC).year + 1, 3, 20)
MAX_STEPS = 18
#: Examples per run; SYNC_PROPERTY_EXAMPLES=500 looks harder (locally, minutes).
EXAMPLES = int(os.environ.get("SYNC_PROPERTY_EXAMPLES", "25"))
#: Google's `updated` has milliseconds; keep user actions further apart than that, so that the
#: engine's "most recent wins" and the order the steps ran in are the same thing.
ACTION_GAP = 0.002

_accounts = itertools.count(1)

Instant = datetime | date


@dataclass(frozen=True)
class Shape:
    """What a person compares: the title and when (instants, or dates for all-day events)."""

    title: str
    start: Instant
    end: Instant


def google_shape(event: dict[str, Any]) -> Shape:
    def when(value: dict[str, Any]) -> Instant:
        if "date" in value:
            return date.fromisoformat(value["date"])
        parsed = datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))
        assert parsed.tzinfo is not None, value
        return parsed.astimezone(UTC)

    return Shape(str(event.get("summary")), when(event["start"]), when(event["end"]))


def local_shape(event: CalendarEvent) -> Shape:
    if event.all_day:
        zone = ZoneInfo(event.timezone)
        return Shape(
            event.title,
            event.start_at.astimezone(zone).date(),
            event.end_at.astimezone(zone).date(),
        )
    return Shape(event.title, event.start_at.astimezone(UTC), event.end_at.astimezone(UTC))


# --- Steps ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class When:
    """A new event's time: a day after BASE_DAY, an hour and a length (days when all-day)."""

    day: int
    hour: int
    length: int
    all_day: bool
    zone: str | None = "Asia/Jerusalem"


@dataclass(frozen=True)
class Change:
    """Which event (by position among the live ones) and how: a new title, a move, a stretch."""

    pick: int
    retitle: bool
    shift: int
    stretch: int


@dataclass(frozen=True)
class CrmCreate:
    when: When


@dataclass(frozen=True)
class CrmChange:
    change: Change


@dataclass(frozen=True)
class CrmDelete:
    pick: int


@dataclass(frozen=True)
class GoogleCreate:
    when: When


@dataclass(frozen=True)
class GoogleChange:
    change: Change


@dataclass(frozen=True)
class GoogleDelete:
    pick: int


@dataclass(frozen=True)
class Sync:
    times: int = 1


@dataclass(frozen=True)
class Webhook:
    """Google notifies the channel; `repeats` more deliveries of the same message follow."""

    repeats: int


@dataclass(frozen=True)
class Fault:
    """The next `times` matching calls to Google fail this way (`method` None: any call)."""

    kind: str
    times: int
    method: str | None


@dataclass(frozen=True)
class ExpireSyncTokens:
    pass


Step = (
    CrmCreate
    | CrmChange
    | CrmDelete
    | GoogleCreate
    | GoogleChange
    | GoogleDelete
    | Sync
    | Webhook
    | Fault
    | ExpireSyncTokens
)

whens = st.builds(
    When,
    day=st.integers(0, 12),
    hour=st.integers(5, 21),
    length=st.integers(1, 3),
    all_day=st.booleans(),
    zone=st.sampled_from(["Asia/Jerusalem", "Europe/London", None]),
)
changes = st.builds(
    Change,
    pick=st.integers(0, 7),
    retitle=st.booleans(),
    shift=st.integers(-2, 2),
    stretch=st.integers(-1, 1),
)
steps = st.one_of(
    st.builds(CrmCreate, whens),
    st.builds(CrmChange, changes),
    st.builds(CrmDelete, st.integers(0, 7)),
    st.builds(GoogleCreate, whens),
    st.builds(GoogleChange, changes),
    st.builds(GoogleDelete, st.integers(0, 7)),
    st.builds(Sync, st.integers(1, 2)),
    st.builds(Webhook, st.integers(0, 2)),
    st.builds(
        Fault,
        kind=st.sampled_from(["503", "429", "drop"]),
        times=st.integers(1, 6),
        method=st.sampled_from([None, "GET", "POST", "PATCH", "DELETE"]),
    ),
    st.just(ExpireSyncTokens()),
)


# --- The world of one example -----------------------------------------------------------------


def _title(number: int, retitle: bool = False) -> str:
    return f"{'Moved' if retitle else 'Session'} {number} – אימון"


@dataclass
class Model:
    """What should be true at the end: each event's latest version, or None once deleted.

    An event is known by a key: the CRM id of a session made in the CRM, the Google id of an
    event made in Google. `aliases` maps every id the event is seen under to its key.
    """

    expected: dict[str, Shape | None] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)

    def new(self, key: str, shape: Shape, note: str) -> None:
        self.aliases[key] = key
        self.order[key] = len(self.order)
        self.set(key, shape, note)

    def set(self, key: str, shape: Shape | None, note: str) -> None:
        self.expected[key] = shape
        self.history.append(f"{note}: {key[:8]} -> {shape}")

    def key_of_local(self, event: CalendarEvent) -> str | None:
        key = self.aliases.get(event.id)
        if key is None and event.google_event_id:
            key = self.aliases.get(event.google_event_id)
        if key is not None:
            self.aliases.setdefault(event.id, key)
        return key

    def key_of_google(self, event: dict[str, Any]) -> str | None:
        key = self.aliases.get(event["id"])
        private = (event.get("extendedProperties") or {}).get("private") or {}
        if key is None and private.get(PRIVATE_EVENT_ID):
            key = self.aliases.get(private[PRIVATE_EVENT_ID])
        if key is not None:
            self.aliases.setdefault(event["id"], key)
        return key


class Example:
    """One trainer, one fresh Google account, the model, and the steps applied to them."""

    def __init__(self, world: GoogleWorld, session: Session, http: httpx.Client) -> None:
        number = next(_accounts)
        tag = uuid.uuid4().hex[:6]
        user = accounts.add_user(
            f"property.{number}.{tag}@example.com",
            Role.TRAINER,
            session=session,
            name=f"Property {number}",
        )
        actor = accounts.actor_for(user)
        email = f"sync.property.{number}.{tag}@gmail.test"
        world.connect(actor, email, session=session)
        self.trainer = Trainer(world, session, actor, email)
        self.email = email
        self.http = http
        self.session = session
        self.model = Model()
        self.titles = itertools.count(1)
        self.message_number = 0
        self.last_action = 0.0

    # -- reading both sides

    def rows(self) -> list[CalendarEvent]:
        self.session.expire_all()
        return list(
            self.session.exec(
                select(CalendarEvent).where(CalendarEvent.trainer_id == self.trainer.id)
            ).all()
        )

    def live_rows(self) -> list[CalendarEvent]:
        live = [row for row in self.rows() if row.deleted_at is None]
        return sorted(live, key=lambda row: self._position(self.model.key_of_local(row)))

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        """The emulator's control API, over one client (a new one per call costs a TLS setup)."""
        answer = self.http.request(method, path, **kwargs)
        assert answer.status_code < 300, answer.text
        return answer.json() if answer.content else None

    def google_events(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.control(
            "GET", "/_emulator/calendar/events", params={"email": self.email}
        )["items"]
        return items

    def live_google(self) -> list[dict[str, Any]]:
        live = [e for e in self.google_events() if e.get("status") != "cancelled"]
        return sorted(live, key=lambda event: self._position(self.model.key_of_google(event)))

    def _position(self, key: str | None) -> int:
        return self.model.order.get(key, len(self.model.order)) if key else len(self.model.order)

    def learn_aliases(self) -> None:
        for row in self.rows():
            self.model.key_of_local(row)

    # -- user actions

    def _pace(self) -> None:
        wait = self.last_action + ACTION_GAP - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def _acted(self) -> None:
        self.last_action = time.monotonic()

    def apply(self, step: Step) -> None:
        if isinstance(step, CrmCreate | CrmChange | CrmDelete):
            self._pace()
            self._crm(step)
            self._acted()
        elif isinstance(step, GoogleCreate | GoogleChange | GoogleDelete):
            self._pace()
            self._google(step)
            self._acted()
        elif isinstance(step, Sync):
            for _ in range(step.times):
                self.sync()
        elif isinstance(step, Webhook):
            self.webhook(step.repeats)
        elif isinstance(step, Fault):
            self.fault(step)
        else:
            self.control(
                "POST", "/_emulator/calendar/expire-sync-tokens", json={"email": self.email}
            )

    def _crm(self, step: CrmCreate | CrmChange | CrmDelete) -> None:
        actor, session = self.trainer.actor, self.session
        if isinstance(step, CrmCreate):
            start, end = _span(step.when, JERUSALEM)
            event = sessions.create_session(
                actor,
                self.trainer.id,
                {
                    "title": _title(next(self.titles)),
                    "start_at": start,
                    "end_at": end,
                    "all_day": step.when.all_day,
                },
                session=session,
            )
            self.model.new(event.id, local_shape(event), "crm create")
            return
        live = self.live_rows()
        if not live:
            return
        if isinstance(step, CrmDelete):
            row = live[step.pick % len(live)]
            key = self.model.key_of_local(row)
            assert key is not None, f"a session from nowhere: {row}"
            sessions.delete_session(actor, row.id, session=session)
            self.model.set(key, None, "crm delete")
            return
        change = step.change
        row = live[change.pick % len(live)]
        key = self.model.key_of_local(row)
        assert key is not None, f"a session from nowhere: {row}"
        unit = timedelta(days=1) if row.all_day else timedelta(minutes=45)
        start = row.start_at + change.shift * unit
        end = max(row.end_at + (change.shift + change.stretch) * unit, start + unit)
        values: dict[str, Any] = {"start_at": start, "end_at": end}
        if change.retitle:
            values["title"] = _title(next(self.titles), retitle=True)
        updated = sessions.update_session(actor, row.id, values, session=session)
        self.model.set(key, local_shape(updated), "crm change")

    def _google(self, step: GoogleCreate | GoogleChange | GoogleDelete) -> None:
        if isinstance(step, GoogleCreate):
            when = step.when
            zone = ZoneInfo(when.zone) if when.zone else UTC
            body = {"summary": _title(next(self.titles))} | _google_times(when, zone)
            created = self.control(
                "POST", "/_emulator/calendar/events", json={"email": self.email, "event": body}
            )
            self.model.new(created["id"], google_shape(created), "google create")
            return
        live = self.live_google()
        if not live:
            return
        if isinstance(step, GoogleDelete):
            event = live[step.pick % len(live)]
            key = self.model.key_of_google(event)
            assert key is not None, f"a Google event from nowhere: {event}"
            self.control(
                "DELETE", f"/_emulator/calendar/events/{event['id']}", params={"email": self.email}
            )
            self.model.set(key, None, "google delete")
            return
        change = step.change
        event = live[change.pick % len(live)]
        key = self.model.key_of_google(event)
        assert key is not None, f"a Google event from nowhere: {event}"
        changes: dict[str, Any] = _moved(event, change)
        if change.retitle:
            changes["summary"] = _title(next(self.titles), retitle=True)
        answer = self.control(
            "PATCH",
            f"/_emulator/calendar/events/{event['id']}",
            json={"email": self.email, "changes": changes},
        )
        self.model.set(key, google_shape(answer), "google change")

    # -- the engine

    def sync(self, trigger: SyncTrigger = SyncTrigger.MANUAL) -> SyncRun:
        """Run one sync; a Google deletion met only by a full list keeps a pending session."""
        self.learn_aliases()
        cancelled = {e["id"] for e in self.google_events() if e.get("status") == "cancelled"}
        kept = {
            key: local_shape(row)
            for row in self.rows()
            if row.deleted_at is None
            and row.google_event_id in cancelled
            and row.sync_state.value == "pending"
            and (key := self.model.key_of_local(row)) is not None
        }
        full_before = self._last_full_sync()
        run = self.trainer.sync(trigger)
        if kept and self._last_full_sync() != full_before:
            for key, shape in kept.items():
                self.model.set(key, shape, "kept by a full list")
        self.learn_aliases()
        return run

    def _last_full_sync(self) -> datetime | None:
        self.session.expire_all()
        state = self.session.get(CalendarSyncState, (self.trainer.id, "primary"))
        return state.last_full_sync_at if state else None

    def webhook(self, repeats: int) -> None:
        """Google's push: the first delivery queues a sync, repeats of it queue nothing."""
        live = channels.active_channels(self.session, self.trainer.id)
        if not live:
            return
        channel = live[0]
        self.message_number += 1
        notification = channels.Notification(
            channel_id=channel.channel_id,
            token=self.trainer.world.cipher.decrypt(channel.token_encrypted),
            resource_state="exists",
            message_number=self.message_number,
            resource_id=channel.resource_id,
        )
        first = channels.receive(
            notification, session=self.session, cipher=self.trainer.world.cipher
        )
        assert first.outcome == "sync_queued", first
        assert first.trainer_id == self.trainer.id
        for _ in range(repeats):
            again = channels.receive(
                notification, session=self.session, cipher=self.trainer.world.cipher
            )
            assert (again.outcome, again.trainer_id) == ("duplicate", None), again
        self.sync(SyncTrigger.WEBHOOK)

    def fault(self, step: Fault) -> None:
        fault: dict[str, Any] = {"times": step.times}
        if step.kind == "drop":
            fault |= {"kind": "drop"}
        elif step.kind == "429":
            fault |= {"kind": "error", "status": 429, "retryAfter": 2}
        else:
            fault |= {"kind": "error", "status": 503}
        if step.method:
            fault["method"] = step.method
        self.control("POST", "/_emulator/faults", json={"email": self.email, **fault})

    def clear_faults(self) -> None:
        self.control("DELETE", "/_emulator/faults")

    # -- the property

    def check_converged(self) -> None:
        rows = self.live_rows()
        google = self.live_google()
        history = "\n".join(self.model.history)

        linked = [row.google_event_id for row in rows]
        assert None not in linked, f"sessions never reached Google: {rows}\n{history}"
        assert len(set(linked)) == len(linked), f"two sessions share a Google event: {rows}"
        crm_ids = [
            ((e.get("extendedProperties") or {}).get("private") or {}).get(PRIVATE_EVENT_ID)
            for e in google
        ]
        tagged = [crm_id for crm_id in crm_ids if crm_id]
        assert len(set(tagged)) == len(tagged), f"two Google events carry one CRM id: {google}"

        by_google_id = {e["id"]: e for e in google}
        local_side = {row.google_event_id: local_shape(row) for row in rows}
        google_side = {event_id: google_shape(e) for event_id, e in by_google_id.items()}
        assert local_side == google_side, f"the two sides differ\n{history}"

        keys = [self.model.key_of_local(row) for row in rows]
        assert None not in keys, f"a session from nowhere: {rows}\n{history}"
        assert len(set(keys)) == len(keys), f"one event twice: {rows}\n{history}"
        actual = {key: local_shape(row) for key, row in zip(keys, rows, strict=True)}
        expected = {key: shape for key, shape in self.model.expected.items() if shape}
        assert actual == expected, f"not the most recent versions\n{history}"


def _span(when: When, zone: ZoneInfo) -> tuple[datetime, datetime]:
    day = BASE_DAY + timedelta(days=when.day)
    if when.all_day:
        start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
        end = datetime.combine(day + timedelta(days=when.length), datetime.min.time(), tzinfo=zone)
        return start, end
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone) + timedelta(hours=when.hour)
    return start, start + timedelta(minutes=30 * when.length)


def _google_times(when: When, zone: ZoneInfo | Any) -> dict[str, Any]:
    start, end = _span(when, zone)
    if when.all_day:
        return {
            "start": {"date": start.date().isoformat()},
            "end": {"date": end.date().isoformat()},
        }
    named = {"timeZone": when.zone} if when.zone else {}
    return {
        "start": {"dateTime": start.isoformat(), **named},
        "end": {"dateTime": end.isoformat(), **named},
    }


def _moved(event: dict[str, Any], change: Change) -> dict[str, Any]:
    """The patch that moves and stretches a Google event, in its own kind of time."""
    start, end = event["start"], event["end"]
    if "date" in start:
        first = date.fromisoformat(start["date"]) + timedelta(days=change.shift)
        after = date.fromisoformat(end["date"]) + timedelta(days=change.shift + change.stretch)
        after = max(after, first + timedelta(days=1))
        return {"start": {"date": first.isoformat()}, "end": {"date": after.isoformat()}}
    unit = timedelta(minutes=45)
    begin = datetime.fromisoformat(start["dateTime"]) + change.shift * unit
    finish = datetime.fromisoformat(end["dateTime"]) + (change.shift + change.stretch) * unit
    finish = max(finish, begin + unit)
    named = {"timeZone": start["timeZone"]} if start.get("timeZone") else {}
    return {
        "start": {"dateTime": begin.isoformat(), **named},
        "end": {"dateTime": finish.isoformat(), **named},
    }


# --- The property ---------------------------------------------------------------------------


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=st.lists(steps, min_size=1, max_size=MAX_STEPS))
def test_any_interleaving_of_changes_faults_and_syncs_converges(
    plan: list[Step], google_world: GoogleWorld, session: Session
) -> None:
    """Changes on both sides, faults, expired tokens and repeated syncs in any order: after the
    faults clear and two quiet syncs, both sides hold the same events, once each, each in the
    version of its most recent change; a further sync changes nothing."""
    with httpx.Client(base_url=google_world.emulator.base_url, timeout=30) as http:
        _run(Example(google_world, session, http), plan)


def _run(example: Example, plan: list[Step]) -> None:
    try:
        for step in plan:
            example.apply(step)
    finally:
        example.clear_faults()
    for _ in range(2):
        run = example.sync()
        assert run.outcome.value == "success", run.error
    example.check_converged()
    again = example.sync()
    assert (again.created, again.updated, again.deleted, again.pushed, again.conflicts) == (
        0,
        0,
        0,
        0,
        0,
    ), "a sync after convergence still changed something"
