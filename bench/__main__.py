"""`make bench`: measure side by side in one run, print ratios, write docs/PERFORMANCE.md.

Each throughput benchmark times two or more variants of the same work, interleaved round by round
so that a noisy machine slows them alike; the table reports medians and the ratio to the first
variant. The Google Calendar benchmarks (bench/google_calendar.py) run the sync engine against the
emulator on every store and report requests, time and memory against the goals of issue 3.

`python -m bench --quick` measures smaller sizes with fewer rounds and only prints, unless
`--output` names a file; `--only full-sync` (repeatable) measures just that Google Calendar part
and prints it.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Settings this process may have inherited that would point the benchmark at real data: a queue,
# a store, a Google client. Every process the benchmark starts inherits this environment.
for _name in ("APP_ENV", "DATABASE_URL", "REDIS_URL", "TOKEN_ENCRYPTION_KEYS", "GOOGLE_CLIENT_ID"):
    os.environ.pop(_name, None)
os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="newym-bench-")

import sqlalchemy as sa  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bench import google_calendar  # noqa: E402
from bench.report import Table, document, rate_table  # noqa: E402
from bench.stores import scratch_stores  # noqa: E402
from db.engine import get_engine  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import utcnow  # noqa: E402
from integrations import accounts, demo  # noqa: E402
from integrations.config import load_settings  # noqa: E402
from integrations.core.crypto import TokenCipher  # noqa: E402
from integrations.core.logging import JsonFormatter, RedactingFilter, Redactor  # noqa: E402
from integrations.core.notifications import unread_count  # noqa: E402

ROUNDS = 15
QUICK_ROUNDS = 5
Variant = tuple[str, Callable[[], None], int]  # name, one batch, operations per batch


def measure(variants: list[Variant], rounds: int) -> list[tuple[str, float]]:
    """Median operations per second of each variant, timed in interleaved rounds."""
    samples: dict[str, list[float]] = {name: [] for name, _, _ in variants}
    for _ in range(rounds):
        for name, batch, operations in variants:
            start = time.perf_counter()
            batch()
            samples[name].append(operations / (time.perf_counter() - start))
    return [(name, statistics.median(samples[name])) for name, _, _ in variants]


def bench_page_load_queries(rounds: int) -> Table:
    """What app.py asks the store on every page load: who is this, and how many unread."""
    with scratch_stores() as stores:
        variants: list[Variant] = []
        for label, url in stores.urls.items():
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
        return rate_table(
            "Page-load queries (resolve login + unread count), loads/s",
            measure(variants, rounds),
            stores.note,
        )


def bench_log_redaction(rounds: int) -> Table:
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
    return rate_table("Structured log lines, lines/s", measure(variants, rounds))


def bench_token_decryption(rounds: int) -> Table:
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
    return rate_table("Token decryption (MultiFernet), tokens/s", measure(variants, rounds))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes and fewer rounds; print only"
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the report (default: docs/PERFORMANCE.md, or nowhere with --quick)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=google_calendar.PARTS,
        help="measure only this Google Calendar part (repeatable); print only, unless --output",
    )
    args = parser.parse_args(argv)
    rounds = QUICK_ROUNDS if args.quick else ROUNDS
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    tables = (
        []
        if args.only
        else [
            bench_page_load_queries(rounds),
            bench_log_redaction(rounds),
            bench_token_decryption(rounds),
        ]
    )
    plan = google_calendar.QUICK if args.quick else google_calendar.FULL
    parts = tuple(args.only or google_calendar.PARTS)
    tables += google_calendar.tables(google_calendar.measure(plan, parts))
    load = (load_before, os.getloadavg()[0])
    report = document(tables, rounds=rounds, quick=args.quick, load=load)
    partial = args.quick or args.only
    output = args.output or (None if partial else ROOT / "docs" / "PERFORMANCE.md")
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report, encoding="utf-8")
    print(report)
    google_calendar.progress(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
    if "--only" in sys.argv:
        raise SystemExit(0)
    # The Health, Events and Trainers pages at scale (issue 4, bench/dashboard.py): their tables
    # join the same report.
    from bench import dashboard

    dashboard.main(sys.argv[1:])
