"""What the mail emulator holds: accepted messages, the mailboxes they were delivered to, the
accounts that may submit or read mail, and counters of everything received.

A message is stored once and delivered to one mailbox per recipient. A mailbox is the address
without its subaddress (`bounces+4f2a@newym.test` lands in `bounces@newym.test`, as with
Postfix's `recipient_delimiter = +`), so one POP3 account reads every VERP bounce address; each
delivery keeps the exact address it was sent to. Guarded by one lock: the SMTP and POP3 servers
run on the event loop, the control API's routes in uvicorn's thread pool.
"""

from __future__ import annotations

import hmac
import itertools
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from typing import Literal

MessageKind = Literal["smtp", "dsn"]


def mailbox_of(address: str) -> str:
    """The mailbox an address delivers to: lower-cased, `+tag` dropped from the local part."""
    local, at, domain = address.strip().strip("<>").rpartition("@")
    if not at:
        return address.strip().lower()
    return f"{local.partition('+')[0]}@{domain}".lower()


@dataclass
class StoredMessage:
    """One accepted message, as the client sent it (CRLF line ends, dot-stuffing undone)."""

    id: str
    envelope_from: str
    recipients: tuple[str, ...]
    content: bytes
    received_at: datetime
    kind: MessageKind = "smtp"
    authenticated_as: str | None = None
    peer: str = ""
    _parsed: EmailMessage | None = field(default=None, repr=False)

    @property
    def parsed(self) -> EmailMessage:
        if self._parsed is None:
            parsed = BytesParser(policy=policy.default).parsebytes(self.content)
            assert isinstance(parsed, EmailMessage)
            self._parsed = parsed
        return self._parsed

    @property
    def header_block(self) -> bytes:
        """The header section as sent, without the blank line that ends it."""
        end = self.content.find(b"\r\n\r\n")
        return self.content if end < 0 else self.content[: end + 2]

    def delivered(self, recipient: str, hostname: str) -> bytes:
        """The message as the final mailbox holds it: the trace headers a delivering MTA adds
        (RFC 5321 section 4.4) before what the client sent."""
        trace = (
            f"Return-Path: <{self.envelope_from}>\r\n"
            f"Delivered-To: {recipient}\r\n"
            f"Received: from {self.peer or 'localhost'} by {hostname} (NEWYM mail emulator) "
            f"id {self.id} for <{recipient}>; {format_datetime(self.received_at)}\r\n"
        )
        body = self.content if self.content.endswith(b"\r\n") else self.content + b"\r\n"
        return trace.encode("utf-8") + body

    def summary(self) -> dict[str, object]:
        headers = self.parsed
        return {
            "id": self.id,
            "kind": self.kind,
            "envelopeFrom": self.envelope_from,
            "recipients": list(self.recipients),
            "from": str(headers.get("From", "")),
            "to": str(headers.get("To", "")),
            "subject": str(headers.get("Subject", "")),
            "messageId": str(headers.get("Message-ID", "")),
            "receivedAt": self.received_at.isoformat(),
            "size": len(self.content),
            "authenticatedAs": self.authenticated_as,
        }


@dataclass
class Delivery:
    """A message in one mailbox; `uid` is stable for POP3's UIDL."""

    uid: str
    recipient: str
    message: StoredMessage


@dataclass
class MailStore:
    hostname: str = "localhost"
    lock: threading.RLock = field(default_factory=threading.RLock)
    messages: dict[str, StoredMessage] = field(default_factory=dict)
    mailboxes: dict[str, list[Delivery]] = field(default_factory=dict)
    #: Who may submit over SMTP AUTH: user name -> password.
    smtp_users: dict[str, str] = field(default_factory=dict)
    #: Who may read a mailbox over POP3: mailbox address -> password.
    pop3_accounts: dict[str, str] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=Counter)
    #: Bumped by `reset`: a bounce scheduled before it is dropped, not delivered after it.
    generation: int = 0
    _locked_mailboxes: set[str] = field(default_factory=set)
    _sequence: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -- accounts ---------------------------------------------------------------------------

    def add_smtp_user(self, user: str, password: str) -> None:
        with self.lock:
            self.smtp_users[user] = password

    def add_pop3_account(self, address: str, password: str) -> None:
        with self.lock:
            self.pop3_accounts[mailbox_of(address)] = password

    def check_smtp_password(self, user: str, password: str) -> bool:
        with self.lock:
            expected = self.smtp_users.get(user)
        # Compared even for an unknown user, so the answer takes as long either way.
        return _same(expected or secrets.token_hex(8), password) and expected is not None

    def check_pop3_password(self, address: str, password: str) -> bool:
        with self.lock:
            expected = self.pop3_accounts.get(mailbox_of(address))
        return _same(expected or secrets.token_hex(8), password) and expected is not None

    # -- messages ---------------------------------------------------------------------------

    def accept(
        self,
        envelope_from: str,
        recipients: list[str],
        content: bytes,
        *,
        kind: MessageKind = "smtp",
        authenticated_as: str | None = None,
        peer: str = "",
    ) -> StoredMessage:
        with self.lock:
            number = next(self._sequence)
            message = StoredMessage(
                id=f"{number:06d}{secrets.token_hex(3)}",
                envelope_from=envelope_from,
                recipients=tuple(recipients),
                content=content,
                received_at=datetime.now(UTC),
                kind=kind,
                authenticated_as=authenticated_as,
                peer=peer,
            )
            self.messages[message.id] = message
            for index, recipient in enumerate(recipients):
                self.mailboxes.setdefault(mailbox_of(recipient), []).append(
                    Delivery(f"{message.id}.{index}", recipient, message)
                )
            self.counters["messages.accepted" if kind == "smtp" else "dsns.delivered"] += 1
            if kind == "smtp":
                self.counters["recipients.accepted"] += len(recipients)
            return message

    def get(self, message_id: str) -> StoredMessage | None:
        with self.lock:
            return self.messages.get(message_id)

    def list_messages(
        self, *, mailbox: str | None = None, recipient: str | None = None
    ) -> list[StoredMessage]:
        """Newest last. `mailbox` matches subaddresses too; `recipient` only the exact address."""
        with self.lock:
            if mailbox is not None:
                chosen = [d.message for d in self.mailboxes.get(mailbox_of(mailbox), [])]
            else:
                chosen = list(self.messages.values())
            if recipient is not None:
                wanted = recipient.strip().lower()
                chosen = [m for m in chosen if wanted in (r.lower() for r in m.recipients)]
            return chosen

    def mailbox_names(self) -> list[tuple[str, int]]:
        with self.lock:
            return sorted((name, len(items)) for name, items in self.mailboxes.items() if items)

    def deliveries(self, mailbox: str) -> list[Delivery]:
        with self.lock:
            return list(self.mailboxes.get(mailbox_of(mailbox), []))

    def remove_deliveries(self, mailbox: str, uids: set[str]) -> int:
        with self.lock:
            kept = [d for d in self.mailboxes.get(mailbox_of(mailbox), []) if d.uid not in uids]
            removed = len(self.mailboxes.get(mailbox_of(mailbox), [])) - len(kept)
            self.mailboxes[mailbox_of(mailbox)] = kept
            return removed

    # -- POP3 maildrop locks (RFC 1939 section 8: one session per maildrop) ------------------

    def lock_mailbox(self, mailbox: str) -> bool:
        with self.lock:
            if mailbox_of(mailbox) in self._locked_mailboxes:
                return False
            self._locked_mailboxes.add(mailbox_of(mailbox))
            return True

    def unlock_mailbox(self, mailbox: str) -> None:
        with self.lock:
            self._locked_mailboxes.discard(mailbox_of(mailbox))

    # -- counters ---------------------------------------------------------------------------

    def count(self, name: str, amount: int = 1) -> None:
        with self.lock:
            self.counters[name] += amount

    def stats(self) -> dict[str, int]:
        with self.lock:
            return dict(sorted(self.counters.items()))

    def reset(self) -> None:
        """Forget messages and counters; keep the accounts."""
        with self.lock:
            self.messages.clear()
            self.mailboxes.clear()
            self.counters.clear()
            self.generation += 1


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))
