"""Google push channels: open one per realtime calendar, renew before expiry, stop on disconnect,
and turn each notification into at most one pending sync.

Notifications are authenticated by channel id and a secret token (compared in constant time);
`sync` messages, duplicates and stale message numbers change nothing. When queueing the sync of a
claimed message number fails, the claim is undone and Google is answered 503, so its retry of the
same message is taken, not dropped as a duplicate.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from db.models import (
    GoogleCalendarSyncSettings,
    SyncFrequency,
    WebhookChannel,
    utcnow,
)
from integrations.config import Settings
from integrations.core.crypto import DecryptionError, TokenCipher
from integrations.core.retry import ErrorKind, classify

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/functions/v1/google-webhook"
CHANNEL_TTL = timedelta(days=7)
#: Channels are renewed when they have less than this left.
RENEW_BEFORE = timedelta(days=1)
#: Google's message numbers are 64-bit and grow per channel; the column is a BIGINT.
MAX_MESSAGE_NUMBER = 2**63 - 1
MESSAGE_NUMBER_HEADER = "X-Goog-Message-Number"


class InvalidNotification(ValueError):
    """A push whose headers Google would never send; `header` names the one at fault."""

    def __init__(self, header: str, message: str) -> None:
        super().__init__(message)
        self.header = header


@dataclass(frozen=True, slots=True)
class Notification:
    channel_id: str
    token: str
    resource_state: str
    message_number: int
    resource_id: str | None


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to answer Google, and which trainer (if any) should sync."""

    status: int
    outcome: str
    trainer_id: str | None = None


def wants_channels(sync_settings: GoogleCalendarSyncSettings) -> bool:
    return (
        sync_settings.auto_sync_enabled and sync_settings.sync_frequency is SyncFrequency.REALTIME
    )


def open_channel(
    service: Any,
    execute: Any,
    *,
    trainer_id: str,
    calendar_id: str,
    settings: Settings,
    cipher: TokenCipher,
    session: Session,
) -> WebhookChannel:
    """Ask Google to push changes of one calendar to our webhook; store the channel."""
    channel_id = uuid.uuid4().hex
    token = secrets.token_urlsafe(32)
    body = {
        "id": channel_id,
        "type": "web_hook",
        "address": f"{settings.API_PUBLIC_URL.rstrip('/')}{WEBHOOK_PATH}",
        "token": token,
        "params": {"ttl": str(int(CHANNEL_TTL.total_seconds()))},
    }
    answer = execute(service.events().watch(calendarId=calendar_id, body=body))
    expiration = answer.get("expiration")
    channel = WebhookChannel(
        trainer_id=trainer_id,
        calendar_id=calendar_id,
        channel_id=channel_id,
        resource_id=answer.get("resourceId"),
        token_encrypted=cipher.encrypt(token),
        expires_at=datetime.fromtimestamp(int(expiration) / 1000, UTC) if expiration else None,
    )
    session.add(channel)
    session.commit()
    return channel


def stop_channel(service: Any, execute: Any, channel: WebhookChannel, *, session: Session) -> None:
    """Tell Google to stop pushing; a channel Google already forgot is as good as stopped."""
    try:
        execute(
            service.channels().stop(
                body={"id": channel.channel_id, "resourceId": channel.resource_id}
            )
        )
    except Exception as failure:
        if classify(failure).kind not in (ErrorKind.NOT_FOUND, ErrorKind.GONE):
            log.warning(
                "stopping channel failed: %s",
                type(failure).__name__,
                extra={"event": "channel_stop_failed", "channel_id": channel.channel_id},
            )
    channel.stopped_at = utcnow()
    session.add(channel)
    session.commit()


def active_channels(session: Session, trainer_id: str) -> list[WebhookChannel]:
    return list(
        session.exec(
            select(WebhookChannel).where(
                WebhookChannel.trainer_id == trainer_id, col(WebhookChannel.stopped_at).is_(None)
            )
        ).all()
    )


def ensure_channels(
    service: Any,
    execute: Any,
    *,
    trainer_id: str,
    calendar_ids: list[str],
    sync_settings: GoogleCalendarSyncSettings,
    settings: Settings,
    cipher: TokenCipher,
    session: Session,
    now: datetime | None = None,
) -> int:
    """Channels for exactly the calendars that want them; renew new-first, then stop the old."""
    now = now or utcnow()
    wanted = set(calendar_ids) if wants_channels(sync_settings) else set()
    opened = 0
    current = active_channels(session, trainer_id)
    for calendar_id in wanted:
        live = [c for c in current if c.calendar_id == calendar_id]
        fresh = [c for c in live if c.expires_at is None or c.expires_at - now > RENEW_BEFORE]
        if not fresh:
            open_channel(
                service,
                execute,
                trainer_id=trainer_id,
                calendar_id=calendar_id,
                settings=settings,
                cipher=cipher,
                session=session,
            )
            opened += 1
        for old in live:
            if old not in fresh or (len(fresh) > 1 and old is not fresh[0]):
                stop_channel(service, execute, old, session=session)
    for channel in current:
        if channel.calendar_id not in wanted and channel.stopped_at is None:
            stop_channel(service, execute, channel, session=session)
    return opened


def parse_headers(headers: Any) -> Notification | None:
    """Our view of a push; None when it is not one. Raises InvalidNotification for a push
    without a usable message number (Google always sends one: without it no duplicate could be
    told apart)."""
    channel_id = headers.get("x-goog-channel-id")
    state = headers.get("x-goog-resource-state")
    if not channel_id or not state:
        return None
    message_number = _message_number(headers.get("x-goog-message-number"))
    return Notification(
        channel_id=str(channel_id),
        token=str(headers.get("x-goog-channel-token") or ""),
        resource_state=str(state),
        message_number=message_number,
        resource_id=headers.get("x-goog-resource-id"),
    )


def _message_number(value: str | None) -> int:
    if value is None or not value.strip():
        raise InvalidNotification(MESSAGE_NUMBER_HEADER, f"{MESSAGE_NUMBER_HEADER} is missing")
    text = value.strip()
    # Digits only, and few enough of them that int() stays cheap and the BIGINT column fits.
    if not text.isascii() or not text.isdigit() or len(text) > 19 or int(text) > MAX_MESSAGE_NUMBER:
        raise InvalidNotification(
            MESSAGE_NUMBER_HEADER,
            f"{MESSAGE_NUMBER_HEADER} must be a whole number from 0 to {MAX_MESSAGE_NUMBER}",
        )
    return int(text)


_PUSH_TABLE: sa.Table = WebhookChannel.__table__  # type: ignore[attr-defined]
# `receive`'s statements, built once: it runs for every push Google sends, and building them
# anew each time cost more than running them.
_CHANNEL_FOR_PUSH = sa.select(
    _PUSH_TABLE.c.channel_id,
    _PUSH_TABLE.c.trainer_id,
    _PUSH_TABLE.c.token_encrypted,
    _PUSH_TABLE.c.resource_id,
    _PUSH_TABLE.c.stopped_at,
    _PUSH_TABLE.c.expires_at,
    _PUSH_TABLE.c.last_message_number,
).where(_PUSH_TABLE.c.channel_id == sa.bindparam("push_channel_id"))
_CLAIM_MESSAGE = (
    sa.update(_PUSH_TABLE)
    .where(
        _PUSH_TABLE.c.channel_id == sa.bindparam("push_channel_id"),
        sa.or_(
            _PUSH_TABLE.c.last_message_number.is_(None),
            _PUSH_TABLE.c.last_message_number < sa.bindparam("push_number"),
        ),
    )
    .values(
        last_message_number=sa.bindparam("push_number"),
        last_notified_at=sa.bindparam("push_now", type_=_PUSH_TABLE.c.last_notified_at.type),
    )
)


def receive(
    notification: Notification,
    *,
    session: Session,
    cipher: TokenCipher,
    queue_sync: Callable[[str, sa.Connection], object] | None = None,
    now: datetime | None = None,
) -> Verdict:
    """Authenticate and de-duplicate one push; say whether its trainer should sync.

    `queue_sync(trainer_id, connection)` is called once the message number is claimed, in the
    claim's transaction (its "sync waiting" mark commits with the claim: one commit per push):
    if it raises, both are rolled back and the verdict is 503, so Google's retry is taken later.
    """
    now = now or utcnow()
    channel = session.execute(
        _CHANNEL_FOR_PUSH, {"push_channel_id": notification.channel_id}
    ).first()
    if channel is None or channel.stopped_at is not None:
        return Verdict(200, "unknown_channel")  # a 2xx, or Google keeps retrying
    try:
        expected = cipher.decrypt(channel.token_encrypted)
    except DecryptionError:
        return Verdict(403, "bad_token")
    if not hmac.compare_digest(expected.encode(), notification.token.encode()):
        return Verdict(403, "bad_token")
    if (
        notification.resource_id
        and channel.resource_id
        and notification.resource_id != channel.resource_id
    ):
        return Verdict(403, "wrong_resource")
    if channel.expires_at is not None and channel.expires_at <= now:
        # Google stops a channel at its expiry; a message after it is a replay or a stale copy.
        return Verdict(410, "channel_expired")
    number = notification.message_number
    # One atomic compare-and-set: of two concurrent deliveries of one message, one wins.
    claimed = session.execute(
        _CLAIM_MESSAGE,
        {"push_channel_id": channel.channel_id, "push_number": number, "push_now": now},
    )
    if claimed.rowcount == 0:  # type: ignore[attr-defined]
        session.rollback()
        return Verdict(200, "duplicate")
    if notification.resource_state != "sync" and queue_sync is not None:
        try:
            queue_sync(channel.trainer_id, session.connection())
        except Exception as failure:  # any queue failure: Google must retry, not be told done
            # The claim (and the "sync waiting" mark, taken in this transaction) are undone,
            # so Google's retry of this message is taken.
            session.rollback()
            log.warning(
                "queueing the sync of a push failed: %s",
                type(failure).__name__,
                extra={"event": "webhook_queue_failed", "channel_id": channel.channel_id},
            )
            return Verdict(503, "queue_unavailable")
    session.commit()
    if notification.resource_state == "sync":
        return Verdict(200, "sync_message")
    return Verdict(200, "sync_queued", trainer_id=channel.trainer_id)
