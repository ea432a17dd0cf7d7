"""The ASGI app: health, and Google Calendar push notifications at /functions/v1/google-webhook.

Run with `python -m integrations api` (uvicorn, factory `integrations.api:create_app`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from db.engine import get_engine, session_scope
from db.models import SyncTrigger
from integrations.config import Settings, get_settings
from integrations.core.crypto import cipher_from_settings
from integrations.core.health import check_store, check_worker
from integrations.core.queue import check_queue, make_huey
from integrations.google_calendar import channels
from integrations.google_calendar.channels import WEBHOOK_PATH
from integrations.worker import WEBHOOK_DEBOUNCE_SECONDS, enqueue_sync

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
        """200 when this process reaches the store and the queue; 503 names what it cannot."""
        store = check_store(engine)
        queue = check_queue(huey)
        worker = check_worker(engine) if store["ok"] else {"ok": False}
        body: dict[str, Any] = {
            "status": "ok" if store["ok"] and queue["ok"] else "unavailable",
            "demo_mode": settings.demo_mode,
            "store": store,
            "queue": queue,
            "worker": worker,
        }
        return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)

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

        def queue(trainer_id: str) -> None:
            enqueue(trainer_id, SyncTrigger.WEBHOOK, delay=WEBHOOK_DEBOUNCE_SECONDS)

        with session_scope(engine) as session:
            verdict = channels.receive(
                notification, session=session, cipher=cipher, queue_sync=queue
            )
        return Response(status_code=verdict.status, headers={"X-Outcome": verdict.outcome})

    return app
