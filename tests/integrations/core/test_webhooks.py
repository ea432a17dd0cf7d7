"""The webhook base: a provider fills in `parse` and `receive`; the base reads the request,
answers malformed and foreign requests itself, batches the store work and answers each
delivery as its receiver said. A signed form-body receiver (the shape of Twilio's status
callbacks) proves the base is not Google's; an integration registered with it is served by the
api process without the api's code changing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from fastapi.testclient import TestClient

from integrations.config import Settings, load_settings
from integrations.core import registry
from integrations.core.webhooks import InvalidWebhook, WebhookReceiver
from integrations.processes.api import create_app
from tests.support.noop_integration import NoopIntegration

PATH = "/functions/v1/form-webhook"
SECRET = b"form-secret"


@dataclass(frozen=True)
class Answer:
    status: int
    outcome: str


@dataclass(frozen=True)
class StatusUpdate:
    message_id: str
    status: str


def sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET, body, hashlib.sha1).digest()).decode()


@dataclass
class FormReceiver:
    """Form-encoded, HMAC-signed status updates: the body is needed, one header is read."""

    path: str = PATH
    header_prefix: bytes = b"x-form-"
    reads_body: bool = True
    not_ours: str = "not a form status callback"
    lanes: int = 1
    #: Each call of `receive`, as the deliveries it was given.
    batches: list[list[StatusUpdate]] = field(default_factory=list)
    #: Held by a test to make deliveries pile up while the lane is busy.
    gate: threading.Event = field(default_factory=threading.Event)
    seen_headers: list[Mapping[str, str]] = field(default_factory=list)

    def parse(self, headers: Mapping[str, str], body: bytes) -> StatusUpdate | None:
        self.seen_headers.append(dict(headers))
        signature = headers.get("x-form-signature")
        if signature is None:
            return None
        if not hmac.compare_digest(signature, sign(body)):
            raise InvalidWebhook("X-Form-Signature", "the signature does not match the body")
        form = dict(parse_qsl(body.decode()))
        if "MessageSid" not in form:
            raise InvalidWebhook("MessageSid", "no message id")
        return StatusUpdate(form["MessageSid"], form.get("MessageStatus", ""))

    def receive(self, deliveries: list[StatusUpdate]) -> Sequence[Answer | BaseException]:
        self.gate.wait(timeout=10)
        self.batches.append(list(deliveries))
        return [
            RuntimeError("store down") if d.status == "boom" else Answer(200, f"noted_{d.status}")
            for d in deliveries
        ]


@dataclass
class FormIntegration(NoopIntegration):
    """The noop integration, with a webhook."""

    name: str = "form"
    receiver: FormReceiver = field(default_factory=FormReceiver)

    def webhook_receivers(self, settings: Settings) -> Sequence[WebhookReceiver[Any]]:
        return (self.receiver,)


@pytest.fixture
def form(database_url: str) -> Iterator[FormIntegration]:
    integration = FormIntegration()
    integration.receiver.gate.set()
    with registry.registered(integration):
        yield integration


def post(client: TestClient, fields: dict[str, str], *, signature: str | None = None) -> Any:
    body = urlencode(fields).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Form-Signature": sign(body) if signature is None else signature,
        "X-Other": "not for the receiver",
    }
    return client.post(PATH, content=body, headers=headers)


def test_a_registered_integrations_webhook_is_served_and_answered_as_its_receiver_says(
    form: FormIntegration,
) -> None:
    client = TestClient(create_app(load_settings()))
    answer = post(client, {"MessageSid": "SM1", "MessageStatus": "delivered"})
    assert (answer.status_code, answer.headers["X-Outcome"]) == (200, "noted_delivered")
    assert form.receiver.batches == [[StatusUpdate("SM1", "delivered")]]
    # Only the headers it asked for reach the receiver.
    assert set(form.receiver.seen_headers[0]) == {"x-form-signature"}


def test_without_the_integration_the_path_is_not_served(database_url: str) -> None:
    client = TestClient(create_app(load_settings()))
    assert client.post(PATH, content=b"MessageSid=SM1").status_code == 404


def test_a_forged_or_malformed_request_is_a_400_naming_the_field_and_reaches_no_store(
    form: FormIntegration,
) -> None:
    client = TestClient(create_app(load_settings()))
    forged = post(client, {"MessageSid": "SM1"}, signature=sign(b"something else"))
    assert forged.status_code == 400
    assert forged.headers["X-Outcome"] == "invalid_header"
    assert forged.json() == {
        "error": "the signature does not match the body",
        "header": "X-Form-Signature",
    }
    missing = post(client, {"MessageStatus": "sent"})
    assert (missing.status_code, missing.json()["header"]) == (400, "MessageSid")
    foreign = client.post(PATH, content=b"MessageSid=SM1")
    assert (foreign.status_code, foreign.json()) == (400, {"error": "not a form status callback"})
    assert form.receiver.batches == []


def test_a_delivery_whose_store_work_failed_is_a_500_so_the_provider_retries_it_alone(
    form: FormIntegration,
) -> None:
    client = TestClient(create_app(load_settings()), raise_server_exceptions=False)
    assert post(client, {"MessageSid": "SM1", "MessageStatus": "boom"}).status_code == 500
    ok = post(client, {"MessageSid": "SM2", "MessageStatus": "sent"})
    assert (ok.status_code, ok.headers["X-Outcome"]) == (200, "noted_sent")


def test_deliveries_arriving_while_the_lane_is_busy_reach_the_receiver_together(
    database_url: str,
) -> None:
    integration = FormIntegration()
    receiver = integration.receiver
    with registry.registered(integration):
        client = TestClient(create_app(load_settings()))
        answers: list[int] = []

        def send(number: int) -> None:
            fields = {"MessageSid": f"SM{number}", "MessageStatus": "sent"}
            answers.append(post(client, fields).status_code)

        # The first delivery holds the only lane until the gate opens; the rest wait in line.
        senders = [threading.Thread(target=send, args=(n,)) for n in range(6)]
        for sender in senders:
            sender.start()
        while len(receiver.seen_headers) < 6:
            threading.Event().wait(0.01)
        receiver.gate.set()
        for sender in senders:
            sender.join(timeout=20)
    assert answers == [200] * 6
    assert sum(len(batch) for batch in receiver.batches) == 6
    assert len(receiver.batches) < 6  # some arrived together and were received in one call
