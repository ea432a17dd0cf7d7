"""The ASGI app: health, and Google Calendar push notifications at /functions/v1/google-webhook.

Run with `python -m integrations api` (uvicorn, factory `integrations.processes.api:create_app`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from db.engine import POOL_SIZE, get_engine
from db.models import SyncTrigger
from integrations.config import Settings, get_settings
from integrations.core.crypto import cipher_from_settings
from integrations.core.lanes import Lanes
from integrations.core.liveness import check_store
from integrations.core.queue import check_queue, make_huey
from integrations.google_calendar import channels
from integrations.google_calendar.channels import WEBHOOK_PATH
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


def create_app(settings: Settings | None = None, *, queue_sync: SyncQueue | None = None) -> Api:
    """`queue_sync` defaults to the worker's queue (`schedule_sync`); tests pass one whose
    storage is down."""
    settings = settings or get_settings()
    enqueue = queue_sync or schedule_sync
    app = Api(title="NEWYM Integrations API", docs_url=None, redoc_url=None, openapi_url=None)
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

    def queue(trainer_id: str, connection: sa.Connection) -> None:
        enqueue(
            trainer_id, SyncTrigger.WEBHOOK, delay=WEBHOOK_DEBOUNCE_SECONDS, connection=connection
        )

    tokens = channels.KnownTokens()
    waiting = channels.WaitingPushes(engine, tokens=tokens, pending=pending)

    def receive_one(notification: channels.Notification) -> channels.Verdict:
        """A push `waiting` did not take, in one short transaction; once more if the store
        dropped the connection (a restarted PostgreSQL: the pool connects afresh), rather than
        a 500 to Google."""
        for attempt in (1, 2):
            try:
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

    def receive_batch(
        notifications: list[channels.Notification],
    ) -> list[channels.Verdict | BaseException]:
        """The pushes that arrived together: most of a burst in `waiting`'s statements, the
        rest one by one (a failure answers only its own push)."""
        verdicts: list[channels.Verdict | BaseException] = []
        for notification, taken in zip(notifications, waiting.receive(notifications), strict=True):
            if taken is not None:
                verdicts.append(taken)
                continue
            try:
                verdicts.append(receive_one(notification))
            except Exception as failure:
                verdicts.append(failure)
        return verdicts

    # As many batches at once as the pool has connections: more only opened and closed
    # connections (PostgreSQL) or waited on SQLite's single writer in its busy handler.
    lanes = Lanes(receive_batch, lanes=1 if engine.dialect.name == "sqlite" else POOL_SIZE)
    app.push = PushEndpoint(lanes)
    app.router.routes.append(Route(WEBHOOK_PATH, app.push, methods=["POST"]))
    return app


class PushEndpoint:
    """Google push: authenticate, de-duplicate, queue at most one sync; answer at once.

    A bare ASGI endpoint, called by `Api` before FastAPI's middleware and routing (and routed
    there too, for the 405 of other methods): of the CPU a push cost, Starlette's request and
    response objects and five middleware layers were a fifth, and gave it nothing. The store
    work goes to `lanes`.
    """

    def __init__(self, lanes: Lanes[channels.Notification, channels.Verdict]) -> None:
        self._lanes = lanes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The first of each (as Starlette's Headers.get); ASGI gives names in lower case.
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            if name.startswith(b"x-goog-"):
                headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        try:
            notification = channels.parse_headers(headers)
        except channels.InvalidNotification as invalid:
            refused = JSONResponse(
                {"error": str(invalid), "header": invalid.header},
                status_code=400,
                headers={"X-Outcome": "invalid_header"},
            )
            await refused(scope, receive, send)
            return
        if notification is None:
            not_a_push = JSONResponse({"error": "not a Google push notification"}, status_code=400)
            await not_a_push(scope, receive, send)
            return
        verdict = await self._lanes.run(notification)
        await send(
            {
                "type": "http.response.start",
                "status": verdict.status,
                "headers": [(b"content-length", b"0"), (b"x-outcome", verdict.outcome.encode())],
            }
        )
        await send({"type": "http.response.body", "body": b""})


class Api(FastAPI):
    """The api's FastAPI app, with Google's pushes answered by `push` before the rest."""

    push: PushEndpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == WEBHOOK_PATH and scope["method"] == "POST":
            await self.push(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
