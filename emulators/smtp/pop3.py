"""A POP3 server (RFC 1939, with CAPA from RFC 2449) over plain TCP for the emulator's
mailboxes, so the product reads bounces with the standard library's `poplib` unchanged.

USER/PASS, STAT, LIST, UIDL, RETR, TOP, DELE, NOOP, RSET, QUIT. A maildrop is locked for the
session, deletions happen only at QUIT (the UPDATE state), and a session that drops without
QUIT deletes nothing, as the RFC requires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from emulators.smtp.store import Delivery, MailStore, mailbox_of

logger = logging.getLogger(__name__)
MAX_LINE = 512  # RFC 2449: commands are at most 255 octets; room for sloppy clients


class Pop3Session:
    def __init__(
        self, store: MailStore, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.store = store
        self.reader = reader
        self.writer = writer
        self.user: str | None = None
        self.mailbox: str | None = None
        self.messages: list[Delivery] = []
        self.deleted: set[int] = set()

    async def send(self, line: str) -> None:
        self.writer.write(line.encode("utf-8") + b"\r\n")
        await self.writer.drain()

    async def send_multiline(self, first: str, body: bytes) -> None:
        """A positive answer followed by dot-stuffed lines and the terminating dot."""
        lines = body.split(b"\r\n")
        if lines and lines[-1] == b"":
            lines.pop()
        stuffed = b"".join(
            (b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines
        )
        self.writer.write(first.encode("utf-8") + b"\r\n" + stuffed + b".\r\n")
        await self.writer.drain()

    async def run(self) -> None:
        self.store.count("pop3.connections")
        await self.send(f"+OK {self.store.hostname} POP3 server ready")
        try:
            while True:
                raw = await self.reader.readline()
                if not raw:
                    return
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                command, _, argument = line.partition(" ")
                if not await self.dispatch(command.upper(), argument.strip()):
                    return
        finally:
            if self.mailbox is not None:
                self.store.unlock_mailbox(self.mailbox)
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()

    async def dispatch(self, command: str, argument: str) -> bool:
        """Answer one command; False ends the session."""
        if command == "QUIT":
            return await self.quit()
        if command == "CAPA":
            await self.send_multiline("+OK Capability list follows", b"USER\r\nTOP\r\nUIDL\r\n")
            return True
        if self.mailbox is None:
            await self.authorization(command, argument)
            return True
        handlers = {
            "STAT": self.stat,
            "LIST": self.list,
            "UIDL": self.uidl,
            "RETR": self.retr,
            "TOP": self.top,
            "DELE": self.dele,
            "NOOP": self.noop,
            "RSET": self.rset,
        }
        handler = handlers.get(command)
        if handler is None:
            await self.send("-ERR unknown command")
        else:
            await handler(argument)
        return True

    async def authorization(self, command: str, argument: str) -> None:
        if command == "USER" and argument:
            self.user = argument
            await self.send("+OK send PASS")
        elif command == "PASS" and self.user is not None:
            user, self.user = self.user, None
            if not self.store.check_pop3_password(user, argument):
                self.store.count("pop3.logins.refused")
                await self.send("-ERR [AUTH] invalid user name or password")
            elif not self.store.lock_mailbox(user):
                await self.send("-ERR [IN-USE] maildrop already locked")
            else:
                self.store.count("pop3.logins.accepted")
                self.mailbox = mailbox_of(user)
                self.messages = self.store.deliveries(self.mailbox)
                await self.send(f"+OK {len(self.messages)} messages")
        else:
            await self.send("-ERR USER and PASS first")

    def raw(self, delivery: Delivery) -> bytes:
        return delivery.message.delivered(delivery.recipient, self.store.hostname)

    def live(self) -> list[tuple[int, Delivery]]:
        return [
            (number, delivery)
            for number, delivery in enumerate(self.messages, start=1)
            if number not in self.deleted
        ]

    def pick(self, argument: str) -> tuple[int, Delivery] | None:
        if not argument.split(" ")[0].isdigit():
            return None
        number = int(argument.split(" ")[0])
        if not 1 <= number <= len(self.messages) or number in self.deleted:
            return None
        return number, self.messages[number - 1]

    async def stat(self, argument: str) -> None:
        live = self.live()
        await self.send(f"+OK {len(live)} {sum(len(self.raw(d)) for _, d in live)}")

    async def list(self, argument: str) -> None:
        if argument:
            picked = self.pick(argument)
            if picked is None:
                await self.send("-ERR no such message")
                return
            await self.send(f"+OK {picked[0]} {len(self.raw(picked[1]))}")
            return
        body = "".join(f"{n} {len(self.raw(d))}\r\n" for n, d in self.live())
        await self.send_multiline("+OK scan listing follows", body.encode("ascii"))

    async def uidl(self, argument: str) -> None:
        if argument:
            picked = self.pick(argument)
            if picked is None:
                await self.send("-ERR no such message")
                return
            await self.send(f"+OK {picked[0]} {picked[1].uid}")
            return
        body = "".join(f"{n} {d.uid}\r\n" for n, d in self.live())
        await self.send_multiline("+OK unique-id listing follows", body.encode("ascii"))

    async def retr(self, argument: str) -> None:
        picked = self.pick(argument)
        if picked is None:
            await self.send("-ERR no such message")
            return
        raw = self.raw(picked[1])
        self.store.count("pop3.retrieved")
        await self.send_multiline(f"+OK {len(raw)} octets", raw)

    async def top(self, argument: str) -> None:
        parts = argument.split()
        picked = self.pick(argument)
        if picked is None or len(parts) != 2 or not parts[1].isdigit():
            await self.send("-ERR no such message")
            return
        raw = self.raw(picked[1])
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = body.split(b"\r\n")[: int(parts[1])]
        await self.send_multiline(
            "+OK top of message follows", head + b"\r\n\r\n" + b"\r\n".join(lines)
        )

    async def dele(self, argument: str) -> None:
        picked = self.pick(argument)
        if picked is None:
            await self.send("-ERR no such message")
            return
        self.deleted.add(picked[0])
        await self.send(f"+OK message {picked[0]} deleted")

    async def noop(self, argument: str) -> None:
        await self.send("+OK")

    async def rset(self, argument: str) -> None:
        self.deleted.clear()
        await self.send(f"+OK {len(self.messages)} messages")

    async def quit(self) -> bool:
        if self.mailbox is not None and self.deleted:
            uids = {self.messages[n - 1].uid for n in self.deleted}
            removed = self.store.remove_deliveries(self.mailbox, uids)
            self.store.count("pop3.deleted", removed)
        await self.send(f"+OK {self.store.hostname} POP3 server signing off")
        return False


def pop3_client_handler(
    store: MailStore, live: set[asyncio.BaseTransport]
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        live.add(writer.transport)
        try:
            await Pop3Session(store, reader, writer).run()
        except (ConnectionError, asyncio.IncompleteReadError):
            logger.info("POP3 client went away")
        finally:
            live.discard(writer.transport)

    return handle
