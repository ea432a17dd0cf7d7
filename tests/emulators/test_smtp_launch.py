"""Starting the mail emulator: alone with `python -m emulators.smtp`, and beside the Google
emulator when `make run` runs in demo mode."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from integrations.config import load_settings
from integrations.processes.supervisor import (
    login_banner,
    mail_emulator_certificate,
    mail_emulator_ports,
    procfile_commands,
)

ROOT = Path(__file__).resolve().parents[2]


def _free_ports(count: int) -> list[int]:
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def _wait_for_line(process: subprocess.Popen[str], start: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith(start):
            return line
        if not line and process.poll() is not None:
            break
    raise AssertionError(f"no line starting {start!r}; exit code {process.poll()}")


def _wait_for_health(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer")
        time.sleep(0.05)


@pytest.mark.slow
def test_python_m_emulators_smtp_serves_on_the_ports_and_credentials_it_is_given(
    tmp_path: Path,
) -> None:
    smtp_port, pop3_port, http_port = _free_ports(3)
    certificate = tmp_path / "tls" / "certificate.pem"
    env = {
        **os.environ,
        "MAIL_EMULATOR_SMTP_USER": "operator",
        "MAIL_EMULATOR_SMTP_PASSWORD": "from-the-environment",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "emulators.smtp", "--smtp-port", str(smtp_port)]
    command += ["--pop3-port", str(pop3_port), "--http-port", str(http_port)]
    command += ["--certificate-out", str(certificate)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = _wait_for_line(process, "Mail emulator inbox:", timeout=30)
        assert line.strip() == f"Mail emulator inbox: http://localhost:{http_port}/"
        _wait_for_health(f"http://127.0.0.1:{http_port}/_emulator/health", timeout=30)
        context = ssl.create_default_context(cafile=str(certificate))
        with smtplib.SMTP("localhost", smtp_port, timeout=10) as client:
            client.starttls(context=context)
            client.login("operator", "from-the-environment")
            client.sendmail("dana@newym.test", ["client@example.com"], b"Subject: hi\r\n\r\nhi\r\n")
        inbox = httpx.get(f"http://127.0.0.1:{http_port}/mailbox/client@example.com", timeout=10)
        assert "hi" in inbox.text
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            assert process.stdout is not None
            process.stdout.close()
    assert code == 0


def test_demo_mode_starts_the_mail_emulator_after_the_google_one_and_names_its_inbox(
    tmp_path: Path,
) -> None:
    settings = load_settings(DATA_DIR=tmp_path, EMULATOR_PORT=9100)
    command = procfile_commands(settings)["mail"]
    assert command[1:3] == ["-m", "emulators.smtp"]
    ports = mail_emulator_ports(settings)
    assert (ports.smtp, ports.pop3, ports.inbox) == (9101, 9102, 9103)
    for option, value in (
        ("--smtp-port", "9101"),
        ("--pop3-port", "9102"),
        ("--http-port", "9103"),
        ("--certificate-out", str(mail_emulator_certificate(settings))),
    ):
        assert command[command.index(option) + 1] == value
    assert "Mail inbox:      http://localhost:9103/" in login_banner(settings)


def test_with_real_google_credentials_no_emulator_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_CLIENT_ID", "1234-real.apps.googleusercontent.com")
    monkeypatch.setenv("GOOGLE_CLIENT_SECRET", "GOCSPX-real-secret")
    settings = load_settings(DATA_DIR=tmp_path)
    assert not settings.demo_mode
    commands = procfile_commands(settings)
    assert "mail" not in commands and "emulator" not in commands
    assert "Mail inbox" not in login_banner(settings)
