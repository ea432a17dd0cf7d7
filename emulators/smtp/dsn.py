"""Delivery status notifications (RFC 3464) as an MTA writes them.

`multipart/report; report-type=delivery-status` with three parts: a human explanation, the
`message/delivery-status` fields (one per-message block, one block per recipient), and the
original message's header section as `text/rfc822-headers`. It is addressed to the original
envelope sender, kept exactly as given (a VERP address such as `bounces+<id>@domain` names the
message that bounced), and is itself sent with the null reverse path, so it never bounces.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, make_msgid

from emulators.smtp.store import StoredMessage


@dataclass(frozen=True)
class RecipientReport:
    recipient: str
    action: str  # "failed" or "delayed" (RFC 3464 section 2.3.3)
    status: str  # "5.1.1", "4.2.2", ...
    diagnostic: str  # an SMTP reply, e.g. "550 5.1.1 <x@y>: User unknown"


def build_dsn(
    original: StoredMessage, reports: list[RecipientReport], *, hostname: str, now: datetime
) -> bytes:
    boundary = f"=_dsn_{secrets.token_hex(12)}"
    failed = any(report.action == "failed" for report in reports)
    subject = (
        "Undelivered Mail Returned to Sender" if failed else "Delayed Mail (still being retried)"
    )
    listed = "\r\n".join(f"<{report.recipient}>: {report.diagnostic}" for report in reports)
    human = (
        f"This is the mail system at host {hostname}.\r\n\r\n"
        + (
            "I'm sorry to have to inform you that your message could not\r\n"
            "be delivered to one or more recipients.\r\n"
            if failed
            else "Your message could not be delivered yet to one or more recipients;\r\n"
            "the mail system will keep trying.\r\n"
        )
        + f"\r\n{listed}\r\n"
    )
    per_message = (
        f"Reporting-MTA: dns; {hostname}\r\n"
        f"X-Queue-ID: {original.id}\r\n"
        f"Arrival-Date: {format_datetime(original.received_at)}\r\n"
    )
    per_recipient = "".join(
        "\r\n"
        f"Final-Recipient: rfc822; {report.recipient}\r\n"
        f"Original-Recipient: rfc822; {report.recipient}\r\n"
        f"Action: {report.action}\r\n"
        f"Status: {report.status}\r\n"
        f"Remote-MTA: dns; {hostname}\r\n"
        f"Diagnostic-Code: smtp; {report.diagnostic}\r\n"
        f"Last-Attempt-Date: {format_datetime(now)}\r\n"
        for report in reports
    )
    headers = original.header_block
    eight_bit = any(byte > 0x7F for byte in headers)
    head = (
        f"From: Mail Delivery System <MAILER-DAEMON@{hostname}>\r\n"
        f"To: {original.envelope_from}\r\n"
        f"Subject: {subject}\r\n"
        f"Date: {format_datetime(now)}\r\n"
        f"Message-ID: {make_msgid('dsn', domain=hostname)}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;\r\n"
        f'\tboundary="{boundary}"\r\n'
        "\r\n"
        "This is a MIME-encapsulated message.\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        f"{human}"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        f"{per_message}{per_recipient}"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Undelivered Message Headers\r\n"
        "Content-Type: text/rfc822-headers"
        + ("; charset=utf-8\r\nContent-Transfer-Encoding: 8bit" if eight_bit else "")
        + "\r\n\r\n"
    ).encode("utf-8")
    tail = f"\r\n--{boundary}--\r\n".encode("ascii")
    return head + headers + tail
