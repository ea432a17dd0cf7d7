"""Asynchronous bounces: after accepting a message the emulator sends an RFC 3464 DSN to its
envelope sender, and the product reads it from the bounce mailbox with poplib."""

from __future__ import annotations

import poplib
import time
from email.message import EmailMessage, Message

import pytest

from tests.support import mail_emulator as fixtures
from tests.support.mail_emulator import (
    BOUNCE_MAILBOX,
    BOUNCE_PASSWORD,
    MailEmulatorClient,
    retrieve_all,
)

VERP = "bounces+msg-7f3a@newym.test"


def campaign_mail(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "NEWYM <news@newym.test>"
    message["To"] = to
    message["Subject"] = "פרסומת: מבצע חנוכה"
    message["Message-ID"] = "<msg-7f3a@newym.test>"
    message.set_content("שלום!")
    return message


def send(mail_emulator: MailEmulatorClient, *recipients: str, sender: str = VERP) -> None:
    with mail_emulator.smtp() as client:
        client.send_message(campaign_mail(recipients[0]), from_addr=sender, to_addrs=recipients)


def status_blocks(dsn: EmailMessage) -> tuple[Message, list[Message]]:
    """The per-message block and the per-recipient blocks of a DSN's delivery-status part."""
    assert dsn.get_content_type() == "multipart/report"
    assert dsn.get_param("report-type") == "delivery-status"
    parts = list(dsn.iter_parts())
    assert [p.get_content_type() for p in parts] == [
        "text/plain",
        "message/delivery-status",
        "text/rfc822-headers",
    ]
    blocks = parts[1].get_payload()
    assert isinstance(blocks, list)
    return blocks[0], blocks[1:]


def test_a_hard_bounce_reaches_the_verp_address_as_a_multipart_report(
    mail_emulator: MailEmulatorClient,
) -> None:
    mail_emulator.bounce_rule(recipient="gone@example.com", status="5.1.1")
    send(mail_emulator, "gone@example.com")
    mail_emulator.wait_for_messages(1, mailbox=BOUNCE_MAILBOX)

    client = mail_emulator.pop3()
    try:
        [dsn] = retrieve_all(client)
    finally:
        client.quit()
    assert dsn["To"] == VERP  # the VERP address names the message, kept intact
    assert dsn["Delivered-To"] == VERP
    assert dsn["Return-Path"] == "<>"
    assert dsn["Auto-Submitted"] == "auto-replied"
    per_message, [recipient] = status_blocks(dsn)
    assert per_message["Reporting-MTA"] == "dns; localhost"
    assert recipient["Final-Recipient"] == "rfc822; gone@example.com"
    assert recipient["Action"] == "failed"
    assert recipient["Status"] == "5.1.1"
    assert recipient["Diagnostic-Code"].startswith("smtp; 550 5.1.1 <gone@example.com>")
    original = list(dsn.iter_parts())[2].get_content()
    assert "Message-ID: <msg-7f3a@newym.test>" in original
    assert "Subject:" in original
    assert "שלום" not in original  # headers only, no body


def test_a_bounce_comes_after_the_delay_asked_not_with_the_250(
    mail_emulator: MailEmulatorClient,
) -> None:
    mail_emulator.bounce_rule(recipient="gone@example.com", seconds=0.5)
    began = time.monotonic()
    send(mail_emulator, "gone@example.com")
    assert mail_emulator.messages(mailbox=BOUNCE_MAILBOX) == [] or (time.monotonic() - began >= 0.5)
    mail_emulator.wait_for_messages(1, mailbox=BOUNCE_MAILBOX)
    assert time.monotonic() - began >= 0.5


def test_a_soft_bounce_says_delayed_with_a_4xx_status(mail_emulator: MailEmulatorClient) -> None:
    mail_emulator.bounce_rule(recipient="full@example.com", action="delayed", status="4.2.2")
    send(mail_emulator, "full@example.com")
    mail_emulator.wait_for_messages(1, mailbox=BOUNCE_MAILBOX)
    client = mail_emulator.pop3()
    try:
        [dsn] = retrieve_all(client)
    finally:
        client.quit()
    assert dsn["Subject"] == "Delayed Mail (still being retried)"
    _, [recipient] = status_blocks(dsn)
    assert (recipient["Action"], recipient["Status"]) == ("delayed", "4.2.2")


def test_only_the_bounced_recipients_are_reported_and_the_others_get_the_mail(
    mail_emulator: MailEmulatorClient,
) -> None:
    mail_emulator.bounce_rule(recipient="gone@example.com", times=None)
    mail_emulator.bounce_rule(recipient="old@example.com", status="5.2.1")
    send(mail_emulator, "gone@example.com", "here@example.com", "old@example.com")
    [summary] = mail_emulator.wait_for_messages(1, mailbox=BOUNCE_MAILBOX)
    assert summary["kind"] == "dsn"
    raw = mail_emulator.control("GET", f"/_emulator/messages/{summary['id']}/raw").content
    _, recipients = status_blocks(fixtures.parse(raw))
    assert {(r["Final-Recipient"], r["Status"]) for r in recipients} == {
        ("rfc822; gone@example.com", "5.1.1"),
        ("rfc822; old@example.com", "5.2.1"),
    }
    assert len(mail_emulator.messages(mailbox="here@example.com")) == 1
    assert mail_emulator.stats()["dsns.delivered"] == 1


def test_a_message_accepted_earlier_can_be_bounced_on_demand(
    mail_emulator: MailEmulatorClient,
) -> None:
    send(mail_emulator, "client@example.com")
    [accepted] = mail_emulator.messages(mailbox="client@example.com")
    mail_emulator.control(
        "POST",
        f"/_emulator/messages/{accepted['id']}/bounce",
        json={"status": "5.7.1", "diagnostic": "550 5.7.1 Message rejected as spam"},
    )
    [dsn] = mail_emulator.messages(mailbox=BOUNCE_MAILBOX)
    raw = mail_emulator.control("GET", f"/_emulator/messages/{dsn['id']}/raw").content
    _, [recipient] = status_blocks(fixtures.parse(raw))
    assert recipient["Diagnostic-Code"] == "smtp; 550 5.7.1 Message rejected as spam"
    shown = mail_emulator.control("GET", f"/messages/{dsn['id']}").text
    assert "Delivery report" in shown
    assert "Status: 5.7.1" in shown and "Final-Recipient: rfc822; client@example.com" in shown


def test_pop3_lists_deletes_at_quit_and_keeps_uids(mail_emulator: MailEmulatorClient) -> None:
    mail_emulator.bounce_rule(times=None)  # every recipient bounces
    for number in range(3):
        send(mail_emulator, f"r{number}@example.com", sender=f"bounces+m{number}@newym.test")
    mail_emulator.wait_for_messages(3, mailbox=BOUNCE_MAILBOX)

    first = mail_emulator.pop3()
    count, size = first.stat()
    assert count == 3 and size > 0
    _, listing, _ = first.list()
    assert sum(int(line.split()[1]) for line in listing) == size
    _, uids, _ = first.uidl()
    assert len({line.split()[1] for line in uids}) == 3
    _, top, _ = first.top(1, 0)
    assert any(line.startswith(b"Subject: Undelivered Mail") for line in top)
    first.dele(1)
    first.rset()  # undone
    first.dele(1)
    first.dele(2)
    first.quit()  # deletions take effect here

    second = mail_emulator.pop3()
    try:
        assert second.stat()[0] == 1
        assert second.uidl(1).split()[2] == uids[2].split()[1]
        [left] = retrieve_all(second)
        assert left["To"] == "bounces+m2@newym.test"
    finally:
        second.quit()
    assert mail_emulator.stats()["pop3.deleted"] == 2


def test_a_pop3_session_that_drops_without_quit_deletes_nothing(
    mail_emulator: MailEmulatorClient,
) -> None:
    mail_emulator.bounce_rule()
    send(mail_emulator, "gone@example.com")
    mail_emulator.wait_for_messages(1, mailbox=BOUNCE_MAILBOX)
    dropped = mail_emulator.pop3()
    dropped.dele(1)
    dropped.close()  # no QUIT: the RFC's UPDATE state never comes
    again = mail_emulator.pop3()
    try:
        assert again.stat()[0] == 1
    finally:
        again.quit()


def test_pop3_refuses_a_wrong_password_and_a_second_session(
    mail_emulator: MailEmulatorClient,
) -> None:
    with pytest.raises(poplib.error_proto, match="AUTH"):
        mail_emulator.pop3(password="wrong")
    holder = mail_emulator.pop3(BOUNCE_MAILBOX, BOUNCE_PASSWORD)
    try:
        with pytest.raises(poplib.error_proto, match="IN-USE"):
            mail_emulator.pop3()
    finally:
        holder.quit()
    mail_emulator.pop3().quit()  # free again after QUIT
    assert mail_emulator.stats()["pop3.logins.refused"] == 1


def test_a_reset_drops_the_bounces_still_due(mail_emulator: MailEmulatorClient) -> None:
    """A DSN scheduled before a reset never lands after it: the next test would see it."""
    mail_emulator.bounce_rule(recipient="before@example.com", seconds=0.2)
    send(mail_emulator, "before@example.com", sender="bounces+before@newym.test")
    mail_emulator.reset()
    # Due later than the dropped one: once it has landed, the first would have too.
    mail_emulator.bounce_rule(recipient="after@example.com", seconds=0.3)
    send(mail_emulator, "after@example.com", sender="bounces+after@newym.test")
    [dsn] = mail_emulator.wait_for_messages(1, mailbox=BOUNCE_MAILBOX)
    assert dsn["recipients"] == ["bounces+after@newym.test"]
    assert len(mail_emulator.messages(mailbox=BOUNCE_MAILBOX)) == 1
