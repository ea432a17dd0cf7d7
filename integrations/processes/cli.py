"""`python -m integrations ...`: the operators' command line. Every subcommand accepts --json."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from sqlmodel import select

from db.engine import get_engine
from db.migrate import upgrade
from db.models import utcnow
from integrations.config import ConfigurationError, Settings, get_settings
from integrations.core.crypto import cipher_from_settings, generate_key
from integrations.core.errors import IntegrationError
from integrations.core.key_rotation import rotate_all
from integrations.core.liveness import check_store, check_worker
from integrations.core.logging import configure_logging
from integrations.core.queue import check_queue, make_huey
from integrations.crm import accounts
from integrations.processes import demo, supervisor
from integrations.runtime import session as open_session

log = logging.getLogger("integrations.processes.cli")


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    sys.stdout.write(
        (json.dumps(data, ensure_ascii=False, default=str) if args.json else text) + "\n"
    )


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    upgrade(settings.DATABASE_URL)
    store = check_store(get_engine(settings.DATABASE_URL))
    _emit(args, store, f"Database is at revision {store.get('revision')}.")
    return 0


def cmd_seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    with open_session() as session:
        seeded = demo.seed_demo(session=session, now=utcnow())
    text = "Demo organisation created." if seeded else "Users exist already; nothing seeded."
    _emit(args, {"seeded": seeded}, text)
    return 0


def cmd_users_add(args: argparse.Namespace, settings: Settings) -> int:
    with open_session() as session:
        user = accounts.add_user(args.email, args.role, session=session, name=args.name or "")
    _emit(
        args,
        {
            "id": user.id,
            "email": user.email,
            "role": user.role.value,
            "trainer_id": user.trainer_id,
        },
        f"Invited {user.email} as {user.role.value}. They log in at {settings.PUBLIC_URL}.",
    )
    return 0


def cmd_users_list(args: argparse.Namespace, settings: Settings) -> int:
    from db.models import User

    with open_session() as session:
        users = session.exec(select(User).order_by(User.email)).all()
        rows = [
            {"email": u.email, "name": u.name, "role": u.role.value, "active": u.is_active}
            for u in users
        ]
    text = "\n".join(
        f"{r['email']:<36} {r['role']:<8} {'active' if r['active'] else 'deactivated'}  {r['name']}"
        for r in rows
    )
    _emit(args, rows, text or "No users yet.")
    return 0


def cmd_users_deactivate(args: argparse.Namespace, settings: Settings) -> int:
    with open_session() as session:
        user = accounts.deactivate_by_email(args.email, session=session)
    _emit(args, {"email": user.email, "active": False}, f"Deactivated {user.email}.")
    return 0


def cmd_keys_generate(args: argparse.Namespace, settings: Settings) -> int:
    key = generate_key()
    _emit(args, {"key": key}, key)
    return 0


def cmd_keys_rotate(args: argparse.Namespace, settings: Settings) -> int:
    """Re-encrypt every stored secret under the first key of TOKEN_ENCRYPTION_KEYS, then prove
    that the first key alone reads them all before saying the older keys may be removed."""
    report = rotate_all(get_engine(settings.DATABASE_URL), cipher_from_settings(settings))
    unreadable = [
        {"table": item.table, "id": item.row_id, "column": item.column}
        for item in report.unreadable
    ]
    lines = [f"Re-encrypted {report.total} secrets with the newest key."]
    lines += [f"  {table:<28} {count}" for table, count in report.rotated.items()]
    if report.old_keys_may_go:
        lines.append("Every stored secret opens with the newest key alone: older keys may go.")
    else:
        lines.append(
            f"{len(unreadable)} stored secrets do not open with the newest key alone; "
            "KEEP THE OLDER KEYS until they are mended or removed:"
        )
        lines += [
            f"  {item['table']} id={item['id']} column={item['column']}" for item in unreadable
        ]
    _emit(
        args,
        {
            "rotated": report.total,
            "tables": report.rotated,
            "old_keys_may_go": report.old_keys_may_go,
            "unreadable": unreadable,
        },
        "\n".join(lines),
    )
    return 0 if report.old_keys_may_go else 1


def cmd_health(args: argparse.Namespace, settings: Settings) -> int:
    engine = get_engine(settings.DATABASE_URL)
    store = check_store(engine)
    queue = check_queue(make_huey(settings))
    worker = check_worker(engine) if store["ok"] else {"ok": False}
    data = {"store": store, "queue": queue, "worker": worker, "demo_mode": settings.demo_mode}
    text = "\n".join(
        f"{name:<7} {'ok' if part['ok'] else 'FAILING'}  "
        + ", ".join(f"{k}={v}" for k, v in part.items() if k != "ok")
        for name, part in (("store", store), ("queue", queue), ("worker", worker))
    )
    _emit(args, data, text)
    return 0 if store["ok"] and queue["ok"] else 1


def cmd_web(args: argparse.Namespace, settings: Settings) -> int:
    command = supervisor.web_command(settings)
    os.execv(command[0], command)  # noqa: S606 - replaces this process with Streamlit


def cmd_api(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    uvicorn.run(
        "integrations.processes.api:create_app",
        factory=True,
        host=args.host,
        port=settings.API_PORT,
        log_level="warning",
        proxy_headers=True,
    )
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from integrations.processes.worker import huey, tick_now

    tick_now()  # a first heartbeat right away, not only at the next full minute
    consumer = huey.create_consumer(workers=args.workers, worker_type="thread", periodic=True)
    consumer.run()
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from honcho.manager import Manager
    from honcho.printer import Printer

    upgrade(settings.DATABASE_URL)
    if settings.demo_mode:
        # The banner below says what matters; the seeding's audit lines would bury it.
        audit_log = logging.getLogger("integrations.audit")
        level = audit_log.level
        audit_log.setLevel(logging.WARNING)
        try:
            with open_session() as session:
                seeded = demo.seed_demo(session=session, now=utcnow())
        finally:
            audit_log.setLevel(level)
        if seeded:
            sys.stdout.write("Demo organisation created.\n")
    sys.stdout.write(supervisor.login_banner(settings) + "\n")
    sys.stdout.flush()
    manager = Manager(Printer(sys.stdout))
    for name, argv in supervisor.procfile_commands(settings).items():
        manager.add_process(name, " ".join(_quote(part) for part in argv))
    manager.loop()
    return int(manager.returncode or 0)


def _quote(part: str) -> str:
    import shlex

    return shlex.quote(part)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m integrations", description="NEWYM Integrations Console: operator commands"
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, handler: Callable[..., int], help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text)
        command.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
        command.set_defaults(handler=handler)
        return command

    add("migrate", cmd_migrate, "apply database migrations")
    add("seed-demo", cmd_seed_demo, "create the demo organisation if the store has no users")
    add("health", cmd_health, "check the store, the queue and the workers")
    add("run", cmd_run, "migrate, seed the demo and start every process")
    add("web", cmd_web, "start the Streamlit dashboard")
    api = add("api", cmd_api, "start the webhook/API process")
    api.add_argument("--host", default="127.0.0.1")
    worker = add("worker", cmd_worker, "start a queue worker")
    worker.add_argument("--workers", type=int, default=2)

    users = sub.add_parser("users", help="manage who may log in").add_subparsers(
        dest="users_command", required=True
    )
    users_add = users.add_parser("add", help="invite a user by email with a role")
    users_add.add_argument("--email", required=True)
    users_add.add_argument("--role", required=True, choices=["trainer", "staff", "manager"])
    users_add.add_argument("--name", default="")
    users_add.set_defaults(handler=cmd_users_add)
    users_list = users.add_parser("list", help="list users")
    users_list.set_defaults(handler=cmd_users_list)
    users_off = users.add_parser("deactivate", help="stop a user from logging in")
    users_off.add_argument("--email", required=True)
    users_off.set_defaults(handler=cmd_users_deactivate)
    for command in (users_add, users_list, users_off):
        command.add_argument("--json", action="store_true", default=argparse.SUPPRESS)

    keys = sub.add_parser("keys", help="encryption keys").add_subparsers(
        dest="keys_command", required=True
    )
    generate = keys.add_parser("generate", help="print a new Fernet key")
    generate.set_defaults(handler=cmd_keys_generate)
    rotate = keys.add_parser("rotate", help="re-encrypt stored secrets with the newest key")
    rotate.set_defaults(handler=cmd_keys_rotate)
    for command in (generate, rotate):
        command.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ConfigurationError as error:
        sys.stderr.write(f"{error}\n")
        return 2
    configure_logging(settings, process=args.command)
    # Ctrl-C in a child of honcho arrives as SIGTERM too; exit quietly either way.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return int(args.handler(args, settings))
    except IntegrationError as error:
        if args.json:
            sys.stdout.write(json.dumps({"error": str(error)}, ensure_ascii=False) + "\n")
        else:
            sys.stderr.write(f"error: {error}\n")
        return 1
    except KeyboardInterrupt:
        return 130
