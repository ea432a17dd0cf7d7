"""The ASGI app: health, and Google Calendar push notifications at /functions/v1/google-webhook.

Run with `python -m integrations api` (uvicorn, factory `integrations.api:create_app`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from db.engine import get_engine, session_scope
from db.models import SyncTrigger
from integrations.config import Settings, get_settings
from integrations.core.crypto import cipher_from_settings
from integrations.core.health import check_store
from integrations.core.queue import check_queue, make_huey
from integrations.google_calendar import channels
from integrations.google_calendar.channels import WEBHOOK_PATH
from integrations.worker import WEBHOOK_DEBOUNCE_SECONDS, enqueue_sync

log = logging.getLogger(__name__)

#: Queues one sync of a trainer (trainer id, trigger, delay in seconds); True when queued.
SyncQueue = Callable[..., bool]


def create_app(settings: Settings | None = None, *, queue_sync: SyncQueue | None = None) -> FastAPI:
    """`queue_sync` defaults to the worker's queue; tests pass one whose storage is down."""
    settings = settings or get_settings()
    enqueue = queue_sync or enqueue_sync
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

    @app.post(WEBHOOK_PATH)
    def google_webhook(request: Request) -> Response:
        """Google push: authenticate, de-duplicate, queue at most one sync; answer at once.

        The sync is queued before the message number is kept: a 503 when the queue is down
        makes Google retry the same message, which is then taken, not dropped as a duplicate.
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

        def queue(trainer_id: str, connection: sa.Connection) -> None:
            enqueue(
                trainer_id,
                SyncTrigger.WEBHOOK,
                delay=WEBHOOK_DEBOUNCE_SECONDS,
                connection=connection,
            )

        with session_scope(engine) as session:
            verdict = channels.receive(
                notification, session=session, cipher=cipher, queue_sync=queue
            )
        return Response(status_code=verdict.status, headers={"X-Outcome": verdict.outcome})

    return app
