"""The SMTP side: aiosmtpd's server with STARTTLS, AUTH PLAIN/LOGIN and injected faults.

`MailHandler` holds aiosmtpd's hooks (EHLO, AUTH, MAIL, RCPT, DATA); `FaultySMTP` adds what no
hook reaches: the greeting (a 421 or a slow banner), STARTTLS refusals, and a connection dropped
in the middle of the message content, after `afterBytes` bytes and before the final dot.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session

from emulators.smtp.dsn import RecipientReport, build_dsn
from emulators.smtp.faults import Fault, FaultBook, Stage
from emulators.smtp.store import MailStore, StoredMessage

logger = logging.getLogger(__name__)


class _QuietDeprecation(logging.Filter):
    """aiosmtpd 1.4 itself sets `Session.login_data` on every AUTH and then warns about it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_QuietDeprecation())


class MailHandler:
    """aiosmtpd's hooks: count, apply faults, store what is accepted, schedule bounces."""

    def __init__(
        self, store: MailStore, faults: FaultBook, live: set[asyncio.BaseTransport]
    ) -> None:
        self.store = store
        self.faults = faults
        #: Open client connections, closed when the emulator stops.
        self.live = live

    async def apply(
        self, server: SMTP, stage: Stage, recipients: list[str], address: str | None = None
    ) -> str | None:
        """The reply a fault puts in place of the normal one, or None to go on normally."""
        fault = self.faults.take(stage, recipients)
        if fault is None:
            return None
        self.store.count(f"faults.{stage}.{fault.kind}")
        if fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
            return None
        if fault.kind == "drop":
            drop_connection(server)
            return None
        if fault.code == 421:
            asyncio.get_running_loop().call_soon(close_connection, server)
        self.store.count(f"replies.{stage}.{fault.code}")
        return fault.reply(address)

    async def handle_EHLO(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        self.store.count("commands.EHLO")
        refused = await self.apply(server, "ehlo", [])
        if refused is not None:
            return [refused]
        session.host_name = hostname
        return responses

    async def handle_HELO(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str
    ) -> str:
        self.store.count("commands.HELO")
        refused = await self.apply(server, "ehlo", [])
        if refused is not None:
            return refused
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_AUTH(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, args: list[str]
    ) -> Any:
        self.store.count("commands.AUTH")
        refused = await self.apply(server, "auth", [])
        return MISSING if refused is None else refused

    async def handle_MAIL(  # noqa: N802
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        self.store.count("commands.MAIL")
        refused = await self.apply(server, "mail", [])
        if refused is not None:
            return refused
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(  # noqa: N802
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        self.store.count("commands.RCPT")
        refused = await self.apply(server, "rcpt", [address], address)
        if refused is not None:
            return refused
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 Ok"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        recipients = list(envelope.rcpt_tos)
        refused = await self.apply(server, "message", recipients)
        if refused is not None:
            return refused
        content = envelope.original_content or b""
        credentials = session.auth_data
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer or "")
        message = self.store.accept(
            envelope.mail_from or "",
            recipients,
            bytes(content),
            authenticated_as=(
                credentials.login.decode("utf-8", "replace")
                if isinstance(credentials, LoginPassword)
                else None
            ),
            peer=peer,
        )
        self.schedule_bounces(message)
        return f"250 2.0.0 Ok: queued as {message.id}"

    def schedule_bounces(self, message: StoredMessage) -> None:
        """Bounce rules due for this message's recipients, as one DSN per delay."""
        if not message.envelope_from:
            return  # RFC 3464: a message with a null reverse path is never bounced
        by_delay: dict[float, list[RecipientReport]] = {}
        for recipient, rule in self.faults.take_bounces(list(message.recipients)):
            report = RecipientReport(
                recipient, rule.action, rule.status, rule.diagnostic_code(recipient)
            )
            by_delay.setdefault(rule.seconds, []).append(report)
        loop = asyncio.get_running_loop()
        generation = self.store.generation
        for seconds, reports in by_delay.items():
            loop.call_later(seconds, self.send_due_dsn, generation, message, reports)

    def send_due_dsn(
        self, generation: int, message: StoredMessage, reports: list[RecipientReport]
    ) -> None:
        if self.store.generation == generation:
            send_dsn(self.store, message, reports)


def send_dsn(store: MailStore, original: StoredMessage, reports: list[RecipientReport]) -> str:
    """Deliver a DSN for `original` to its envelope sender's mailbox; returns its id."""
    content = build_dsn(original, reports, hostname=store.hostname, now=datetime.now(UTC))
    dsn = store.accept("", [original.envelope_from], content, kind="dsn")
    logger.info("DSN %s for message %s sent to %s", dsn.id, original.id, original.envelope_from)
    return dsn.id


def close_connection(server: SMTP) -> None:
    """Close after what was written has gone out (a 421's reply)."""
    transport = server.transport
    if transport is not None:
        transport.close()


def drop_connection(server: SMTP) -> None:
    """Cut the line at once: whatever aiosmtpd writes after this never leaves."""
    transport = server.transport
    if isinstance(transport, asyncio.Transport):
        transport.abort()
    elif transport is not None:
        transport.close()


class FaultySMTP(SMTP):
    """aiosmtpd's SMTP with faults at the greeting, at STARTTLS and in the middle of DATA."""

    def __init__(self, handler: MailHandler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.mail_handler = handler

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.transport is None:
            self.mail_handler.live.add(transport)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        for transport in (self.transport, self._original_transport):
            if transport is not None:
                self.mail_handler.live.discard(transport)
        super().connection_lost(error)

    async def _handle_client(self) -> None:
        self.mail_handler.store.count("connections")
        fault = self.mail_handler.faults.take("connect", [])
        if fault is not None:
            self.mail_handler.store.count(f"faults.connect.{fault.kind}")
            if fault.kind == "delay":
                await asyncio.sleep(fault.seconds)
            elif fault.kind == "drop":
                drop_connection(self)
                return
            else:
                self.mail_handler.store.count(f"replies.connect.{fault.code}")
                await self.push(f"{fault.code} {self.hostname} {fault.reply().partition(' ')[2]}")
                close_connection(self)
                return
        await super()._handle_client()

    async def smtp_STARTTLS(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's method name
        self.mail_handler.store.count("commands.STARTTLS")
        if not arg and self.tls_context is not None:
            refused = await self.mail_handler.apply(self, "starttls", [])
            if refused is not None:
                await self.push(refused)
                return
        await super().smtp_STARTTLS(arg)
        if self._tls_protocol is not None:
            self.mail_handler.store.count("tls.sessions")

    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802
        self.mail_handler.store.count("commands.DATA")
        envelope = self.envelope
        ready = (
            not arg
            and envelope is not None
            and bool(envelope.rcpt_tos)
            and self.session is not None
            and (self.session.host_name is not None)
            and (not self._auth_required or self.session.authenticated)
        )
        if ready:
            assert envelope is not None
            recipients = list(envelope.rcpt_tos)
            refused = await self.mail_handler.apply(self, "data", recipients)
            if refused is not None:
                await self.push(refused)
                return
            if self.transport is None or self.transport.is_closing():
                return
            pending = self.mail_handler.faults.pending("message", recipients)
            if pending is not None and pending.kind == "drop":
                await self._drop_mid_data(pending, recipients)
                return
        await super().smtp_DATA(arg)

    async def _drop_mid_data(self, fault: Fault, recipients: list[str]) -> None:
        """Say 354, read part of the content, then close the line without a reply."""
        self.mail_handler.faults.take("message", recipients)
        self.mail_handler.store.count("faults.message.drop")
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        received = 0
        while received < fault.after_bytes:
            chunk = await self._reader.read(fault.after_bytes - received)
            if not chunk:
                break
            received += len(chunk)
        self.mail_handler.store.count("drops.midData")
        close_connection(self)


def make_authenticator(store: MailStore) -> Any:
    """aiosmtpd's authenticator: PLAIN and LOGIN against the configured users."""

    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            store.count(f"auth.{mechanism}.refused")
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        if store.check_smtp_password(user, password):
            store.count(f"auth.{mechanism}.accepted")
            return AuthResult(success=True, auth_data=auth_data)
        store.count(f"auth.{mechanism}.refused")
        return AuthResult(success=False, handled=False)

    return authenticate
