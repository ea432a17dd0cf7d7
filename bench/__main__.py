"""`make bench`: measure side by side in one run, print ratios, write docs/PERFORMANCE.md.

Each benchmark times two or more variants of the same work, interleaved round by round so that a
noisy machine slows them alike; the table reports medians and the ratio to the first variant.
"""

from __future__ import annotations

import io
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="newym-bench-"))

from db.engine import get_engine  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import utcnow  # noqa: E402
from integrations import accounts, demo  # noqa: E402
from integrations.config import load_settings  # noqa: E402
from integrations.core.crypto import TokenCipher  # noqa: E402
from integrations.core.logging import JsonFormatter, RedactingFilter, Redactor  # noqa: E402
from integrations.core.notifications import unread_count  # noqa: E402

ROUNDS = 15
Variant = tuple[str, Callable[[], None], int]  # name, one batch, operations per batch


def measure(variants: list[Variant]) -> list[tuple[str, float]]:
    """Median operations per second of each variant, timed in interleaved rounds."""
    samples: dict[str, list[float]] = {name: [] for name, _, _ in variants}
    for _ in range(ROUNDS):
        for name, batch, operations in variants:
            start = time.perf_counter()
            batch()
            samples[name].append(operations / (time.perf_counter() - start))
    return [(name, statistics.median(samples[name])) for name, _, _ in variants]


def bench_page_load_queries() -> tuple[str, list[tuple[str, float]], str]:
    """What app.py asks the store on every page load: who is this, and how many unread."""
    stores = {"SQLite (WAL)": f"sqlite:///{tempfile.mkdtemp()}/bench.db"}
    postgres = os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    note = ""
    created_pg: tuple[sa.Engine, str] | None = None
    try:
        admin = sa.create_engine(postgres, isolation_level="AUTOCOMMIT")
        name = f"newym_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        stores["PostgreSQL"] = (
            sa.make_url(postgres).set(database=name).render_as_string(hide_password=False)
        )
        created_pg = (admin, name)
    except sa.exc.OperationalError:
        note = "PostgreSQL was not reachable; only SQLite was measured."
    variants: list[Variant] = []
    for label, url in stores.items():
        upgrade(url)
        engine = get_engine(url)
        with Session(engine) as session:
            demo.seed_demo(session=session, now=utcnow())

        def page_load(engine: sa.Engine = engine) -> None:
            for _ in range(100):
                with Session(engine) as session:
                    actor = accounts.resolve_login("dana@demo.newym.co.il", session=session)
                    assert actor is not None
                    unread_count(actor, session=session)

        variants.append((label, page_load, 100))
    try:
        return "Page-load queries (resolve login + unread count), loads/s", measure(variants), note
    finally:
        if created_pg is not None:
            admin, name = created_pg
            get_engine(stores["PostgreSQL"]).dispose()
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def bench_log_redaction() -> tuple[str, list[tuple[str, float]], str]:
    """The cost of scrubbing secrets from every log line."""
    settings = load_settings(SMTP_PASSWORD="bench-smtp-password")  # noqa: S106
    formatter = JsonFormatter()
    redacting = RedactingFilter(Redactor(settings.secret_values()))
    message = "POST /token grant_type=refresh_token&refresh_token=1//0gLongRefreshTokenValue for %s"

    def lines(redact: bool) -> Callable[[], None]:
        def batch() -> None:
            out = io.StringIO()
            for _ in range(2000):
                record = logging.LogRecord(
                    "bench", logging.INFO, __file__, 1, message, ("dana",), None
                )
                record.trainer_id = "t-1"
                if redact:
                    redacting.filter(record)
                out.write(formatter.format(record))

        return batch

    variants: list[Variant] = [
        ("JSON line, no redaction", lines(False), 2000),
        ("JSON line, redacted", lines(True), 2000),
    ]
    return "Structured log lines, lines/s", measure(variants), ""


def bench_token_decryption() -> tuple[str, list[tuple[str, float]], str]:
    """Reading a token stored under the newest key vs. the oldest of three (during a rotation)."""
    keys = [Fernet.generate_key().decode() for _ in range(3)]
    newest_only = TokenCipher(keys[:1])
    rotating = TokenCipher(keys)
    under_newest = newest_only.encrypt("ya29.a-typical-access-token-" + "x" * 150)
    under_oldest = TokenCipher(keys[2:]).encrypt("ya29.a-typical-access-token-" + "x" * 150)

    def decrypt(cipher: TokenCipher, token: str) -> Callable[[], None]:
        def batch() -> None:
            for _ in range(2000):
                cipher.decrypt(token)

        return batch

    variants: list[Variant] = [
        ("1 key, token under it", decrypt(newest_only, under_newest), 2000),
        ("3 keys, token under the newest", decrypt(rotating, under_newest), 2000),
        ("3 keys, token under the oldest", decrypt(rotating, under_oldest), 2000),
    ]
    return "Token decryption (MultiFernet), tokens/s", measure(variants), ""


def render(results: list[tuple[str, list[tuple[str, float]], str]]) -> str:
    lines = [
        "# Performance",
        "",
        "Written by `make bench` (`python -m bench`). Each table times its variants side by",
        f"side in one run, interleaved over {ROUNDS} rounds; figures are medians, ratios are to",
        "the first row.",
        f"Last run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}.",
        "",
    ]
    for title, rows, note in results:
        lines += [f"## {title}", "", "| variant | per second | ratio |", "|---|---:|---:|"]
        base = rows[0][1]
        lines += [f"| {name} | {rate:,.0f} | {rate / base:.2f} |" for name, rate in rows]
        if note:
            lines += ["", note]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    results = [bench_page_load_queries(), bench_log_redaction(), bench_token_decryption()]
    report = render(results)
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "PERFORMANCE.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
