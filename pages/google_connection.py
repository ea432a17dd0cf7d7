"""A trainer's Google connection: status, Connect through Google's consent and back, Disconnect.

Google sends the trainer back here (GOOGLE_REDIRECT_URI) with `code` and `state` in the URL: the
page finishes the connection, then clears them so a reload cannot replay the code.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta

import streamlit as st

from db.models import RunOutcome, utcnow
from integrations.core.access import Capability
from integrations.core.errors import IntegrationError
from integrations.google_calendar.connection import ConsentError
from integrations.google_calendar.service import (
    connect_url,
    disconnect,
    finish_connection,
    google_status,
    request_sync,
)
from integrations.google_calendar.status import SCOPE_NAMES, GoogleCalendarStatus, TokenState
from pages._plain import plain
from pages._shell import (
    display_zone,
    error_message,
    keep_choices,
    local_time,
    outcome_label,
    recheck,
    require,
    status_label,
    t,
)

#: When this page asked for a sync (UTC, less CLOCK_SLACK): the page follows its run.
FOLLOW_KEY = "google_follow_sync"
CLOCK_SLACK = timedelta(seconds=1)
#: A queue with no worker to take the sync must not keep the page polling for ever.
FOLLOW_AT_MOST = timedelta(minutes=2)


actor = require(Capability.MANAGE_TRAINER)
trainer_id = actor.trainer_id
if trainer_id is None:
    st.warning(t("mine.no_trainer"))
    st.stop()
assert trainer_id is not None
st.title(t("page.google_connection"))
keep_choices("google", ["google_keep_choice"])


def already_done(failure: ConsentError) -> bool:
    """Browser Back onto Google's return address replays a link that already connected this
    trainer: nothing is wrong, so nothing alarming is said."""
    assert trainer_id is not None
    return failure.reason == "state_used" and google_status(actor, trainer_id).connected


def scope_name(scope: str) -> str:
    """A permission as a person reads it; one we cannot name, as Google names it."""
    name = SCOPE_NAMES.get(scope)
    return t(f"google.scope.{name}") if name else scope


params = st.query_params
if "state" in params:
    state, code, error = params.get("state", ""), params.get("code"), params.get("error")
    st.query_params.clear()
    with st.spinner(t("google.finishing")):
        try:
            connected = finish_connection(actor, code=code, state=state, error=error)
        except ConsentError as failure:
            if not already_done(failure):
                st.session_state["google_flash"] = (
                    "error",
                    t(
                        f"google.consent.{failure.reason}",
                        missing="; ".join(scope_name(scope) for scope in failure.missing),
                    ),
                )
        except IntegrationError as failure:
            st.session_state["google_flash"] = ("error", error_message(failure, "google"))
        else:
            st.session_state["google_flash"] = (
                "success",
                t(
                    "google.connected_as",
                    account=connected.account_email,
                    count=len(connected.calendars),
                ),
            )
    st.rerun()

flash = st.session_state.pop("google_flash", None)
if flash:
    kind, message = flash
    {"success": st.success, "warning": st.warning, "info": st.info}.get(kind, st.error)(message)

status = google_status(actor, trainer_id)
zone = display_zone()


def outcome_flash(ended: GoogleCalendarStatus) -> tuple[str, str]:
    """How the sync this page asked for ended, in the reader's language."""
    at = local_time(ended.last_sync_finished_at or ended.last_sync_at, zone, "%H:%M")
    reason = t(f"health.kind.{ended.last_sync_error_kind or 'unknown'}")
    if reason.startswith("health.kind."):  # a kind without a label yet
        reason = t("health.kind.unknown")
    if ended.last_sync_outcome == RunOutcome.SUCCESS:
        return "success", t("google.sync_done", at=at)
    if ended.last_sync_outcome == RunOutcome.PARTIAL:
        return "warning", t("google.sync_partial", at=at, reason=reason)
    return "error", t("google.sync_failed", at=at, reason=reason)


def follow_sync() -> None:
    """While the sync asked for on this page runs: say so; once it ends, rerun the whole page
    so the card shows it, with its outcome above."""
    assert trainer_id is not None
    global actor  # the fragment's own runs re-read who is looking (access turned off)
    actor = recheck(Capability.MANAGE_TRAINER, trainer_id)
    requested: datetime | None = st.session_state.get(FOLLOW_KEY)
    if requested is None:
        return
    latest = google_status(actor, trainer_id)
    started = latest.last_sync_at is not None and latest.last_sync_at >= requested
    if started and latest.last_sync_outcome not in (None, RunOutcome.RUNNING):
        del st.session_state[FOLLOW_KEY]
        st.session_state["google_flash"] = outcome_flash(latest)
        st.rerun()
    if utcnow() - requested > FOLLOW_AT_MOST:
        del st.session_state[FOLLOW_KEY]
        st.session_state["google_flash"] = ("info", t("google.sync_slow"))
        st.rerun()
    st.info(
        t("google.sync_running" if started else "google.sync_waiting"),
        icon="🔄",
    )


def token_line(shown: GoogleCalendarStatus) -> str:
    """The access line of the card, agreeing with the connection: a grant Google refuses is
    never "valid until", whatever expiry the last token had."""
    if shown.token_state is TokenState.REFUSED:
        return f"**{t('google.token')}:** {t('google.token_refused')}"
    if shown.token_state is TokenState.RENEWS:
        return f"**{t('google.token')}:** {t('google.token_renews')}"
    return f"**{t('google.token_expires')}:** {local_time(shown.token_expires_at, zone)}"


def frequency_text(shown: GoogleCalendarStatus) -> str:
    if not shown.auto_sync_enabled:
        return t("google.auto_off")
    return t(f"health.frequency.{shown.sync_frequency.value}")


if status.status == "needs_reauth":
    st.warning(t("google.needs_reauth"), icon="⚠️")

with st.container(border=True):
    icon = {"connected": "🟢", "needs_reauth": "🟠", "error": "🔴"}.get(status.status, "⚪")
    st.subheader(f"{icon} {t('integration.google_calendar')}: {status_label(status.status)}")
    if status.account_email:
        left, right = st.columns(2)
        left.markdown(f"**{t('google.account')}:** {plain(status.account_email)}")
        left.markdown(token_line(status))
        left.markdown(
            f"**{t('google.last_sync')}:** {local_time(status.last_sync_at, zone)} "
            f"({outcome_label(status.last_sync_outcome)})"
        )
        right.markdown(f"**{t('google.frequency')}:** {frequency_text(status)}")
        if status.realtime:  # hourly, daily or off: no channel to speak of
            right.markdown(
                f"**{t('google.channel_expires')}:** "
                + (
                    local_time(status.channel_expires_at, zone)
                    if status.channel_expires_at
                    else t("google.channel_pending")
                )
            )
        right.markdown(f"**{t('google.next_sync')}:** {local_time(status.next_sync_at, zone)}")
        right.markdown(f"**{t('google.calendars')}:** {len(status.calendars)}")
        st.caption(t("shell.times_in", zone=zone))
        with st.expander(t("google.scopes")):
            for permission in status.permissions:
                if permission.name:
                    st.markdown(f"- {t(f'google.scope.{permission.name}')}")
                else:  # Google's own name, as code: it is not a sentence to read
                    st.markdown(f"- {t('google.scope.unknown')} `{permission.scope}`")

if status.status in {"not_connected", "needs_reauth", "disconnected"}:
    label = t("google.reconnect") if status.status == "needs_reauth" else t("google.connect")
    if st.button(label, type="primary", key="google_connect"):
        st.session_state["google_consent_url"] = connect_url(actor, trainer_id)
    consent_url = st.session_state.pop("google_consent_url", None)
    if consent_url:
        # Same tab, so Google brings the trainer straight back here.
        st.markdown(
            f'<meta http-equiv="refresh" content="0; url={html.escape(consent_url, quote=True)}">',
            unsafe_allow_html=True,
        )
        st.link_button(t("google.continue"), consent_url)
else:
    if st.button(t("google.sync_now"), type="primary", key="google_sync_now"):
        queued = request_sync(actor, trainer_id)
        message = t("google.sync_queued") if queued else t("google.sync_already_queued")
        st.toast(message, icon="🔄")
        # Either way a run starts after now (a waiting sync has not started yet): follow it.
        st.session_state[FOLLOW_KEY] = utcnow() - CLOCK_SLACK
    # Polls only while a sync asked for here has not ended; the last poll reruns the page.
    st.fragment(run_every=2 if FOLLOW_KEY in st.session_state else None)(follow_sync)()
    with st.expander(t("google.disconnect")):
        st.write(t("google.disconnect_explain"))
        keep = st.radio(
            t("google.keep_question"),
            options=["keep", "remove"],
            format_func={
                "keep": t("google.keep_events"),
                "remove": t("google.remove_events"),
            }.__getitem__,
            key="google_keep_choice",
        )
        confirmed = st.checkbox(t("google.confirm_disconnect"), key="google_confirm_disconnect")
        if st.button(t("google.disconnect"), disabled=not confirmed, key="google_disconnect"):
            removed = disconnect(actor, trainer_id, keep_events=keep == "keep")
            st.session_state["google_flash"] = (
                "success",
                t("google.disconnected", removed=removed),
            )
            st.rerun()
