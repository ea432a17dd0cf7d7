"""Starting the processes: web (Streamlit), api (uvicorn), worker (Huey), and the emulators.

Each can start alone (`python -m integrations web|api|worker`; the stand-ins with `python -m
emulators.google` and `python -m emulators.smtp`, which the product never imports); `run` starts
all of them under honcho from the Procfile, plus the Google and mail emulators while no Google
client is configured.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from db.engine import private_directory
from integrations.config import DEMO_COOKIE_SECRET_FILE, Settings
from integrations.processes.demo import DEMO_PEOPLE

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "Procfile"
COOKIE_SECRET_FILE = DEMO_COOKIE_SECRET_FILE


def _demo_secret(path: Path) -> str:
    import secrets

    if path.exists():
        return path.read_text(encoding="ascii").strip()
    private_directory(path.parent)
    value = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    return value


def auth_secrets(settings: Settings) -> dict[str, str]:
    """Streamlit's `[auth]` section, built from our settings (OIDC: emulator in demo mode)."""
    if settings.AUTH_COOKIE_SECRET is not None:
        cookie_secret = settings.AUTH_COOKIE_SECRET.get_secret_value()
    else:
        cookie_secret = _demo_secret(settings.DATA_DIR / COOKIE_SECRET_FILE)
    return {
        "redirect_uri": f"{settings.PUBLIC_URL}/oauth2callback",
        "cookie_secret": cookie_secret,
        "client_id": settings.auth_client_id,
        "client_secret": settings.auth_client_secret,
        "server_metadata_url": settings.auth_server_metadata_url,
    }


def write_streamlit_secrets(settings: Settings) -> Path:
    """Write the secrets file only the owner can read; Streamlit reads it at start."""
    path = settings.DATA_DIR / "streamlit_secrets.toml"
    private_directory(path.parent)
    lines = ["[auth]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in auth_secrets(settings).items()]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def web_command(settings: Settings) -> list[str]:
    secrets_file = write_streamlit_secrets(settings)
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.port",
        str(settings.WEB_PORT),
        "--server.headless",
        "true",
        # Login cookies are per host: serve only the host named in PUBLIC_URL's redirect.
        "--server.address",
        urlsplit(settings.PUBLIC_URL).hostname or "localhost",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
        # A traceback tells a visitor our code and paths; users see only that something failed,
        # the traceback stays in the server's log.
        "--client.showErrorDetails",
        "none",
        "--secrets.files",
        str(secrets_file),
    ]


def emulator_args(settings: Settings) -> list[str]:
    args = [
        "--port",
        str(settings.EMULATOR_PORT),
        "--issuer",
        settings.emulator_url,
        "--client-id",
        settings.google_client_id,
        "--client-secret",
        settings.google_client_secret,
        "--redirect-uri",
        f"{settings.PUBLIC_URL}/oauth2callback",
    ]
    if settings.GOOGLE_REDIRECT_URI:
        args += ["--redirect-uri", settings.GOOGLE_REDIRECT_URI]
    for person in DEMO_PEOPLE:
        args += ["--account", f"{person.email}={person.name}"]
    return [*args, "--demo-events"]


@dataclass(frozen=True)
class MailEmulatorPorts:
    """Where the demo's mail emulator listens: the three ports after the Google emulator's, so
    a stack started on a free EMULATOR_PORT (as the tests start one) moves them along too."""

    smtp: int
    pop3: int
    inbox: int

    @property
    def inbox_url(self) -> str:
        return f"http://localhost:{self.inbox}/"


def mail_emulator_ports(settings: Settings) -> MailEmulatorPorts:
    base = settings.EMULATOR_PORT if settings.EMULATOR_PORT <= 65532 else settings.EMULATOR_PORT - 4
    return MailEmulatorPorts(smtp=base + 1, pop3=base + 2, inbox=base + 3)


def mail_emulator_certificate(settings: Settings) -> Path:
    """The demo mail emulator's STARTTLS certificate, written at its start: the CA a client
    loads to verify it."""
    return settings.DATA_DIR / "mail-emulator" / "certificate.pem"


def mail_emulator_command(settings: Settings) -> list[str]:
    ports = mail_emulator_ports(settings)
    return [
        sys.executable,
        "-m",
        "emulators.smtp",
        "--smtp-port",
        str(ports.smtp),
        "--pop3-port",
        str(ports.pop3),
        "--http-port",
        str(ports.inbox),
        "--certificate-out",
        str(mail_emulator_certificate(settings)),
    ]


def procfile_commands(settings: Settings) -> dict[str, list[str]]:
    """The Procfile's processes, run with this interpreter, plus the emulator in demo mode."""
    commands: dict[str, list[str]] = {}
    for line in PROCFILE.read_text(encoding="utf-8").splitlines():
        name, sep, command = line.partition(":")
        if not sep or line.lstrip().startswith("#"):
            continue
        argv = shlex.split(command)
        if argv and argv[0] == "python":
            argv[0] = sys.executable
        commands[name.strip()] = argv
    if settings.demo_mode:
        commands = {
            "emulator": [sys.executable, "-m", "emulators.google", *emulator_args(settings)],
            "mail": mail_emulator_command(settings),
            **commands,
        }
    return commands


def login_banner(settings: Settings) -> str:
    lines = [
        "",
        "NEWYM Integrations Console" + (" — DEMO MODE" if settings.demo_mode else ""),
        f"  Open {settings.PUBLIC_URL} and press 'Log in'.",
    ]
    if settings.demo_mode:
        lines.append("  The Google emulator's account chooser offers the demo people:")
        lines += [f"    {person.email:<28} {person.role.value}" for person in DEMO_PEOPLE]
        lines.append(f"  Google emulator: {settings.emulator_url}")
        lines.append(f"  Mail inbox:      {mail_emulator_ports(settings).inbox_url}")
    lines += [
        f"  API health:      {settings.API_PUBLIC_URL}/healthz",
        "  Ctrl-C stops every process.",
        "",
    ]
    return "\n".join(lines)
