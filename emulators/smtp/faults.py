"""Faults the SMTP server injects on demand, and the bounces it sends after accepting.

A fault answers the next `times` matching commands (or every one, when `times` is None) at one
stage of the session with a chosen reply, a delay before the normal answer, or a dropped
connection. `recipient` narrows it to one address: at RCPT the address being added, at DATA and
after the message any address of the transaction. A 421 reply closes the connection afterwards,
as RFC 5321 section 3.8 says a server shutting down does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

from emulators.smtp.store import mailbox_of

Stage = Literal["connect", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "message"]
FaultKind = Literal["reply", "delay", "drop"]
BounceAction = Literal["failed", "delayed"]

#: What a real relay says with each code, when the fault names none.
DEFAULT_TEXT = {
    421: "4.3.2 Service not available, closing transmission channel",
    450: "4.2.1 Mailbox temporarily unavailable",
    451: "4.3.0 Temporary failure, please try again later",
    452: "4.3.1 Insufficient system storage",
    454: "4.7.0 TLS not available due to temporary reason",
    535: "5.7.8 Authentication credentials invalid",
    550: "5.1.1 Recipient address rejected: User unknown in local recipient table",
    552: "5.3.4 Message size exceeds fixed limit",
    553: "5.1.3 Sender address rejected",
    554: "5.7.1 Transaction failed",
}


@dataclass
class Fault:
    stage: Stage
    kind: FaultKind = "reply"
    code: int = 451
    text: str | None = None
    times: int | None = 1
    recipient: str | None = None
    seconds: float = 0.0
    after_bytes: int = 1

    def reply(self, recipient: str | None = None) -> str:
        text = self.text or DEFAULT_TEXT.get(self.code, "Requested action not taken")
        if self.code == 550 and self.text is None and recipient:
            text = f"5.1.1 <{recipient}>: Recipient address rejected: User unknown"
        return f"{self.code} {text}"

    def matches(self, stage: Stage, recipients: list[str]) -> bool:
        if self.stage != stage or (self.times is not None and self.times <= 0):
            return False
        if self.recipient is None:
            return True
        wanted = self.recipient.strip().lower()
        return any(address.strip().lower() == wanted for address in recipients)

    def describe(self) -> dict[str, object]:
        return {
            "stage": self.stage,
            "kind": self.kind,
            "code": self.code,
            "text": self.text,
            "times": self.times,
            "recipient": self.recipient,
            "seconds": self.seconds,
            "afterBytes": self.after_bytes,
        }


@dataclass
class BounceRule:
    """After accepting a message for `recipient` (a mailbox or exact address; None: anyone),
    send its envelope sender a DSN `seconds` later."""

    recipient: str | None
    action: BounceAction = "failed"
    status: str = "5.1.1"
    diagnostic: str | None = None
    seconds: float = 0.0
    times: int | None = 1

    def matches(self, recipient: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.recipient is None:
            return True
        wanted = self.recipient.strip().lower()
        return recipient.strip().lower() == wanted or mailbox_of(recipient) == wanted

    def diagnostic_code(self, recipient: str) -> str:
        if self.diagnostic:
            return self.diagnostic
        code = "550" if self.action == "failed" else "451"
        return f"{code} {self.status} <{recipient}>: " + (
            "Recipient address rejected: User unknown"
            if self.action == "failed"
            else "Mailbox temporarily unavailable, still trying"
        )

    def describe(self) -> dict[str, object]:
        return {
            "recipient": self.recipient,
            "action": self.action,
            "status": self.status,
            "diagnostic": self.diagnostic,
            "seconds": self.seconds,
            "times": self.times,
        }


@dataclass
class FaultBook:
    lock: threading.RLock = field(default_factory=threading.RLock)
    faults: list[Fault] = field(default_factory=list)
    bounces: list[BounceRule] = field(default_factory=list)

    def add(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def take(self, stage: Stage, recipients: list[str] | None = None) -> Fault | None:
        """The first fault due at `stage`, counted as used."""
        with self.lock:
            for fault in self.faults:
                if fault.matches(stage, recipients or []):
                    if fault.times is not None:
                        fault.times -= 1
                    self.faults = [f for f in self.faults if f.times is None or f.times > 0]
                    return fault
            return None

    def pending(self, stage: Stage, recipients: list[str]) -> Fault | None:
        """The fault `take` would return, left in place."""
        with self.lock:
            return next((f for f in self.faults if f.matches(stage, recipients)), None)

    def add_bounce(self, rule: BounceRule) -> None:
        with self.lock:
            self.bounces.append(rule)

    def take_bounces(self, recipients: list[str]) -> list[tuple[str, BounceRule]]:
        """For each recipient, the first rule that bounces it (each rule used once per match)."""
        chosen: list[tuple[str, BounceRule]] = []
        with self.lock:
            for recipient in recipients:
                rule = next((r for r in self.bounces if r.matches(recipient)), None)
                if rule is None:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                chosen.append((recipient, rule))
            self.bounces = [r for r in self.bounces if r.times is None or r.times > 0]
        return chosen

    def describe(self) -> dict[str, object]:
        with self.lock:
            return {
                "faults": [f.describe() for f in self.faults],
                "bounces": [r.describe() for r in self.bounces],
            }

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()
            self.bounces.clear()
