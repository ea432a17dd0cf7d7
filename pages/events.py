"""Events: a trainer's sessions in a week or month grid and in a table, narrowed by calendar,
client, origin and sync state; book, change and delete sessions; settle sync conflicts.

Trainers see their own sessions; staff and managers pick a trainer, and staff only look. Every
time is in the trainer's own zone, and only the dates shown are read from the store.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from db.models import EventOrigin, SyncState, utcnow
from integrations.core.access import Actor, Capability
from integrations.core.errors import AccessDenied, InvalidInput, NotFound
from integrations.crm.bookings import (
    FIRST_DAY,
    FIRST_READABLE,
    LAST_DAY,
    LAST_READABLE,
    LOCATION_LIMIT,
    NOTES_LIMIT,
    TITLE_LIMIT,
    EventView,
    create_booking,
    delete_booking,
    update_booking,
)
from integrations.crm.schedule import (
    CRM_ONLY,
    LONGEST_RANGE,
    CalendarChoice,
    ScheduleFilter,
    TrainerChoice,
    Version,
    calendar_choices,
    day_span,
    find_overlaps,
    month_containing,
    read_schedule,
    today_in,
    trainer_choices,
    week_containing,
)
from integrations.crm.trainers import ClientView, list_clients, sync_activity
from integrations.google_calendar.conflicts import resolve_conflict
from integrations.messages import MESSAGES
from integrations.runtime import session as open_session
from pages import _calendar
from pages._live import Handed, follow, say_activity
from pages._plain import plain
from pages._shell import keep_choices, local_time, recheck, require, t, table

NEW = "events_new"
EDIT = "events_edit"
FORM_FIELDS = ("title", "client", "day", "start", "end", "location", "notes")
SELECTBOXES = (
    "events_trainer",
    "events_filter_calendar",
    "events_filter_client",
    "events_filter_origin",
    "events_filter_state",
    "events_pick",
    f"{NEW}_client",
    f"{EDIT}_client",
)
#: Labels of choices are looked up in dicts built during the run, never translated inside a
#: format_func: AppTest calls those outside the run, where the language is unknown.
#: The "All" choice of a filter and the "No client" choice of a form (not None: a selectbox
#: whose value is None shows its placeholder instead).
ANY = NOBODY = ""
#: A session just booked or changed, for the next run to bring into view and pick for editing:
#: the date range and the picker are drawn before the forms, so only the next run can set them.
SHOW_NEXT = "events_show_next"
#: What the booking form may hold: any four-digit year reaches the service, which explains the
#: allowed days in the reader's language. Narrower bounds make the browser refuse the day
#: itself, with an English tooltip, and block the submit (leaving an older error shown).
TYPED_FIRST, TYPED_LAST = date(1000, 1, 1), date(9999, 12, 31)
LIMITS = {"title": TITLE_LIMIT, "location": LOCATION_LIMIT, "description": NOTES_LIMIT}


# --- Reads that change slowly: cached for a minute -------------------------------------------


@st.cache_data(ttl=60, show_spinner=False)
def cached_trainers(actor: Actor) -> list[TrainerChoice]:
    with open_session() as session:
        return trainer_choices(actor, session=session)


@st.cache_data(ttl=60, show_spinner=False)
def cached_clients(actor: Actor, trainer_id: str) -> list[ClientView]:
    with open_session() as session:
        return list_clients(actor, trainer_id, session=session)


@st.cache_data(ttl=60, show_spinner=False)
def cached_calendars(actor: Actor, trainer_id: str) -> list[CalendarChoice]:
    with open_session() as session:
        return calendar_choices(actor, trainer_id, session=session)


# --- Small helpers ---------------------------------------------------------------------------


def period_of(view: str, day: date) -> tuple[date, date]:
    return week_containing(day) if view == "week" else month_containing(day)


def range_start(fallback: date) -> date:
    picked = st.session_state.get("events_range") or ()
    return picked[0] if picked else fallback


def snap_to_view(today: date) -> None:
    """Week or month around today when today is shown; else the month around the middle of the
    week shown, or the first week of the month shown."""
    view = st.session_state["events_view"]
    picked = st.session_state.get("events_range") or (today,)
    first, last = picked[0], picked[-1]
    if first <= today <= last:
        anchor = today
    else:
        anchor = first + (last - first) / 2 if view == "month" else first
    st.session_state["events_range"] = period_of(view, anchor)


def move(step: int, today: date) -> None:
    view, first = st.session_state["events_view"], range_start(today)
    try:
        if view == "week":
            day = first + timedelta(days=7 * step)
        elif step > 0:
            day = first.replace(day=1) + timedelta(days=32)
        else:
            day = first.replace(day=1) - timedelta(days=1)
        period = period_of(view, day)
    except (InvalidInput, OverflowError):
        return  # at the first or last dates that can be read: stay there
    if period[0] >= FIRST_READABLE and period[1] <= LAST_READABLE:
        st.session_state["events_range"] = period


def go_today(today: date) -> None:
    st.session_state["events_range"] = period_of(st.session_state["events_view"], today)


def when(event: EventView) -> str:
    return f"{local_time(event.start, zone, '%a %d/%m')} {_calendar.hours(event)}"


def describe(event: EventView) -> str:
    return f"{when(event)} · {event.title}"


def show_next(event_id: str, start: datetime) -> None:
    """Have the next run bring a session just booked or changed into view and pick it for
    editing, so that the person sees what they saved (and the picker its new label)."""
    st.session_state[SHOW_NEXT] = (event_id, start.astimezone(ZoneInfo(zone)).date())


def bring_into_view(view: str, today: date) -> None:
    """The date range moves to the week or month of the session in `SHOW_NEXT` when it is not
    already shown, and the picker chooses it; both before those widgets are drawn."""
    pending = st.session_state.pop(SHOW_NEXT, None)
    if pending is None:
        return
    event_id, day = pending
    picked = st.session_state.get("events_range") or (today,)
    first = picked[0]
    last = min(picked[-1], first + LONGEST_RANGE - timedelta(days=1))
    if not first <= day <= last:
        st.session_state["events_range"] = period_of(view, day)
    st.session_state["events_pick"] = event_id


def invalid_message(error: InvalidInput, values: dict[str, Any]) -> str:
    """The catalogue's line for the field and reason (`events.invalid.<field>.<reason>`), else
    for the field; with the limit and what was typed, so the person knows how much to cut."""
    field = error.field
    exact = f"events.invalid.{field}.{error.reason}"
    if error.reason and exact in MESSAGES:
        return t(
            exact,
            limit=LIMITS.get(str(field), 0),
            length=len(str(values.get(str(field)) or "").strip()),
            first=f"{FIRST_DAY:%d/%m/%Y}",
            last=f"{LAST_DAY:%d/%m/%Y}",
        )
    if field in ("start_at", "end_at") and values.get(field) is None:
        field = f"{field}_missing"
    key = f"events.invalid.{field}"
    return t(key) if key in MESSAGES else str(error)


def past_confirmed(prefix: str, values: dict[str, Any]) -> bool:
    """Whether these very values were warned about as starting in the past: submitted again
    unchanged, the person means the past day."""
    return st.session_state.get(f"{prefix}_past_asked") == repr(sorted(values.items()))


def warn_past(prefix: str, slot: Any, values: dict[str, Any], button: str) -> None:
    st.session_state[f"{prefix}_past_asked"] = repr(sorted(values.items()))
    when = local_time(values["start_at"], zone, "%a %d/%m/%Y %H:%M")
    slot.warning(t("events.past", when=when, button=button), icon="🕰️")


def forget_form(prefix: str) -> None:
    """Empty the form for the next session. Fields without a default of their own are set to
    empty, not popped: a widget whose key is popped takes the browser's last value back."""
    for name in FORM_FIELDS:
        st.session_state.pop(f"{prefix}_{name}", None)
    st.session_state[f"{prefix}_client"] = NOBODY
    st.session_state[f"{prefix}_location"] = ""
    st.session_state[f"{prefix}_notes"] = ""


def finish(toast: str, overlaps: list[EventView] | None = None) -> None:
    """After a change (the service has told Google already): the page shows the outcome on its
    next run."""
    st.session_state["events_flash"] = {
        "toast": toast,
        "overlaps": [describe(e) for e in overlaps or []],
    }
    st.rerun()


def session_form(
    prefix: str, submit: str, *, whole_days: bool = False
) -> tuple[bool, dict[str | None, Any]]:
    """The fields of a session; each has a slot under it for the error that concerns it."""
    slots: dict[str | None, Any] = {}
    with st.form(f"{prefix}_form", border=False, enter_to_submit=False):
        # No max_chars: the browser would cut or drop a longer paste without a word; the
        # service refuses it by the field and what was typed stays to be shortened.
        st.text_input(t("events.field.title"), key=f"{prefix}_title")
        slots["title"] = st.empty()
        st.selectbox(
            t("events.field.client"),
            list(client_choices),
            format_func=client_choices.__getitem__,
            key=f"{prefix}_client",
        )
        slots["client_id"] = st.empty()
        day_column, start_column, end_column = st.columns(3)
        day_column.date_input(
            t("events.field.day"),
            format="DD/MM/YYYY",
            disabled=whole_days,
            required=True,
            key=f"{prefix}_day",
            min_value=TYPED_FIRST,
            max_value=TYPED_LAST,
        )
        slots["day"] = day_column.empty()
        start_column.time_input(
            t("events.field.start"),
            step=900,
            disabled=whole_days,
            required=True,
            key=f"{prefix}_start",
        )
        slots["start_at"] = start_column.empty()
        end_column.time_input(
            t("events.field.end"),
            step=900,
            disabled=whole_days,
            required=True,
            key=f"{prefix}_end",
        )
        slots["end_at"] = end_column.empty()
        st.text_input(t("events.field.location"), key=f"{prefix}_location")
        slots["location"] = st.empty()
        st.text_area(t("events.field.notes"), height=68, key=f"{prefix}_notes")
        slots["description"] = st.empty()
        submitted = st.form_submit_button(submit, type="primary", key=f"{prefix}_submit")
        slots[None] = st.empty()
    return submitted, slots


def typed(prefix: str) -> dict[str, Any]:
    """What the person typed, as the service's values; times in the trainer's zone."""
    state = st.session_state
    tz = ZoneInfo(zone)
    day: date | None = state[f"{prefix}_day"]

    def at(name: str) -> datetime | None:
        clock: time | None = state[f"{prefix}_{name}"]
        return None if day is None or clock is None else datetime.combine(day, clock, tz)

    return {
        "title": str(state[f"{prefix}_title"] or ""),
        "client_id": state[f"{prefix}_client"] or None,
        "start_at": at("start"),
        "end_at": at("end"),
        "location": str(state[f"{prefix}_location"] or "").strip() or None,
        "description": str(state[f"{prefix}_notes"] or "").strip() or None,
    }


def show_error(slots: dict[str | None, Any], error: Exception, values: dict[str, Any]) -> None:
    if isinstance(error, InvalidInput):
        # A day outside the range is the day's fault, whichever of start and end says so.
        by_day = error.reason == "out_of_range" and error.field in ("start_at", "end_at")
        slot = slots["day"] if by_day else slots.get(error.field) or slots[None]
        slot.error(invalid_message(error, values), icon="⚠️")
    elif isinstance(error, AccessDenied):
        slots[None].error(t("error.denied"))
    else:
        slots[None].error(t("error.not_found"))


def overlaps_of(start: datetime, end: datetime, ignore: str | None = None) -> list[EventView]:
    with open_session() as session:
        return find_overlaps(actor, trainer_id, start, end, ignore_event_id=ignore, session=session)


# --- Whose sessions ---------------------------------------------------------------------------

actor = require(Capability.VIEW_TRAINER)
st.title(t("page.events"))

keep_choices("events", SELECTBOXES)

trainers = cached_trainers(actor)
shown: TrainerChoice | None
if actor.can(Capability.VIEW_ALL_TRAINERS):
    if not trainers:
        st.info(t("trainers.empty"))
        st.stop()
    by_id = {o.id: o for o in trainers}
    chosen = st.selectbox(
        t("events.trainer"),
        list(by_id),
        format_func=lambda key: by_id[key].name if key in by_id else str(key),
        key="events_trainer",
    )
    shown = by_id.get(str(chosen))
else:
    # A trainer has no choice to make: whatever the session state says, these are their own.
    shown = next((o for o in trainers if o.id == actor.trainer_id), None)
if shown is None:
    st.warning(t("mine.no_trainer"))
    st.stop()
assert shown is not None
trainer_id, zone = shown.id, shown.timezone
can_manage = actor.can(Capability.MANAGE_TRAINER, trainer_id)
if shown.unknown_zone is not None:
    st.warning(t("events.zone_unknown", zone=shown.unknown_zone, fallback=zone), icon="🕒")

if st.session_state.get("events_shown_trainer") != trainer_id:
    for key in [k for k in st.session_state if str(k).startswith(("events_filter_", EDIT))]:
        del st.session_state[key]
    st.session_state.pop("events_pick", None)
    st.session_state["events_shown_trainer"] = trainer_id

st.caption(t("events.zone", zone=zone))
if not can_manage:
    st.info(t("events.view_only"), icon="👀")

# --- Dates and view ---------------------------------------------------------------------------

today = today_in(zone, utcnow())
st.session_state.setdefault("events_view", "week")
st.session_state.setdefault("events_range", week_containing(today))
bring_into_view(str(st.session_state["events_view"]), today)
view_column, move_column, range_column = st.columns([2, 3, 3], vertical_alignment="bottom")
view_column.segmented_control(
    t("events.view"),
    ["week", "month"],
    format_func={v: t(f"events.view.{v}") for v in ("week", "month")}.__getitem__,
    required=True,
    key="events_view",
    on_change=snap_to_view,
    args=(today,),
)
with move_column:
    back, now_button, forward = st.columns(3)
    back.button(t("events.previous"), key="events_previous", on_click=move, args=(-1, today))
    now_button.button(t("events.today"), key="events_today", on_click=go_today, args=(today,))
    forward.button(t("events.next"), key="events_next", on_click=move, args=(1, today))
picked = range_column.date_input(
    t("events.range"),
    format="DD/MM/YYYY",
    min_value=FIRST_READABLE,
    max_value=LAST_READABLE,
    key="events_range",
)
view = str(st.session_state["events_view"])
first, last = (picked[0], picked[-1]) if picked else week_containing(today)
if last - first >= LONGEST_RANGE:
    last = first + LONGEST_RANGE - timedelta(days=1)
    st.caption(t("events.range_shortened", first=f"{first:%d/%m/%Y}", last=f"{last:%d/%m/%Y}"))
try:
    start, end = day_span(first, last, zone)
except InvalidInput:
    range_column.error(
        t(
            "events.invalid.range",
            first=f"{FIRST_READABLE:%d/%m/%Y}",
            last=f"{LAST_READABLE:%d/%m/%Y}",
        ),
        icon="⚠️",
    )
    first, last = week_containing(today)
    start, end = day_span(first, last, zone)

# --- Filters ---------------------------------------------------------------------------------

calendar_names = {CRM_ONLY: t("events.calendar.crm_only")} | {
    c.id: c.name for c in cached_calendars(actor, trainer_id)
}
client_names = {c.id: c.name for c in cached_clients(actor, trainer_id)}
client_choices = {NOBODY: t("events.no_client")} | client_names
any_label = t("events.filter.any")
calendar_column, client_column, origin_column, state_column = st.columns(4)
calendar_id = calendar_column.selectbox(
    t("events.filter.calendar"),
    [ANY, *calendar_names],
    format_func=({ANY: any_label} | calendar_names).__getitem__,
    key="events_filter_calendar",
)
client_id = client_column.selectbox(
    t("events.filter.client"),
    [ANY, *client_names],
    format_func=({ANY: any_label} | client_names).__getitem__,
    key="events_filter_client",
)
origin = origin_column.selectbox(
    t("events.filter.origin"),
    [ANY, *EventOrigin],
    format_func=({ANY: any_label} | {o: t(f"events.origin.{o.value}") for o in EventOrigin}).get,
    key="events_filter_origin",
)
sync_state = state_column.selectbox(
    t("events.filter.state"),
    [ANY, *SyncState],
    format_func=({ANY: any_label} | {s: _calendar.state_label(s) for s in SyncState}).get,
    key="events_filter_state",
)

shown_filter = ScheduleFilter(
    calendar_id=calendar_id or None,
    client_id=client_id or None,
    origin=EventOrigin(origin) if origin else None,
    sync_state=SyncState(sync_state) if sync_state else None,
)
with open_session() as session:
    items = read_schedule(actor, trainer_id, start, end, filters=shown_filter, session=session)
    activity = sync_activity(actor, [trainer_id], session=session)
handed = Handed((items, activity))

flash = st.session_state.pop("events_flash", None)
if flash:
    st.toast(flash["toast"], icon="✅")

# --- Conflicts -------------------------------------------------------------------------------


def version_text(version: Version) -> str:
    if version.deleted:
        return f"🗑️ {t('events.conflict.deleted')}"
    lines = [f"**{plain(version.title)}**"]
    if version.start and version.end:
        lines.append(f"{local_time(version.start, zone, '%a %d/%m %H:%M')}–{version.end:%H:%M}")
    if version.location:
        lines.append(plain(version.location))
    return "  \n".join(lines)


conflicted = [item for item in items if item.conflict is not None]
if conflicted:
    st.subheader(t("events.conflicts", count=len(conflicted)))
for item in conflicted:
    conflict = item.conflict
    assert conflict is not None
    with st.container(border=True):
        st.markdown(f"🟠 **{plain(item.event.title)}** · {when(item.event)}")
        st.caption(
            t(
                "events.conflict.explain",
                when=local_time(conflict.detected_at, zone),
                kept=t(f"events.conflict.{conflict.kept}"),
            )
        )
        for column, side in zip(st.columns(2), ("local", "google"), strict=True):
            version = conflict.local if side == "local" else conflict.google
            kept_now = f" · _{t('events.conflict.kept_now')}_" if conflict.kept == side else ""
            column.markdown(f"**{t(f'events.conflict.{side}')}**{kept_now}")
            column.markdown(version_text(version))
            if column.button(
                t(f"events.conflict.keep_{side}"),
                key=f"events_conflict_{conflict.id}_{side}",
                disabled=not can_manage,
            ):
                try:
                    with open_session() as session:
                        resolve_conflict(actor, conflict.id, side, session=session)
                except (AccessDenied, NotFound) as error:
                    column.error(
                        t("error.denied")
                        if isinstance(error, AccessDenied)
                        else t("error.not_found")
                    )
                else:
                    finish(t("events.conflict.resolved", side=t(f"events.conflict.{side}")))

# --- The calendar and the table ----------------------------------------------------------------


def read_live() -> tuple[list[Any], Any]:
    with open_session() as session:
        return (
            read_schedule(actor, trainer_id, start, end, filters=shown_filter, session=session),
            sync_activity(actor, [trainer_id], session=session),
        )


def schedule() -> None:
    """The count, the grid and the table with each session's sync state; they follow the sync
    by themselves (pages/_live.py): a booking reaching Google, Google's events arriving."""
    global actor  # the fragment's own runs re-read who is looking (access turned off)
    actor = recheck(Capability.VIEW_TRAINER, trainer_id)
    scheduled, now = handed.take(read_live)
    say_activity(now)
    # Google's events (a dentist, a family dinner) are counted too: the count is of events, and
    # says how many came from Google when some are the CRM's sessions.
    from_google = sum(1 for item in scheduled if item.event.origin is EventOrigin.GOOGLE)
    dates = {"first": f"{first:%d/%m/%Y}", "last": f"{last:%d/%m/%Y}"}
    if 0 < from_google < len(scheduled):
        crm = len(scheduled) - from_google
        st.caption(
            t("events.count.split", count=len(scheduled), crm=crm, google=from_google, **dates)
        )
    else:
        st.caption(t("events.count", count=len(scheduled), **dates))
    calendar_tab, table_tab = st.tabs([t("events.tab.calendar"), t("events.tab.table")])
    with calendar_tab:
        grid = _calendar.week_grid if view == "week" else _calendar.month_grid
        st.html(grid(scheduled, first, last, today))
    with table_tab:
        if not scheduled:
            st.info(t("events.none"))
        else:
            table(
                [
                    {
                        t("events.col.day"): local_time(item.event.start, zone, "%a %d/%m/%Y"),
                        t("events.col.time"): _calendar.hours(item.event),
                        t("col.title"): item.event.title,
                        t("col.client"): item.event.client_name or "—",
                        t("events.col.origin"): t(f"events.origin.{item.event.origin.value}"),
                        t("events.col.calendar"): calendar_names.get(
                            item.event.google_calendar_id or CRM_ONLY,
                            item.event.google_calendar_id,
                        ),
                        t("col.sync_state"): _calendar.state_label(item.sync_state),
                    }
                    for item in scheduled
                ]
            )


schedule_place = st.container()


def manage() -> None:
    """Book, change and delete sessions; for those who may manage this trainer's sessions."""

    # --- Book, change, delete ------------------------------------------------------------------

    if flash and flash["overlaps"]:
        st.warning(
            "  \n".join([t("events.overlap"), *(f"• {plain(line)}" for line in flash["overlaps"])]),
            icon="⚠️",
        )

    new_column, edit_column = st.columns(2)

    with new_column.expander(t("events.new"), icon="➕"):
        if st.session_state.pop(f"{NEW}_reset", False):
            forget_form(NEW)
        local_now = utcnow().astimezone(ZoneInfo(zone))
        next_hour = (local_now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        if next_hour.date() != local_now.date() or next_hour.hour >= 22:
            next_hour = datetime.combine(
                local_now.date() + timedelta(days=1), time(7), local_now.tzinfo
            )
        elif next_hour.hour < 6:
            next_hour = next_hour.replace(hour=7)
        st.session_state.setdefault(f"{NEW}_title", t("events.default_title"))
        st.session_state.setdefault(f"{NEW}_day", next_hour.date())
        st.session_state.setdefault(f"{NEW}_start", next_hour.time())
        st.session_state.setdefault(f"{NEW}_end", (next_hour + timedelta(hours=1)).time())
        submitted, slots = session_form(NEW, t("events.create"))
        if submitted:
            values = typed(NEW)
            try:
                with open_session() as session:
                    created = create_booking(
                        actor,
                        trainer_id,
                        values,
                        allow_past=past_confirmed(NEW, values),
                        session=session,
                    )
            except InvalidInput as error:
                if error.reason == "in_past":
                    warn_past(NEW, slots["day"], values, t("events.create"))
                else:
                    show_error(slots, error, values)
            except (AccessDenied, NotFound) as error:
                show_error(slots, error, values)
            else:
                st.session_state.pop(f"{NEW}_past_asked", None)
                st.session_state[f"{NEW}_reset"] = True
                show_next(created.id, created.start_at)
                finish(
                    t("events.created"),
                    overlaps_of(created.start_at, created.end_at, ignore=created.id),
                )

    with edit_column.expander(t("events.edit"), icon="✏️"):
        choices = {item.event.id: item.event for item in items}
        if not choices:
            st.caption(t("events.pick_none"))
            return
        if st.session_state.get("events_pick") not in choices:
            # Deleted, filtered out or out of the dates: given a value the browser also shows (a
            # choice left to fall back by itself would keep showing its old label).
            st.session_state["events_pick"] = next(iter(choices))
        picked_id = st.selectbox(
            t("events.pick"),
            list(choices),
            format_func={key: describe(event) for key, event in choices.items()}.get,
            key="events_pick",
        )
        event = choices[str(picked_id)]
        whole_days = (
            event.all_day or event.start.date() != (event.end - timedelta(seconds=1)).date()
        )
        if st.session_state.get(f"{EDIT}_loaded") != event.id:
            st.session_state.update(
                {
                    f"{EDIT}_title": event.title,
                    f"{EDIT}_client": event.client_id
                    if event.client_id in client_names
                    else NOBODY,
                    f"{EDIT}_day": event.start.date(),
                    f"{EDIT}_start": event.start.time().replace(second=0, microsecond=0),
                    f"{EDIT}_end": event.end.time().replace(second=0, microsecond=0),
                    f"{EDIT}_location": event.location or "",
                    f"{EDIT}_notes": event.description or "",
                    f"{EDIT}_loaded": event.id,
                    f"{EDIT}_delete_confirm": False,
                }
            )
        if whole_days:
            st.caption(t("events.whole_days"))
        submitted, slots = session_form(EDIT, t("events.save"), whole_days=whole_days)
        if submitted:
            values = typed(EDIT)
            if whole_days:
                values.pop("start_at")
                values.pop("end_at")
            current = {
                "title": event.title,
                "client_id": event.client_id,
                "start_at": event.start,
                "end_at": event.end,
                "location": event.location,
                "description": event.description,
            }
            values["title"] = values["title"].strip()
            changes = {name: value for name, value in values.items() if value != current[name]}
            if not changes:
                slots[None].info(t("events.unchanged"))
            else:
                try:
                    with open_session() as session:
                        saved = update_booking(
                            actor,
                            event.id,
                            changes,
                            allow_past=past_confirmed(EDIT, values),
                            session=session,
                        )
                except InvalidInput as error:
                    if error.reason == "in_past":
                        warn_past(EDIT, slots["day"], values, t("events.save"))
                    else:
                        show_error(slots, error, values)
                except (AccessDenied, NotFound) as error:
                    show_error(slots, error, values)
                else:
                    st.session_state.pop(f"{EDIT}_past_asked", None)
                    st.session_state[f"{EDIT}_loaded"] = None
                    show_next(saved.id, saved.start_at)
                    finish(
                        t("events.saved"),
                        overlaps_of(saved.start_at, saved.end_at, ignore=saved.id),
                    )
        st.divider()
        st.caption(t("events.delete_explain"))
        confirmed = st.checkbox(t("events.delete_confirm"), key=f"{EDIT}_delete_confirm")
        if st.button(t("events.delete"), disabled=not confirmed, key=f"{EDIT}_delete"):
            try:
                with open_session() as session:
                    delete_booking(actor, event.id, session=session)
            except (AccessDenied, NotFound) as error:
                st.error(
                    t("error.denied") if isinstance(error, AccessDenied) else t("error.not_found")
                )
            else:
                st.session_state[f"{EDIT}_loaded"] = None
                finish(t("events.deleted"))


if can_manage:
    manage()
follow(schedule_place, schedule, activity)
