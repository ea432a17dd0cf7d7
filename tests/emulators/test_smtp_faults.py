"""Faults injected through the control API, each at its stage, as smtplib reports them."""

from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage

import pytest

from tests.support import mail_emulator as fixtures
from tests.support.mail_emulator import MailEmulatorClient


def reminder(to: str = "client@example.com", size: int = 0) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "dana@newym.test"
    message["To"] = to
    message["Subject"] = "Reminder"
    message.set_content("See you tomorrow.\n" + "x" * size)
    return message


def test_421_at_connect_is_smtp_connect_error(mail_emulator: MailEmulatorClient) -> None:
    mail_emulator.fault(stage="connect", code=421)
    with pytest.raises(smtplib.SMTPConnectError) as refused:
        smtplib.SMTP("localhost", mail_emulator.smtp_port, timeout=10)
    assert refused.value.smtp_code == 421
    with mail_emulator.smtp() as client:  # `times` was 1: the next connection is served
        client.send_message(reminder())
    assert mail_emulator.stats()["replies.connect.421"] == 1


def test_421_at_mail_refuses_the_sender_and_closes_the_connection(
    mail_emulator: MailEmulatorClient,
) -> None:
    mail_emulator.fault(stage="mail", code=421)
    with mail_emulator.smtp() as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.send_message(reminder())
        assert refused.value.smtp_code == 421
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.noop()
    assert mail_emulator.messages() == []


def test_451_at_rcpt_is_a_temporary_refusal_of_that_recipient(
    mail_emulator: MailEmulatorClient,
) -> None:
    mail_emulator.fault(stage="rcpt", code=451, recipient="greylisted@example.com")
    with mail_emulator.smtp() as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.send_message(reminder("greylisted@example.com"))
        code, text = refused.value.recipients["greylisted@example.com"]
        assert code == 451 and text.startswith(b"4.")
        client.send_message(reminder("greylisted@example.com"))  # the retry is taken
    assert len(mail_emulator.messages(mailbox="greylisted@example.com")) == 1


def test_550_unknown_mailbox_refuses_only_that_recipient_every_time(
    mail_emulator: MailEmulatorClient,
) -> None:
    mail_emulator.fault(stage="rcpt", code=550, recipient="gone@example.com", times=None)
    with mail_emulator.smtp() as client:
        for _ in range(2):
            refused = client.send_message(
                reminder(), to_addrs=["gone@example.com", "here@example.com"]
            )
            assert refused["gone@example.com"][0] == 550
            assert b"5.1.1 <gone@example.com>" in refused["gone@example.com"][1]
    assert mail_emulator.messages(mailbox="gone@example.com") == []
    assert len(mail_emulator.messages(mailbox="here@example.com")) == 2
    assert mail_emulator.stats()["replies.rcpt.550"] == 2


def test_552_after_the_content_is_a_data_error_and_nothing_is_stored(
    mail_emulator: MailEmulatorClient,
) -> None:
    mail_emulator.fault(stage="message", code=552)
    with mail_emulator.smtp() as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.send_message(reminder(size=5000))
        assert refused.value.smtp_code == 552
        client.send_message(reminder())  # the connection stays usable
    assert len(mail_emulator.messages()) == 1


def test_a_fault_at_the_data_command_comes_before_354(mail_emulator: MailEmulatorClient) -> None:
    mail_emulator.fault(stage="data", code=451)
    with mail_emulator.smtp() as client:
        code, _ = client.mail("dana@newym.test")
        assert code == 250
        client.rcpt("client@example.com")
        code, text = client.docmd("DATA")
    assert (code, text[:2]) == (451, b"4.")


def test_a_connection_dropped_in_the_middle_of_data_is_server_disconnected(
    mail_emulator: MailEmulatorClient,
) -> None:
    mail_emulator.fault(stage="message", kind="drop", afterBytes=200)
    with mail_emulator.smtp() as client, pytest.raises(smtplib.SMTPServerDisconnected):
        client.send_message(reminder(size=200_000))
    assert mail_emulator.messages() == []
    stats = mail_emulator.stats()
    assert stats["drops.midData"] == 1
    assert "messages.accepted" not in stats


@pytest.mark.parametrize("stage", ["mail", "rcpt", "data"])
def test_a_connection_dropped_at_a_command_gets_no_reply(
    mail_emulator: MailEmulatorClient, stage: str
) -> None:
    mail_emulator.fault(stage=stage, kind="drop")
    with mail_emulator.smtp() as client:
        steps = [
            ("mail", lambda: client.mail("dana@newym.test")),
            ("rcpt", lambda: client.rcpt("client@example.com")),
            ("data", lambda: client.docmd("DATA")),
        ]
        for name, step in steps:
            if name == stage:
                with pytest.raises(smtplib.SMTPServerDisconnected):
                    step()  # no reply at all: not a 250 and then a closed line
                break
            assert step()[0] == 250
    assert mail_emulator.messages() == []
    assert mail_emulator.stats()[f"faults.{stage}.drop"] == 1


def test_faults_for_the_next_n_commands_then_normal_service(
    mail_emulator: MailEmulatorClient,
) -> None:
    mail_emulator.fault(stage="mail", code=451, times=2)
    with mail_emulator.smtp() as client:
        for _ in range(2):
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                client.send_message(reminder())
            assert refused.value.smtp_code == 451
        client.send_message(reminder())
    assert len(mail_emulator.messages()) == 1
    assert mail_emulator.control("GET", "/_emulator/faults").json()["faults"] == []


def test_slowness_holds_the_reply_for_the_seconds_asked(mail_emulator: MailEmulatorClient) -> None:
    mail_emulator.fault(stage="message", kind="delay", seconds=0.6)
    with mail_emulator.smtp() as client:
        began = time.monotonic()
        client.send_message(reminder())
        waited = time.monotonic() - began
    assert waited >= 0.6
    assert len(mail_emulator.messages()) == 1


def test_a_client_timeout_shorter_than_the_delay_gives_up(
    mail_emulator: MailEmulatorClient,
) -> None:
    mail_emulator.fault(stage="connect", kind="delay", seconds=5)
    with pytest.raises((TimeoutError, smtplib.SMTPServerDisconnected)):
        smtplib.SMTP("localhost", mail_emulator.smtp_port, timeout=0.5)
    assert mail_emulator.stats()["faults.connect.delay"] == 1


def test_a_temporary_auth_failure_is_454(mail_emulator: MailEmulatorClient) -> None:
    # Two: smtplib.login tries LOGIN after PLAIN's refusal.
    mail_emulator.fault(stage="auth", code=454, text="4.7.0 Temporary auth failure", times=2)
    with (
        mail_emulator.smtp(login=False) as client,
        pytest.raises(smtplib.SMTPAuthenticationError) as refused,
    ):
        client.login(fixtures.SMTP_USER, fixtures.SMTP_PASSWORD)
    assert refused.value.smtp_code == 454
    assert mail_emulator.stats()["replies.auth.454"] == 2


def test_a_refused_ehlo_and_helo_is_a_helo_error(mail_emulator: MailEmulatorClient) -> None:
    # Two: after a refused EHLO smtplib says HELO.
    mail_emulator.fault(stage="ehlo", code=554, text="5.7.1 Go away", times=2)
    with (
        smtplib.SMTP("localhost", mail_emulator.smtp_port, timeout=10) as client,
        pytest.raises(smtplib.SMTPHeloError) as refused,
    ):
        client.sendmail("dana@newym.test", ["client@example.com"], b"Subject: x\r\n\r\nx\r\n")
    assert refused.value.smtp_code == 554
    assert mail_emulator.stats()["commands.HELO"] == 1


def test_a_refused_starttls_leaves_the_line_in_clear(mail_emulator: MailEmulatorClient) -> None:
    mail_emulator.fault(stage="starttls", code=454)
    with smtplib.SMTP("localhost", mail_emulator.smtp_port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPResponseException) as refused:
            client.starttls(context=mail_emulator.tls_context())
        assert refused.value.smtp_code == 454
        assert client.sock is not None and not hasattr(client.sock, "version")
