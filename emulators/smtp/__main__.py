"""Run the mail emulator: python -m emulators.smtp [--smtp-port 8766 --pop3-port 8767 ...]

Every option also reads an environment variable (MAIL_EMULATOR_SMTP_PORT, ...), so a Procfile
or a shell can set them without arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from pathlib import Path

from emulators.smtp.server import (
    DEFAULT_BOUNCE_MAILBOX,
    DEFAULT_BOUNCE_PASSWORD,
    DEFAULT_SMTP_PASSWORD,
    DEFAULT_SMTP_USER,
    MailEmulator,
    MailEmulatorConfig,
)


def _env(name: str, default: str) -> str:
    return os.environ.get(f"MAIL_EMULATOR_{name}", default)


def _pairs(entries: list[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for entry in entries:
        name, sep, password = entry.partition(":")
        if not sep or not name or not password:
            raise SystemExit(f"{option} wants NAME:PASSWORD, got {entry!r}")
        pairs[name] = password
    return pairs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emulators.smtp")
    parser.add_argument("--host", default=_env("HOST", "127.0.0.1"))
    parser.add_argument("--smtp-port", type=int, default=int(_env("SMTP_PORT", "8766")))
    parser.add_argument("--pop3-port", type=int, default=int(_env("POP3_PORT", "8767")))
    parser.add_argument("--http-port", type=int, default=int(_env("HTTP_PORT", "8768")))
    parser.add_argument("--hostname", default=_env("HOSTNAME", "localhost"))
    parser.add_argument(
        "--smtp-user",
        action="append",
        default=[],
        help=f"USER:PASSWORD allowed to AUTH; may repeat (default {DEFAULT_SMTP_USER}:...)",
    )
    parser.add_argument(
        "--pop3-account",
        action="append",
        default=[],
        help=f"ADDRESS:PASSWORD of a POP3 mailbox; may repeat (default {DEFAULT_BOUNCE_MAILBOX})",
    )
    parser.add_argument("--no-starttls", action="store_true", help="offer no STARTTLS")
    parser.add_argument("--no-auth-required", action="store_true", help="accept MAIL without AUTH")
    parser.add_argument(
        "--certificate-out",
        type=Path,
        default=Path(_env("CERTIFICATE_OUT", "")) if _env("CERTIFICATE_OUT", "") else None,
        help="write the STARTTLS certificate (PEM) here for clients to trust",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    smtp_users = _pairs(args.smtp_user, "--smtp-user") or {
        _env("SMTP_USER", DEFAULT_SMTP_USER): _env("SMTP_PASSWORD", DEFAULT_SMTP_PASSWORD)
    }
    pop3_accounts = _pairs(args.pop3_account, "--pop3-account") or {
        _env("POP3_ADDRESS", DEFAULT_BOUNCE_MAILBOX): _env("POP3_PASSWORD", DEFAULT_BOUNCE_PASSWORD)
    }
    config = MailEmulatorConfig(
        host=args.host,
        smtp_port=args.smtp_port,
        pop3_port=args.pop3_port,
        http_port=args.http_port,
        hostname=args.hostname,
        smtp_users=smtp_users,
        pop3_accounts=pop3_accounts,
        starttls=not args.no_starttls,
        auth_required=not args.no_auth_required,
        certificate_out=args.certificate_out,
    )
    logging.basicConfig(level=logging.WARNING)
    emulator = MailEmulator(config)
    users = ", ".join(sorted(smtp_users))
    mailboxes = ", ".join(sorted(pop3_accounts))
    sys.stdout.write(
        f"Mail emulator inbox: {emulator.inbox_url}\n"
        f"  SMTP {config.host}:{config.smtp_port} "
        f"({'STARTTLS, ' if config.starttls else ''}AUTH PLAIN/LOGIN as {users})\n"
        f"  POP3 {config.host}:{config.pop3_port} (mailboxes {mailboxes})\n"
    )
    sys.stdout.flush()
    # uvicorn catches SIGINT/SIGTERM, stops, then raises the signal again once it is done.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(emulator.serve())


if __name__ == "__main__":
    main()
