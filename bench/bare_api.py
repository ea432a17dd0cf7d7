"""The floor for the webhook benchmark: the same stack as the api process (FastAPI under uvicorn,
one process, the same options), answering the push path with no work at all.

Run as `python -m bench.bare_api PORT [async]`; `bench/webhooks.py` starts both kinds beside the
product. A `def` route is what FastAPI runs in a worker thread, as it does any route that blocks
on a store; an `async def` route answers on the event loop itself, the cheapest answer the stack
can give.
"""

from __future__ import annotations

import sys

from fastapi import FastAPI, Response

from integrations.google_calendar.channels import WEBHOOK_PATH


def create_app() -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(WEBHOOK_PATH)
    def notification() -> Response:
        return Response(status_code=200, headers={"X-Outcome": "bare"})

    return app


def create_async_app() -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(WEBHOOK_PATH)
    async def notification() -> Response:
        return Response(status_code=200, headers={"X-Outcome": "bare"})

    return app


if __name__ == "__main__":
    import uvicorn

    # The options of `python -m integrations api` (integrations/processes/cli.py), so only the
    # work differs.
    uvicorn.run(
        "bench.bare_api:create_async_app"
        if sys.argv[2:] == ["async"]
        else "bench.bare_api:create_app",
        factory=True,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        proxy_headers=True,
    )
