"""The whole mail emulator on one event loop: SMTP, POP3 and the web inbox with its control API.

`MailEmulator.serve()` runs until `stop()` (or, when run in the main thread, SIGINT/SIGTERM,
which uvicorn catches). Each server may be handed an already bound socket, so tests take free
ports without a race.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from emulators.smtp.app import Endpoints, create_app
from emulators.smtp.faults import FaultBook
from emulators.smtp.pop3 import pop3_client_handler
from emulators.smtp.smtp_server import FaultySMTP, MailHandler, make_authenticator
from emulators.smtp.store import MailStore
from emulators.smtp.tls import ServerCertificate, make_server_certificate

DEFAULT_SMTP_USER = "newym"
DEFAULT_SMTP_PASSWORD = "newym-demo-smtp"
DEFAULT_BOUNCE_MAILBOX = "bounces@newym.test"
DEFAULT_BOUNCE_PASSWORD = "newym-demo-bounces"


@dataclass
class MailEmulatorConfig:
    host: str = "127.0.0.1"
    smtp_port: int = 8766
    pop3_port: int = 8767
    http_port: int = 8768
    #: The name the servers greet with and the certificate is made for.
    hostname: str = "localhost"
    smtp_users: dict[str, str] = field(
        default_factory=lambda: {DEFAULT_SMTP_USER: DEFAULT_SMTP_PASSWORD}
    )
    pop3_accounts: dict[str, str] = field(
        default_factory=lambda: {DEFAULT_BOUNCE_MAILBOX: DEFAULT_BOUNCE_PASSWORD}
    )
    starttls: bool = True
    #: A relay answers MAIL with 530 until the client has authenticated.
    auth_required: bool = True
    max_message_size: int = 25 * 1024 * 1024
    #: Where to write the STARTTLS certificate's PEM for clients to trust (None: nowhere).
    certificate_out: Path | None = None


class MailEmulator:
    def __init__(
        self,
        config: MailEmulatorConfig,
        *,
        smtp_socket: socket.socket | None = None,
        pop3_socket: socket.socket | None = None,
        http_socket: socket.socket | None = None,
    ) -> None:
        self.config = config
        self.sockets = {"smtp": smtp_socket, "pop3": pop3_socket, "http": http_socket}
        self.store = MailStore(hostname=config.hostname)
        for user, password in config.smtp_users.items():
            self.store.add_smtp_user(user, password)
        for address, password in config.pop3_accounts.items():
            self.store.add_pop3_account(address, password)
        self.faults = FaultBook()
        self.certificate: ServerCertificate | None = (
            make_server_certificate(config.hostname) if config.starttls else None
        )
        if self.certificate is not None and config.certificate_out is not None:
            config.certificate_out.parent.mkdir(parents=True, exist_ok=True)
            config.certificate_out.write_bytes(self.certificate.certificate_pem)
        self.endpoints = Endpoints(
            host=config.host,
            smtp_port=self._port("smtp", config.smtp_port),
            pop3_port=self._port("pop3", config.pop3_port),
            http_port=self._port("http", config.http_port),
            starttls=config.starttls,
        )
        self.app = create_app(
            self.store,
            self.faults,
            self.endpoints,
            certificate_pem=self.certificate.certificate_pem if self.certificate else None,
        )
        self.http = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host=config.host,
                port=self.endpoints.http_port,
                log_level="warning",
                access_log=False,
                ws="none",
                lifespan="off",
            )
        )
        self.ready = threading.Event()
        self.live_connections: set[asyncio.BaseTransport] = set()

    def _port(self, name: str, configured: int) -> int:
        bound = self.sockets[name]
        return int(bound.getsockname()[1]) if bound is not None else configured

    @property
    def inbox_url(self) -> str:
        host = (
            "localhost"
            if self.config.host in ("127.0.0.1", "::1", "localhost")
            else (self.config.host)
        )
        return f"http://{host}:{self.endpoints.http_port}/"

    def smtp_protocol(self) -> FaultySMTP:
        handler = MailHandler(self.store, self.faults, self.live_connections)
        return FaultySMTP(
            handler,
            hostname=self.config.hostname,
            ident="NEWYM mail emulator",
            tls_context=self.certificate.context if self.certificate else None,
            auth_required=self.config.auth_required,
            auth_require_tls=self.certificate is not None,
            authenticator=make_authenticator(self.store),
            data_size_limit=self.config.max_message_size,
            enable_SMTPUTF8=True,
            loop=asyncio.get_running_loop(),
        )

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        smtp_socket, pop3_socket = self.sockets["smtp"], self.sockets["pop3"]
        smtp = await loop.create_server(
            self.smtp_protocol,
            **_where(smtp_socket, self.config.host, self.endpoints.smtp_port),
        )
        pop3 = await asyncio.start_server(
            pop3_client_handler(self.store, self.live_connections),
            **_where(pop3_socket, self.config.host, self.endpoints.pop3_port),
        )
        try:
            http_socket = self.sockets["http"]
            serving = asyncio.create_task(
                self.http.serve(sockets=[http_socket] if http_socket is not None else None)
            )
            while not self.http.started and not serving.done():
                await asyncio.sleep(0.01)
            if self.http.started:
                self.ready.set()
            await serving
        finally:
            smtp.close()
            pop3.close()
            # Clients still connected (one held by a delay fault, say) are cut off, so the
            # loop closes with no transport left open.
            for transport in list(self.live_connections):
                if isinstance(transport, asyncio.Transport):
                    transport.abort()
                else:
                    transport.close()
            for _ in range(10):
                if not self.live_connections:
                    break
                await asyncio.sleep(0.01)
            await smtp.wait_closed()
            await pop3.wait_closed()

    def stop(self) -> None:
        """Ask the servers to end (safe from any thread)."""
        self.http.should_exit = True


def _where(bound: socket.socket | None, host: str, port: int) -> dict[str, Any]:
    if bound is not None:
        return {"sock": bound}
    return {"host": host, "port": port, "reuse_address": True}
