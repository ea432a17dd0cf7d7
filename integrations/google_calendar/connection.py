"""Connecting a trainer's Google account: consent, callback, reconnect and disconnect.

The consent's `state` is random, single use, bound to the user and trainer who started it, and
expires in ten minutes; it and the PKCE verifier live in the store, so any web process can finish
the callback, which arrives as a fresh page load.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import requests
import sqlalchemy as sa
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import Request
from google.oauth2 import id_token as google_id_token
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error
from sqlmodel import Session, col, delete, select

from db.models import (
    CalendarEvent,
    CalendarSyncState,
    ConnectionStatus,
    EventOrigin,
    GoogleCalendarSyncSettings,
    Integration,
    IntegrationCredential,
    LogLevel,
    OAuthState,
    SyncState,
    WebhookChannel,
    utcnow,
)
from integrations.config import Settings
from integrations.core import audit
from integrations.core.access import Actor, Capability
from integrations.core.crypto import DecryptionError, TokenCipher
from integrations.core.errors import IntegrationError
from integrations.google_calendar import channels
from integrations.google_calendar.client import (
    CALENDAR_SCOPES,
    REQUIRED_SCOPES,
    CalendarInfo,
    calendar_service,
    credentials_for,
    list_calendars,
)

log = logging.getLogger(__name__)

STATE_LIFETIME = timedelta(minutes=10)
GOOGLE_CERTS_URI = "https://www.googleapis.com/oauth2/v3/certs"
GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})
#: The `error` values Google's consent page may send back (RFC 6749 4.1.2.1, OpenID Connect
#: Core 3.1.2.6, and Google's own): the return link is the trainer's to edit, so any other text
#: is stored as `unknown`, never as typed (it reaches the manager's error log and its CSV).
OAUTH_ERROR_CODES = frozenset(
    {
        "access_denied",
        "invalid_request",
        "unauthorized_client",
        "unsupported_response_type",
        "invalid_scope",
        "server_error",
        "temporarily_unavailable",
        "interaction_required",
        "login_required",
        "account_selection_required",
        "consent_required",
        "invalid_request_uri",
        "invalid_request_object",
        "request_not_supported",
        "request_uri_not_supported",
        "registration_not_supported",
        "admin_policy_enforced",
    }
)
UNKNOWN_OAUTH_ERROR = "unknown"
_SCOPE_ALIASES = {
    "email": "https://www.googleapis.com/auth/userinfo.email",
    "profile": "https://www.googleapis.com/auth/userinfo.profile",
}


class ConsentError(IntegrationError):
    """The consent round trip failed; `reason` picks the message shown to the trainer."""

    def __init__(self, reason: str, message: str, *, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.reason = reason
        self.missing = missing


@dataclass(frozen=True, slots=True)
class ConnectedAccount:
    account_email: str
    calendars: list[CalendarInfo]
    reconnected: bool


def _hash_state(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


@contextmanager
def _relaxed_scope_check() -> Iterator[None]:
    """We compare granted scopes ourselves, to name the one the trainer unticked; oauthlib would
    raise instead. Set only around the exchange, so the rest of the process keeps the default."""
    previous = os.environ.get("OAUTHLIB_RELAX_TOKEN_SCOPE")
    os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] = "1"  # noqa: S105 - a switch, not a secret
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("OAUTHLIB_RELAX_TOKEN_SCOPE", None)
        else:
            os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] = previous


def _flow(settings: Settings, **kwargs: Any) -> Flow:
    # oauthlib refuses plain http unless told; only the loopback emulator is ever plain http.
    if settings.uses_loopback_http:
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    client_config = {
        "web": {
            "client_id": settings.google_client_id,
            "client_secret": settings.google_client_secret,
            "auth_uri": settings.GOOGLE_AUTH_URI,
            "token_uri": settings.GOOGLE_TOKEN_URI,
            "redirect_uris": [settings.GOOGLE_REDIRECT_URI],
        }
    }
    return Flow.from_client_config(
        client_config,
        scopes=list(CALENDAR_SCOPES),
        redirect_uri=settings.GOOGLE_REDIRECT_URI,
        **kwargs,
    )


def initiate_google_oauth(
    actor: Actor, trainer_id: str, *, session: Session, settings: Settings, cipher: TokenCipher
) -> str:
    """The Google consent URL for this trainer; the browser is sent there."""
    actor.require(Capability.MANAGE_TRAINER, trainer_id)
    state = secrets.token_urlsafe(32)
    flow = _flow(settings)
    url, _ = flow.authorization_url(
        state=state,
        access_type="offline",
        prompt="consent",  # Google sends a refresh token again only when asked for consent
        include_granted_scopes="true",
    )
    now = utcnow()
    session.exec(delete(OAuthState).where(col(OAuthState.expires_at) < now))
    session.add(
        OAuthState(
            state_hash=_hash_state(state),
            user_id=actor.user_id,
            trainer_id=trainer_id,
            code_verifier_encrypted=cipher.encrypt(flow.code_verifier or ""),
            expires_at=now + STATE_LIFETIME,
        )
    )
    session.commit()
    return str(url)


def _claim_state(actor: Actor, state: str, *, session: Session) -> OAuthState:
    pending = session.get(OAuthState, _hash_state(state)) if state else None
    if pending is None:
        raise ConsentError("state_unknown", "this sign-in link is unknown; start again")
    if pending.used_at is not None:
        raise ConsentError("state_used", "this sign-in link was already used; start again")
    if pending.expires_at < utcnow():
        raise ConsentError("state_expired", "the sign-in took longer than 10 minutes; start again")
    if pending.user_id != actor.user_id:
        raise ConsentError("wrong_user", "this sign-in was started by someone else")
    pending.used_at = utcnow()
    session.add(pending)
    session.commit()
    return pending


def _granted(token: dict[str, Any]) -> set[str]:
    scope = token.get("scope") or []
    names = scope.split() if isinstance(scope, str) else list(scope)
    return {_SCOPE_ALIASES.get(name, name) for name in names}


def _account_email(token: dict[str, Any], settings: Settings) -> str:
    """The Google account from the signed id token (signature, audience and issuer checked)."""
    raw = token.get("id_token")
    if not raw:
        raise ConsentError("exchange_failed", "Google did not say which account was connected")
    certs = f"{settings.emulator_url}/oauth2/v3/certs" if settings.demo_mode else GOOGLE_CERTS_URI
    issuers = {settings.emulator_url} if settings.demo_mode else GOOGLE_ISSUERS
    try:
        with requests.Session() as http:
            claims = google_id_token.verify_token(
                raw, Request(http), audience=settings.google_client_id, certs_url=certs
            )
    except (GoogleAuthError, ValueError) as error:
        raise ConsentError(
            "exchange_failed", f"Google's answer could not be verified: {error}"
        ) from None
    if claims.get("iss") not in issuers or not claims.get("email"):
        raise ConsentError("exchange_failed", "Google's answer names no verified account")
    return str(claims["email"]).lower()


def oauth_error_code(error: str) -> str:
    """Google's error code as sent, or `unknown` for anything that is not one of its codes."""
    code = error.strip()
    return code if code in OAUTH_ERROR_CODES else UNKNOWN_OAUTH_ERROR


def handle_google_oauth_callback(
    actor: Actor,
    *,
    code: str | None,
    state: str,
    error: str | None = None,
    session: Session,
    settings: Settings,
    cipher: TokenCipher,
) -> ConnectedAccount:
    """Finish the consent: check state, exchange the code, check scopes, store encrypted tokens."""
    pending = _claim_state(actor, state, session=session)
    trainer_id = pending.trainer_id
    actor.require(Capability.MANAGE_TRAINER, trainer_id)
    if error:
        audit.record(
            session,
            "google_consent_refused",
            oauth_error_code(error),
            trainer_id=trainer_id,
            integration=Integration.GOOGLE_CALENDAR,
            actor_user_id=actor.user_id,
            level=LogLevel.WARNING,
        )
        session.commit()
        raise ConsentError("access_denied", "the Google consent was cancelled")
    if not code:
        raise ConsentError("exchange_failed", "Google sent no authorisation code")
    flow = _flow(
        settings, state=state, code_verifier=cipher.decrypt(pending.code_verifier_encrypted)
    )
    try:
        with _relaxed_scope_check():
            token = dict(flow.fetch_token(code=code))
    except (OAuth2Error, ValueError) as failure:
        raise ConsentError("exchange_failed", f"Google refused the sign-in: {failure}") from None
    finally:
        flow.oauth2session.close()
    missing = tuple(sorted(REQUIRED_SCOPES - _granted(token)))
    if missing:
        raise ConsentError("missing_scopes", "a needed permission was not granted", missing=missing)
    account_email = _account_email(token, settings)
    credentials = flow.credentials
    service = calendar_service(credentials, settings)
    try:
        calendars = list_calendars(service)
    finally:
        service.close()
    return _store_connection(
        actor,
        trainer_id,
        account_email,
        token,
        calendars,
        session=session,
        settings=settings,
        cipher=cipher,
        expires_at=credentials.expiry,
    )


def _store_connection(
    actor: Actor,
    trainer_id: str,
    account_email: str,
    token: dict[str, Any],
    calendars: list[CalendarInfo],
    *,
    session: Session,
    settings: Settings,
    cipher: TokenCipher,
    expires_at: Any,
) -> ConnectedAccount:
    from datetime import UTC

    credential = session.exec(
        select(IntegrationCredential).where(
            IntegrationCredential.trainer_id == trainer_id,
            IntegrationCredential.integration == Integration.GOOGLE_CALENDAR,
        )
    ).first()
    reconnected = credential is not None
    if credential is None:
        credential = IntegrationCredential(
            trainer_id=trainer_id, integration=Integration.GOOGLE_CALENDAR
        )
    previous_account = credential.account_email
    account_changed = reconnected and previous_account not in (None, account_email)
    if account_changed:
        # Before the new tokens replace the old: the old account's channels are stopped with them.
        _forget_previous_account(credential, calendars, settings, cipher, session=session)
    refresh_token = token.get("refresh_token")
    credential.access_token_encrypted = cipher.encrypt(str(token["access_token"]))
    if refresh_token:  # Google may omit it on a re-consent; keep the one we have
        credential.refresh_token_encrypted = cipher.encrypt(str(refresh_token))
    elif account_changed:  # the one we have belongs to the other account
        credential.refresh_token_encrypted = None
    credential.token_expires_at = expires_at.replace(tzinfo=UTC) if expires_at else None
    credential.scopes = sorted(_granted(token))
    credential.account_email = account_email
    credential.calendars = [calendar.as_json() for calendar in calendars]
    credential.status = ConnectionStatus.CONNECTED
    credential.last_error = None
    credential.updated_at = utcnow()
    session.add(credential)
    if session.get(GoogleCalendarSyncSettings, trainer_id) is None:
        primary = next((c for c in calendars if c.primary), None)
        session.add(
            GoogleCalendarSyncSettings(
                trainer_id=trainer_id,
                default_calendar_id=primary.id if primary else "primary",
                import_calendar_ids=[primary.id] if primary else [],
            )
        )
    audit.record(
        session,
        "google_reconnected" if reconnected else "google_connected",
        f"Google account {account_email} connected"
        + (f" in place of {previous_account}" if account_changed else ""),
        trainer_id=trainer_id,
        integration=Integration.GOOGLE_CALENDAR,
        actor_user_id=actor.user_id,
        details={"calendars": len(calendars), "account_changed": account_changed},
    )
    session.commit()
    return ConnectedAccount(
        account_email=account_email, calendars=calendars, reconnected=reconnected
    )


def _forget_previous_account(
    credential: IntegrationCredential,
    calendars: list[CalendarInfo],
    settings: Settings,
    cipher: TokenCipher,
    *,
    session: Session,
) -> None:
    """Another Google account replaces this one: nothing of the old may be used on the new
    (its calendar ids, sync tokens and event ids answer 404 there, or hit an unrelated event).

    Calendar choices go back to the new primary calendar; sync tokens and channels go (stopped at
    Google while the old token works); events that came from the old account leave the trainer's
    view; CRM sessions stay, unlinked, and reach the new account as on a first sync.
    """
    trainer_id = credential.trainer_id
    _stop_channels(credential, settings, cipher, session=session)
    session.exec(delete(WebhookChannel).where(col(WebhookChannel.trainer_id) == trainer_id))
    session.exec(delete(CalendarSyncState).where(col(CalendarSyncState.trainer_id) == trainer_id))
    sync_settings = session.get(GoogleCalendarSyncSettings, trainer_id)
    if sync_settings is not None:
        primary = next((c for c in calendars if c.primary), None)
        sync_settings.default_calendar_id = primary.id if primary else "primary"
        sync_settings.import_calendar_ids = []
        sync_settings.updated_at = utcnow()
        session.add(sync_settings)
    removed = 0
    linked = session.exec(
        select(CalendarEvent).where(
            CalendarEvent.trainer_id == trainer_id,
            sa.or_(
                col(CalendarEvent.google_event_id).is_not(None),
                col(CalendarEvent.google_calendar_id).is_not(None),
                col(CalendarEvent.origin) == EventOrigin.GOOGLE,
            ),
        )
    ).all()
    for event in linked:
        if event.origin is EventOrigin.GOOGLE:
            session.delete(event)
            removed += 1
            continue
        event.google_event_id = None
        event.google_calendar_id = None
        event.google_etag = None
        event.google_updated_at = None
        # Unlinked and local only: the next sync pushes it to the new account (within the
        # first-sync horizon); a session deleted here has nothing left to tell Google.
        event.sync_state = SyncState.LOCAL_ONLY if event.deleted_at is None else SyncState.SYNCED
        session.add(event)
    audit.record(
        session,
        "google_account_changed",
        f"Google account {credential.account_email} replaced: its calendar choices, sync tokens "
        f"and channels were reset and {removed} of its events removed",
        trainer_id=trainer_id,
        integration=Integration.GOOGLE_CALENDAR,
        details={"events_removed": removed},
    )
    session.flush()


def disconnect_google(
    actor: Actor,
    trainer_id: str,
    *,
    keep_events: bool,
    session: Session,
    settings: Settings,
    cipher: TokenCipher,
) -> int:
    """Revoke the grant, stop every channel, forget the tokens; returns events removed."""
    actor.require(Capability.MANAGE_TRAINER, trainer_id)
    credential = session.exec(
        select(IntegrationCredential).where(
            IntegrationCredential.trainer_id == trainer_id,
            IntegrationCredential.integration == Integration.GOOGLE_CALENDAR,
        )
    ).first()
    if credential is None:
        return 0
    _stop_channels(credential, settings, cipher, session=session)
    _revoke(credential, settings, cipher)
    removed = 0
    events = session.exec(
        select(CalendarEvent).where(
            CalendarEvent.trainer_id == trainer_id, col(CalendarEvent.google_event_id).is_not(None)
        )
    ).all()
    for event in events:
        if event.origin is EventOrigin.GOOGLE and not keep_events:
            session.delete(event)
            removed += 1
        else:  # kept events and CRM sessions stay, no longer linked to Google
            event.google_event_id = None
            event.google_calendar_id = None
            event.google_etag = None
            session.add(event)
    session.delete(credential)
    audit.record(
        session,
        "google_disconnected",
        f"Google account {credential.account_email} disconnected",
        trainer_id=trainer_id,
        integration=Integration.GOOGLE_CALENDAR,
        actor_user_id=actor.user_id,
        details={"events_removed": removed, "kept_events": keep_events},
    )
    session.commit()
    return removed


def _stop_channels(
    credential: IntegrationCredential, settings: Settings, cipher: TokenCipher, *, session: Session
) -> None:
    """Stop Google's pushes while our token still works; then forget the channels."""
    live = channels.active_channels(session, credential.trainer_id)
    if not live:
        return
    try:
        credentials = credentials_for(credential, settings, cipher)
    except DecryptionError:
        # The token cannot be read: Google cannot be asked; the channels expire there alone.
        for channel in live:
            channel.stopped_at = utcnow()
            session.add(channel)
        session.commit()
        return
    service = calendar_service(credentials, settings)
    try:
        for channel in live:
            channels.stop_channel(
                service, lambda request: request.execute(), channel, session=session
            )
    finally:
        service.close()


#: For the sync settings: a switch away from realtime stops the channels at once.
stop_channels = _stop_channels


def _revoke(credential: IntegrationCredential, settings: Settings, cipher: TokenCipher) -> None:
    """Best effort: a grant already revoked on Google's side is as good as revoked."""
    encrypted = credential.refresh_token_encrypted or credential.access_token_encrypted
    if not encrypted or not settings.GOOGLE_REVOKE_URI:
        return
    try:
        token = cipher.decrypt(encrypted)
    except DecryptionError:
        log.warning(
            "the Google grant cannot be revoked: its token cannot be read with the configured keys",
            extra={"event": "google_revoke_failed", "trainer_id": credential.trainer_id},
        )
        return
    try:
        response = httpx.post(
            settings.GOOGLE_REVOKE_URI,
            data={"token": token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=10,
        )
    except httpx.HTTPError as failure:
        log.warning(
            "revoking the Google grant failed: %s",
            type(failure).__name__,
            extra={"event": "google_revoke_failed", "trainer_id": credential.trainer_id},
        )
        return
    if response.status_code not in (200, 400):
        log.warning(
            "revoking the Google grant answered %s",
            response.status_code,
            extra={"event": "google_revoke_failed", "trainer_id": credential.trainer_id},
        )
