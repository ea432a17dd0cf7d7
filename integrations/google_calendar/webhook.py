"""Google Calendar's push notifications, as a receiver of the shared webhook base
(`integrations.core.webhooks`): headers parsed into a `Notification`, then authenticated,
de-duplicated and turned into at most one queued sync per calendar burst (`channels`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import sqlalchemy as sa

from db.engine import POOL_SIZE, get_engine
from db.models import SyncTrigger
from integrations.config import Settings
from integrations.core.crypto import cipher_from_settings
from integrations.google_calendar import channels
from integrations.processes.worker import (
    SYNC_PENDING_LEASE,
    SYNC_PENDING_TTL,
    WEBHOOK_DEBOUNCE_SECONDS,
    sync_trainer,
)

log = logging.getLogger(__name__)

#: Puts one sync of a trainer on the queue (trainer id, trigger, delay in seconds, connection).
SyncQueue = Callable[..., object]


def schedule_sync(
    trainer_id: str,
    trigger: SyncTrigger,
    *,
    delay: float = 0,
    connection: sa.Connection | None = None,
) -> bool:
    """The worker's sync task, scheduled: the push's claim has taken the trainer's "sync
    waiting" mark already, in its own statement (worker.enqueue_sync takes it for others)."""
    sync_trainer.schedule(args=(trainer_id, trigger.value), delay=delay)
    return True


class GooglePushReceiver:
    """`WebhookReceiver` for Google's pushes at `channels.WEBHOOK_PATH`."""

    path = channels.WEBHOOK_PATH
    header_prefix = b"x-goog-"
    reads_body = False
    not_ours = "not a Google push notification"

    def __init__(self, settings: Settings, *, queue_sync: SyncQueue | None = None) -> None:
        """`queue_sync` defaults to the worker's queue (`schedule_sync`); tests pass one whose
        storage is down."""
        self._engine = get_engine(settings.DATABASE_URL)
        self._cipher = cipher_from_settings(settings)
        self._enqueue = queue_sync or schedule_sync
        # The "sync waiting" mark, as worker.enqueue_sync names and holds it.
        self._pending = channels.PendingMark(
            prefix=SYNC_PENDING_LEASE.format(trainer_id=""),
            ttl=SYNC_PENDING_TTL,
            holder=f"queued:{SyncTrigger.WEBHOOK.value}",
        )
        self._tokens = channels.KnownTokens()
        self._waiting = channels.WaitingPushes(
            self._engine, tokens=self._tokens, pending=self._pending
        )
        # As many batches at once as the pool has connections: more only opened and closed
        # connections (PostgreSQL) or waited on SQLite's single writer in its busy handler.
        self.lanes = 1 if self._engine.dialect.name == "sqlite" else POOL_SIZE

    def parse(self, headers: Mapping[str, str], body: bytes) -> channels.Notification | None:
        return channels.parse_headers(headers)

    def receive(
        self, deliveries: list[channels.Notification]
    ) -> list[channels.Verdict | BaseException]:
        """The pushes that arrived together: most of a burst in `waiting`'s statements, the
        rest one by one (a failure answers only its own push)."""
        verdicts: list[channels.Verdict | BaseException] = []
        taken_all = self._waiting.receive(deliveries)
        for notification, taken in zip(deliveries, taken_all, strict=True):
            if taken is not None:
                verdicts.append(taken)
                continue
            try:
                verdicts.append(self._receive_one(notification))
            except Exception as failure:
                verdicts.append(failure)
        return verdicts

    def _queue(self, trainer_id: str, connection: sa.Connection) -> None:
        self._enqueue(
            trainer_id, SyncTrigger.WEBHOOK, delay=WEBHOOK_DEBOUNCE_SECONDS, connection=connection
        )

    def _receive_one(self, notification: channels.Notification) -> channels.Verdict:
        """A push `waiting` did not take, in one short transaction; once more if the store
        dropped the connection (a restarted PostgreSQL: the pool connects afresh), rather than
        a 500 to Google."""
        for attempt in (1, 2):
            try:
                with self._engine.connect() as connection:
                    verdict = channels.receive_on(
                        notification,
                        connection=connection,
                        cipher=self._cipher,
                        queue_sync=self._queue,
                        pending=self._pending,
                        tokens=self._tokens,
                    )
                    if verdict.commit:
                        connection.commit()
                    return verdict  # not committed: rolled back as the connection closes
            except sa.exc.DBAPIError as failure:
                if attempt == 2 or not failure.connection_invalidated:
                    raise
                log.warning(
                    "the store dropped the connection during a push; trying once more",
                    extra={"event": "webhook_reconnect"},
                )
        raise AssertionError("unreachable")
