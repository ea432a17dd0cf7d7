"""The mail emulator's HTTP side: the web inbox (/) and the control API (/_emulator/...).

The control API needs no credentials, like the Google emulator's: it is for tests and the demo,
on loopback. Faults and bounce rules are JSON, in the fields the README lists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from html import escape
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from emulators.smtp import inbox
from emulators.smtp.dsn import RecipientReport
from emulators.smtp.faults import BounceAction, BounceRule, Fault, FaultBook, FaultKind, Stage
from emulators.smtp.smtp_server import send_dsn
from emulators.smtp.store import MailStore, StoredMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Endpoints:
    """Where the servers listen, for the health answer and the inbox's front page."""

    host: str
    smtp_port: int
    pop3_port: int
    http_port: int
    starttls: bool


class FaultIn(BaseModel):
    stage: Stage
    kind: FaultKind = "reply"
    code: int = Field(451, ge=400, le=599)
    text: str | None = None
    times: int | None = Field(1, ge=1)
    recipient: str | None = None
    seconds: float = Field(0.0, ge=0, le=300)
    afterBytes: int = Field(1, ge=0)  # noqa: N815 - the control API's JSON names


class BounceIn(BaseModel):
    recipient: str | None = None
    action: BounceAction = "failed"
    status: str = Field("5.1.1", pattern=r"^[245]\.\d{1,3}\.\d{1,3}$")
    diagnostic: str | None = None
    seconds: float = Field(0.0, ge=0, le=3600)
    times: int | None = Field(1, ge=1)


class BounceNowIn(BaseModel):
    recipients: list[str] | None = None
    action: BounceAction = "failed"
    status: str = Field("5.1.1", pattern=r"^[245]\.\d{1,3}\.\d{1,3}$")
    diagnostic: str | None = None


class UserIn(BaseModel):
    user: str
    password: str


class MailboxIn(BaseModel):
    address: str
    password: str


def bounce_now(store: MailStore, message: StoredMessage, body: BounceNowIn) -> str:
    """Send the DSN for `message` at once; returns the DSN's id."""
    rule = BounceRule(None, body.action, body.status, body.diagnostic)
    recipients = body.recipients or list(message.recipients)
    reports = [
        RecipientReport(r, rule.action, rule.status, rule.diagnostic_code(r)) for r in recipients
    ]
    return send_dsn(store, message, reports)


def build_control_router(
    store: MailStore, faults: FaultBook, endpoints: Endpoints, certificate_pem: bytes | None
) -> APIRouter:
    router = APIRouter(prefix="/_emulator")

    def message_or_404(message_id: str) -> StoredMessage:
        message = store.get(message_id)
        if message is None:
            raise HTTPException(404, f"no message {message_id}")
        return message

    @router.get("/health")
    def health() -> dict[str, Any]:
        return {
            "ok": True,
            "smtp": {"host": endpoints.host, "port": endpoints.smtp_port},
            "pop3": {"host": endpoints.host, "port": endpoints.pop3_port},
            "starttls": endpoints.starttls,
        }

    @router.get("/tls/certificate")
    def certificate() -> Response:
        """The STARTTLS certificate (PEM): load it as the client's only CA."""
        if certificate_pem is None:
            raise HTTPException(404, "STARTTLS is off")
        return Response(certificate_pem, media_type="application/x-pem-file")

    @router.post("/faults")
    def add_fault(body: FaultIn) -> dict[str, Any]:
        fault = Fault(
            stage=body.stage,
            kind=body.kind,
            code=body.code,
            text=body.text,
            times=body.times,
            recipient=body.recipient,
            seconds=body.seconds,
            after_bytes=body.afterBytes,
        )
        faults.add(fault)
        return fault.describe()

    @router.get("/faults")
    def list_faults() -> dict[str, object]:
        return faults.describe()

    @router.delete("/faults")
    def clear_faults() -> dict[str, bool]:
        """Clear faults and bounce rules."""
        faults.clear()
        return {"ok": True}

    @router.post("/bounces")
    def add_bounce(body: BounceIn) -> dict[str, object]:
        rule = BounceRule(
            body.recipient, body.action, body.status, body.diagnostic, body.seconds, body.times
        )
        faults.add_bounce(rule)
        return rule.describe()

    @router.get("/messages")
    def list_messages(
        mailbox: str | None = None, recipient: str | None = None
    ) -> dict[str, object]:
        chosen = store.list_messages(mailbox=mailbox, recipient=recipient)
        return {"messages": [m.summary() for m in chosen]}

    @router.get("/messages/{message_id}")
    def get_message(message_id: str) -> dict[str, object]:
        message = message_or_404(message_id)
        return {
            **message.summary(),
            "headers": [[name, str(value)] for name, value in message.parsed.items()],
        }

    @router.get("/messages/{message_id}/raw")
    def raw_message(message_id: str, recipient: str | None = None) -> Response:
        """As the client sent it, or with `recipient` as that mailbox holds it."""
        message = message_or_404(message_id)
        content = message.delivered(recipient, store.hostname) if recipient else message.content
        return Response(content, media_type="message/rfc822")

    @router.post("/messages/{message_id}/bounce")
    def bounce(message_id: str, body: BounceNowIn) -> dict[str, str]:
        message = message_or_404(message_id)
        if not message.envelope_from:
            raise HTTPException(409, "a message with a null reverse path is never bounced")
        return {"dsnId": bounce_now(store, message, body)}

    @router.delete("/messages")
    def clear_messages() -> dict[str, bool]:
        store.reset()
        return {"ok": True}

    @router.get("/stats")
    def stats() -> dict[str, int]:
        return store.stats()

    @router.post("/smtp-users")
    def add_user(body: UserIn) -> dict[str, str]:
        store.add_smtp_user(body.user, body.password)
        return {"user": body.user}

    @router.post("/pop3-accounts")
    def add_mailbox(body: MailboxIn) -> dict[str, str]:
        store.add_pop3_account(body.address, body.password)
        return {"address": body.address}

    @router.post("/reset")
    def reset() -> dict[str, bool]:
        """Forget messages, counters, faults and bounce rules; keep the accounts."""
        store.reset()
        faults.clear()
        return {"ok": True}

    return router


def build_inbox_router(store: MailStore, endpoints: Endpoints) -> APIRouter:
    router = APIRouter()

    def html(text: str, status_code: int = 200) -> HTMLResponse:
        return HTMLResponse(text, status_code=status_code)

    def message_or_404(message_id: str) -> StoredMessage:
        message = store.get(message_id)
        if message is None:
            raise HTTPException(404, f"no message {message_id}")
        return message

    @router.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        return html(
            inbox.index_page(
                store,
                f"{endpoints.host}:{endpoints.smtp_port}",
                f"{endpoints.host}:{endpoints.pop3_port}",
            )
        )

    @router.get("/mailbox/{mailbox}", response_class=HTMLResponse)
    def mailbox(mailbox: str) -> HTMLResponse:
        return html(inbox.mailbox_page(store, mailbox))

    @router.get("/messages/{message_id}", response_class=HTMLResponse)
    def message(message_id: str) -> HTMLResponse:
        return html(inbox.message_page(message_or_404(message_id)))

    @router.get("/messages/{message_id}/raw")
    def raw(message_id: str) -> Response:
        found = message_or_404(message_id)
        source = found.delivered(found.recipients[0], store.hostname)
        # Shown as text whatever the message claims to be; never sniffed into HTML.
        return Response(source, media_type="text/plain; charset=utf-8")

    @router.post("/messages/{message_id}/unsubscribe", response_class=HTMLResponse)
    def unsubscribe(message_id: str) -> HTMLResponse:
        """RFC 8058 one-click: the mail provider, not the browser, POSTs to the sender's URL."""
        found = message_or_404(message_id)
        uris, one_click = inbox.unsubscribe_targets(found.parsed)
        web = [u for u in uris if u.lower().startswith(("https:", "http:"))]
        if not one_click or not web:
            return html(inbox.message_page(found, "This message offers no one-click unsubscribe."))
        try:
            answer = httpx.post(
                web[0], data={"List-Unsubscribe": "One-Click"}, timeout=10, follow_redirects=False
            )
            notice = f"One-click unsubscribe sent to {web[0]}: HTTP {answer.status_code}."
            store.count("unsubscribe.posted")
        except httpx.HTTPError as error:
            notice = f"One-click unsubscribe to {web[0]} failed: {error}"
            store.count("unsubscribe.failed")
        return html(inbox.message_page(found, notice))

    @router.post("/messages/{message_id}/bounce", response_class=HTMLResponse)
    def bounce(message_id: str) -> HTMLResponse:
        found = message_or_404(message_id)
        if not found.envelope_from:
            return html(inbox.message_page(found, "A bounce is never bounced."))
        dsn_id = bounce_now(store, found, BounceNowIn())
        return html(inbox.message_page(found, f"DSN {dsn_id} sent to {found.envelope_from}."))

    return router


def create_app(
    store: MailStore,
    faults: FaultBook,
    endpoints: Endpoints,
    *,
    certificate_pem: bytes | None = None,
) -> FastAPI:
    app = FastAPI(title="Mail emulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = store
    app.state.faults = faults
    app.include_router(build_control_router(store, faults, endpoints, certificate_pem))
    app.include_router(build_inbox_router(store, endpoints))

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers["Content-Security-Policy"] = inbox.CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    @app.exception_handler(HTTPException)
    def not_found(request: Request, failure: HTTPException) -> Response:
        if request.url.path.startswith("/_emulator/"):
            return JSONResponse({"detail": failure.detail}, status_code=failure.status_code)
        return HTMLResponse(
            inbox.page("Not found", f"<p>{escape(str(failure.detail))}</p>"),
            status_code=failure.status_code,
        )

    return app
