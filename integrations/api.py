"""The ASGI app: health, and Google Calendar push notifications at /functions/v1/google-webhook.

Run with `python -m integrations api` (uvicorn, factory `integrations.api:create_app`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import anyio
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.responses import Response

from db.engine import POOL_SIZE, get_engine
from db.models import SyncTrigger
from integrations.config import Settings, get_settings
from integrations.core.crypto import cipher_from_settings
from integrations.core.health import check_store
from integrations.core.queue import check_queue, make_huey
from integrations.google_calendar import channels
from integrations.google_calendar.channels import WEBHOOK_PATH
from integrations.worker import (
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


def create_app(settings: Settings | None = None, *, queue_sync: SyncQueue | None = None) -> FastAPI:
    """`queue_sync` defaults to the worker's queue (`schedule_sync`); tests pass one whose
    storage is down."""
    settings = settings or get_settings()
    enqueue = queue_sync or schedule_sync
    app = FastAPI(title="NEWYM Integrations API", docs_url=None, redoc_url=None, openapi_url=None)
    engine = get_engine(settings.DATABASE_URL)
    huey = make_huey(settings)
    cipher = cipher_from_settings(settings)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        """200 when this process reaches the store and the queue, else 503; nothing more.

        Anyone can call it, so it tells no revision, queue depth, backend or demo mode: the
        operator gets those from `python -m integrations health`, and this process logs which
        part failed.
        """
        parts = {"store": check_store(engine), "queue": check_queue(huey)}
        failing = {name: part for name, part in parts.items() if not part["ok"]}
        if failing:
            log.warning(
                "health check failing: %s",
                ", ".join(
                    f"{name} ({part.get('error', 'unknown')})" for name, part in failing.items()
                ),
                extra={"event": "healthz_unavailable"},
            )
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"}, status_code=200)

    # The "sync waiting" mark, as worker.enqueue_sync names and holds it.
    pending = channels.PendingMark(
        prefix=SYNC_PENDING_LEASE.format(trainer_id=""),
        ttl=SYNC_PENDING_TTL,
        holder=f"queued:{SyncTrigger.WEBHOOK.value}",
    )
    # As many pushes at once as the pool has connections: more only opened and closed
    # connections (PostgreSQL) or waited on SQLite's single writer in its busy handler.
    at_once = anyio.CapacityLimiter(1 if engine.dialect.name == "sqlite" else POOL_SIZE)

    def queue(trainer_id: str, connection: sa.Connection) -> None:
        enqueue(
            trainer_id, SyncTrigger.WEBHOOK, delay=WEBHOOK_DEBOUNCE_SECONDS, connection=connection
        )

    tokens = channels.KnownTokens()
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    def handle(notification: channels.Notification) -> channels.Verdict:
        """One push: in one statement when a sync is waiting already (most of a burst), else in
        one short transaction; once more if the store dropped the connection (a restarted
        PostgreSQL: the pool connects afresh), rather than a 500 to Google."""
        for attempt in (1, 2):
            try:
                with autocommit.connect() as connection:
                    taken = channels.receive_while_waiting(
                        notification, connection=connection, tokens=tokens, pending=pending
                    )
                if taken is not None:
                    return taken
                with engine.connect() as connection:
                    verdict = channels.receive_on(
                        notification,
                        connection=connection,
                        cipher=cipher,
                        queue_sync=queue,
                        pending=pending,
                        tokens=tokens,
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

    async def google_webhook(request: Request) -> Response:
        """Google push: authenticate, de-duplicate, queue at most one sync; answer at once.

        A plain Starlette route: FastAPI's parameter handling gave this one nothing. The store
        work runs in a worker thread, at most `at_once` of them.
        """
        try:
            notification = channels.parse_headers(request.headers)
        except channels.InvalidNotification as invalid:
            return JSONResponse(
                {"error": str(invalid), "header": invalid.header},
                status_code=400,
                headers={"X-Outcome": "invalid_header"},
            )
        if notification is None:
            return JSONResponse({"error": "not a Google push notification"}, status_code=400)
        verdict = await anyio.to_thread.run_sync(handle, notification, limiter=at_once)
        return Response(status_code=verdict.status, headers={"X-Outcome": verdict.outcome})

    app.add_route(WEBHOOK_PATH, google_webhook, methods=["POST"])
    return app
