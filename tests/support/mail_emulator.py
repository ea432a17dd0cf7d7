"""The mail emulator as the standard library's clients meet it: SMTP, POP3 and the web inbox on
free loopback ports, in a thread of this process.

One emulator for the session (`mail_emulator_session`); `mail_emulator` resets it before each
test (messages, counters, faults, bounce rules), so tests never see each other's mail. Both are
registered for the suite by tests/conftest.py; a test names `mail_emulator` to use it.
"""

from __future__ import annotations

import asyncio
import email
import poplib
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import httpx
import pytest

from emulators.smtp.server import MailEmulator, MailEmulatorConfig

SMTP_USER = "newym-tests"
SMTP_PASSWORD = "smtp-secret-for-tests"
BOUNCE_MAILBOX = "bounces@newym.test"
BOUNCE_PASSWORD = "pop3-secret-for-tests"
START_TIMEOUT = 15.0


def _free_loopback_socket() -> socket.socket:
    """Bound to a free 127.0.0.1 port and kept, so no other process takes the port first."""
    # Protocol named explicitly: asyncio sets TCP_NODELAY only on IPPROTO_TCP sockets.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass(frozen=True)
class MailEmulatorClient:
    """Where a running emulator listens, and the calls tests make to it."""

    host: str
    smtp_port: int
    pop3_port: int
    http_url: str
    certificate_pem: str

    def tls_context(self) -> ssl.SSLContext:
        """A client context that trusts the emulator's certificate and nothing else."""
        return ssl.create_default_context(cadata=self.certificate_pem)

    def smtp(self, *, login: bool = True, timeout: float = 10.0) -> smtplib.SMTP:
        """smtplib connected by name (`localhost`, as the certificate says), after STARTTLS and,
        unless `login=False`, AUTH."""
        client = smtplib.SMTP("localhost", self.smtp_port, timeout=timeout)
        try:
            client.starttls(context=self.tls_context())
            if login:
                client.login(SMTP_USER, SMTP_PASSWORD)
        except BaseException:
            client.close()
            raise
        return client

    def pop3(self, mailbox: str = BOUNCE_MAILBOX, password: str = BOUNCE_PASSWORD) -> poplib.POP3:
        client = poplib.POP3(self.host, self.pop3_port, timeout=10)
        try:
            client.user(mailbox)
            client.pass_(password)
        except BaseException:
            client.close()
            raise
        return client

    def control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer = httpx.request(method, f"{self.http_url}{path}", timeout=10, **kwargs)
        assert answer.status_code < 300, answer.text
        return answer

    def fault(self, **fault: Any) -> None:
        self.control("POST", "/_emulator/faults", json=fault)

    def bounce_rule(self, **rule: Any) -> None:
        self.control("POST", "/_emulator/bounces", json=rule)

    def messages(self, **query: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.control(
            "GET", "/_emulator/messages", params=query
        ).json()["messages"]
        return found

    def wait_for_messages(
        self, count: int, *, timeout: float = 10.0, **query: str
    ) -> list[dict[str, Any]]:
        """At least `count` messages matching `query`; fails when they have not come in time."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(**query)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} messages for {query}, got {found}")
            time.sleep(0.02)

    def stats(self) -> dict[str, int]:
        counters: dict[str, int] = self.control("GET", "/_emulator/stats").json()
        return counters

    def reset(self) -> None:
        self.control("POST", "/_emulator/reset")


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def retrieve_all(client: poplib.POP3) -> list[EmailMessage]:
    """Every message of a POP3 maildrop, parsed, in its order."""
    count, _ = client.stat()
    return [parse(b"\r\n".join(client.retr(n)[1]) + b"\r\n") for n in range(1, count + 1)]


@contextmanager
def running_mail_emulator(**config: Any) -> Iterator[MailEmulatorClient]:
    """The emulator on free ports in a thread of its own; stopped on the way out."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(_free_loopback_socket()) for _ in range(3)]
        settings = MailEmulatorConfig(
            smtp_users={SMTP_USER: SMTP_PASSWORD},
            pop3_accounts={BOUNCE_MAILBOX: BOUNCE_PASSWORD},
            **config,
        )
        emulator = MailEmulator(
            settings, smtp_socket=sockets[0], pop3_socket=sockets[1], http_socket=sockets[2]
        )
        failure: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(emulator.serve())
            except BaseException as error:  # reported to the test below
                failure.append(error)

        thread = threading.Thread(target=run, name="mail-emulator", daemon=True)
        thread.start()
        if not emulator.ready.wait(START_TIMEOUT):
            raise RuntimeError(f"the mail emulator did not start: {failure}")
        assert emulator.certificate is not None
        try:
            yield MailEmulatorClient(
                host="127.0.0.1",
                smtp_port=emulator.endpoints.smtp_port,
                pop3_port=emulator.endpoints.pop3_port,
                http_url=f"http://127.0.0.1:{emulator.endpoints.http_port}",
                certificate_pem=emulator.certificate.certificate_pem.decode("ascii"),
            )
        finally:
            emulator.stop()
            thread.join(timeout=10)
        if failure:
            raise failure[0]


@pytest.fixture(scope="session")
def mail_emulator_session() -> Iterator[MailEmulatorClient]:
    with running_mail_emulator() as client:
        yield client


@pytest.fixture
def mail_emulator(mail_emulator_session: MailEmulatorClient) -> MailEmulatorClient:
    """The session's emulator, emptied: no messages, counters, faults or bounce rules."""
    mail_emulator_session.reset()
    return mail_emulator_session
