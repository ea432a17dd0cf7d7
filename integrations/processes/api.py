"""The ASGI app: health, and every registered integration's webhooks (Google Calendar's push
notifications at /functions/v1/google-webhook), each through `integrations.core.webhooks`.

Run with `python -m integrations api` (uvicorn, factory `integrations.processes.api:create_app`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from db.engine import get_engine
from integrations.config import Settings, get_settings
from integrations.core import registry
from integrations.core.liveness import check_store
from integrations.core.queue import check_queue, make_huey
from integrations.core.webhooks import WebhookEndpoint, WebhookReceiver

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, *, receivers: Sequence[WebhookReceiver[Any]] | None = None
) -> Api:
    """`receivers` defaults to every registered integration's webhooks, built for these
    settings; tests pass their own (a queue whose storage is down)."""
    settings = settings or get_settings()
    if receivers is None:
        receivers = [
            receiver
            for integration in registry.integrations()
            for receiver in integration.webhook_receivers(settings)
        ]
    app = Api(title="NEWYM Integrations API", docs_url=None, redoc_url=None, openapi_url=None)
    engine = get_engine(settings.DATABASE_URL)
    huey = make_huey(settings)

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

    for receiver in receivers:
        endpoint = WebhookEndpoint(receiver)
        app.endpoints[receiver.path] = endpoint
        # Routed too, so that other methods get FastAPI's 405.
        app.router.routes.append(Route(receiver.path, endpoint, methods=["POST"]))
    return app


class Api(FastAPI):
    """The api's FastAPI app, with providers' webhooks answered before the rest (see
    `integrations.core.webhooks`: of the CPU a push cost, Starlette's request and response
    objects and five middleware layers were a fifth, and gave it nothing)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.endpoints: dict[str, WebhookEndpoint] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            endpoint = self.endpoints.get(scope["path"])
            if endpoint is not None:
                await endpoint(scope, receive, send)
                return
        await super().__call__(scope, receive, send)
