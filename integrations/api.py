"""The ASGI app: health now; Google webhooks and provider callbacks as integrations arrive.

Run with `python -m integrations api` (uvicorn, factory `integrations.api:create_app`).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from db.engine import get_engine
from integrations.config import Settings, get_settings
from integrations.core.health import check_store, check_worker
from integrations.core.queue import check_queue, make_huey


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="NEWYM Integrations API", docs_url=None, redoc_url=None, openapi_url=None)
    engine = get_engine(settings.DATABASE_URL)
    huey = make_huey(settings)

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

    return app
