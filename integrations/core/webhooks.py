"""What every provider's webhook shares: read the request, validate and normalise it, do the
store work of the deliveries that arrived together, answer.

In the manner of django-anymail's `webhooks/base.py`: the base (`WebhookEndpoint`) orchestrates
and owns the HTTP side; a provider's adapter (`WebhookReceiver`) fills in the two methods that
differ between providers: `parse` (is this request the provider's, authentic and well formed,
and what does it say, in our terms) and `receive` (record it, queue the work it asks for, say
what to answer). Google Calendar's push notifications are the first receiver
(`integrations.google_calendar.webhook`); Twilio's status callbacks and Stripe's events fill in
the same two methods.

The endpoint is a bare ASGI callable, answered before FastAPI's middleware and routing (`Api`
in `integrations.processes.api`): a push is cheap work that arrives in bursts, and Starlette's
request and response objects cost more than the work. The store work runs in `Lanes`, a few
threads taking every delivery waiting at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Protocol, TypeVar, runtime_checkable

from starlette.types import Receive, Scope, Send

from integrations.core.lanes import Lanes

Delivery = TypeVar("Delivery")


class InvalidWebhook(ValueError):
    """A request the provider would never send; `field` names the header or field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Answer(Protocol):
    """What a receiver decided for one delivery: the HTTP status the provider gets (a 5xx makes
    it retry) and a short outcome name, sent as `X-Outcome` for operators and tests."""

    @property
    def status(self) -> int: ...

    @property
    def outcome(self) -> str: ...


@runtime_checkable
class WebhookReceiver(Protocol[Delivery]):
    """One provider's webhook, filled in by its integration."""

    #: The path the provider posts to.
    path: str
    #: Only headers whose lower-case name starts with this are decoded and passed to `parse`
    #: (b"" for all): decoding every header of every push is measurable at burst rates.
    header_prefix: bytes
    #: Whether `parse` needs the body (a signed JSON or form body); Google's pushes carry all
    #: in headers, and their bodies are not read.
    reads_body: bool
    #: What the "not ours" answer says, in the provider's terms.
    not_ours: str
    #: How many batches may run at once (the store's pool size; one for SQLite's one writer).
    lanes: int

    def parse(self, headers: Mapping[str, str], body: bytes) -> Delivery | None:
        """The delivery in our terms, or None for a request that is not this provider's at
        all; raises `InvalidWebhook` for one that is, but malformed. No store work here."""
        ...

    def receive(self, deliveries: list[Delivery]) -> Sequence[Answer | BaseException]:
        """The deliveries that arrived together, recorded and their work queued: one answer
        (or the exception that stopped it) per delivery, in order. Runs in a lane's thread."""
        ...


class WebhookEndpoint:
    """The ASGI side of one receiver: validate -> normalise -> receive (batched) -> answer."""

    def __init__(self, receiver: WebhookReceiver[Delivery]) -> None:
        self.receiver = receiver
        self._lanes: Lanes[Delivery, Answer] = Lanes(receiver.receive, lanes=receiver.lanes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The first of each (as Starlette's Headers.get); ASGI gives names in lower case.
        headers: dict[str, str] = {}
        prefix = self.receiver.header_prefix
        for name, value in scope["headers"]:
            if name.startswith(prefix):
                headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        body = await _read_body(receive) if self.receiver.reads_body else b""
        try:
            delivery = self.receiver.parse(headers, body)
        except InvalidWebhook as invalid:
            await _answer(
                send, 400, "invalid_header", {"error": str(invalid), "header": invalid.field}
            )
            return
        if delivery is None:
            await _answer(send, 400, "not_ours", {"error": self.receiver.not_ours})
            return
        answer = await self._lanes.run(delivery)
        await _answer(send, answer.status, answer.outcome)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _answer(
    send: Send, status: int, outcome: str, payload: dict[str, str] | None = None
) -> None:
    body = json.dumps(payload).encode() if payload is not None else b""
    headers = [(b"content-length", str(len(body)).encode()), (b"x-outcome", outcome.encode())]
    if payload is not None:
        headers.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
