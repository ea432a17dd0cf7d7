"""Submitting mail to the emulator with smtplib as it is: STARTTLS against the certificate made at
start, AUTH PLAIN and LOGIN, and the message in the inbox of each recipient."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

import pytest

from tests.support.mail_emulator import SMTP_PASSWORD, SMTP_USER, MailEmulatorClient, parse


def hebrew_message(to: str = "client@example.com") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "דנה כהן <dana@newym.test>"
    message["To"] = to
    message["Subject"] = "תזכורת: אימון מחר ב-07:00"
    message["Message-ID"] = "<reminder-1@newym.test>"
    message.set_content("שלום רון, נתראה מחר.")
    message.add_alternative('<p dir="rtl">שלום רון, נתראה מחר.</p>', subtype="html")
    return message


def test_starttls_verifies_against_the_emulators_certificate_and_plain_login_sends(
    mail_emulator: MailEmulatorClient,
) -> None:
    with mail_emulator.smtp(login=False) as client:
        assert client.sock is not None
        assert isinstance(client.sock, ssl.SSLSocket)
        assert client.sock.version() in {"TLSv1.2", "TLSv1.3"}
        client.ehlo()
        assert "PLAIN" in client.esmtp_features["auth"].split()
        assert "LOGIN" in client.esmtp_features["auth"].split()
        client.user, client.password = SMTP_USER, SMTP_PASSWORD
        code, _ = client.auth("PLAIN", client.auth_plain)
        assert code == 235
        refused = client.send_message(hebrew_message())
    assert refused == {}
    assert mail_emulator.stats()["auth.PLAIN.accepted"] == 1
    [stored] = mail_emulator.messages(mailbox="client@example.com")
    assert stored["subject"] == "תזכורת: אימון מחר ב-07:00"
    assert stored["authenticatedAs"] == SMTP_USER


def test_auth_login_is_accepted(mail_emulator: MailEmulatorClient) -> None:
    with mail_emulator.smtp(login=False) as client:
        client.ehlo()  # STARTTLS forgot the first EHLO; SMTP.auth does not say it again
        client.user, client.password = SMTP_USER, SMTP_PASSWORD
        code, _ = client.auth("LOGIN", client.auth_login)
        assert code == 235
    assert mail_emulator.stats()["auth.LOGIN.accepted"] == 1


def test_a_client_that_trusts_other_certificates_refuses_the_handshake(
    mail_emulator: MailEmulatorClient,
) -> None:
    with (
        smtplib.SMTP("localhost", mail_emulator.smtp_port, timeout=10) as client,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        client.starttls(context=ssl.create_default_context())


def test_a_wrong_password_gets_535(mail_emulator: MailEmulatorClient) -> None:
    with (
        mail_emulator.smtp(login=False) as client,
        pytest.raises(smtplib.SMTPAuthenticationError) as refused,
    ):
        client.login(SMTP_USER, "not-the-password")
    assert refused.value.smtp_code == 535
    assert b"5.7.8" in refused.value.smtp_error
    stats = mail_emulator.stats()
    assert stats.get("auth.PLAIN.accepted", 0) + stats.get("auth.LOGIN.accepted", 0) == 0
    assert stats["auth.PLAIN.refused"] + stats.get("auth.LOGIN.refused", 0) >= 1


def test_auth_is_not_offered_before_starttls_and_mail_needs_auth(
    mail_emulator: MailEmulatorClient,
) -> None:
    with smtplib.SMTP("localhost", mail_emulator.smtp_port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert not client.has_extn("auth")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            client.login(SMTP_USER, SMTP_PASSWORD)
    with (
        mail_emulator.smtp(login=False) as client,
        pytest.raises(smtplib.SMTPSenderRefused) as refused,
    ):
        client.send_message(hebrew_message())
    assert refused.value.smtp_code == 530
    assert mail_emulator.messages() == []


def test_one_message_lands_in_each_recipients_mailbox_with_its_envelope(
    mail_emulator: MailEmulatorClient,
) -> None:
    message = hebrew_message("ron@example.com, Shira <shira@example.com>")
    with mail_emulator.smtp() as client:
        client.send_message(
            message,
            from_addr="bounces+msg-42@newym.test",
            to_addrs=["ron@example.com", "shira@example.com", "shira+copy@example.com"],
        )
    [to_ron] = mail_emulator.messages(mailbox="ron@example.com")
    to_shira = mail_emulator.messages(mailbox="shira@example.com")
    # One message, delivered twice to the box: to the address and to its +copy subaddress.
    assert [m["id"] for m in to_shira] == [to_ron["id"]] * 2
    assert to_ron["envelopeFrom"] == "bounces+msg-42@newym.test"
    assert to_ron["recipients"] == [
        "ron@example.com",
        "shira@example.com",
        "shira+copy@example.com",
    ]

    raw = mail_emulator.control(
        "GET",
        f"/_emulator/messages/{to_ron['id']}/raw",
        params={"recipient": "shira+copy@example.com"},
    ).content
    delivered = parse(raw)
    assert delivered["Return-Path"] == "<bounces+msg-42@newym.test>"
    assert delivered["Delivered-To"] == "shira+copy@example.com"
    assert delivered["Subject"] == "תזכורת: אימון מחר ב-07:00"
    body = delivered.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().strip() == "שלום רון, נתראה מחר."
    stats = mail_emulator.stats()
    assert stats["messages.accepted"] == 1
    assert stats["recipients.accepted"] == 3


def test_a_batch_of_messages_over_one_connection_is_counted(
    mail_emulator: MailEmulatorClient,
) -> None:
    with mail_emulator.smtp() as client:
        for number in range(5):
            client.send_message(hebrew_message(f"client{number}@example.com"))
    stats = mail_emulator.stats()
    assert stats["connections"] == 1
    assert stats["messages.accepted"] == 5
    assert stats["commands.MAIL"] == 5
    assert stats["tls.sessions"] == 1
