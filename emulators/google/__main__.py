"""Run the Google emulator: python -m emulators.google --port 8765 --client ID:SECRET:URI ..."""

from __future__ import annotations

import argparse
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import uvicorn

from emulators.google.app import AccountIn, ClientIn, create_app
from emulators.google.calendar_state import CalendarStore


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m emulators.google")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--issuer", help="public base URL (default http://localhost:PORT)")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--redirect-uri", action="append", default=[], help="may repeat")
    parser.add_argument("--account", action="append", default=[], help="EMAIL or EMAIL=NAME")
    parser.add_argument(
        "--demo-events",
        action="store_true",
        help="give every account a primary calendar in Asia/Jerusalem with a few events",
    )
    args = parser.parse_args(argv)
    accounts = []
    for entry in args.account:
        email, _, name = entry.partition("=")
        accounts.append(AccountIn(email=email, name=name))
    app = create_app(
        args.issuer or f"http://localhost:{args.port}",
        clients=[
            ClientIn(
                client_id=args.client_id,
                client_secret=args.client_secret,
                redirect_uris=args.redirect_uri,
            )
        ],
        accounts=accounts,
    )
    if args.demo_events:
        seed_demo_calendars(app.state.calendar, [account.email for account in accounts])
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


def seed_demo_calendars(store: CalendarStore, emails: list[str]) -> None:
    """What a trainer's real Google Calendar holds before they connect: life outside the gym."""
    zone = ZoneInfo("Asia/Jerusalem")
    today = datetime.now(zone).date()
    for email in emails:
        calendar = store.ensure_account(email)
        calendar.time_zone = "Asia/Jerusalem"
        _, entry = store.calendar_for(email, email)
        plans = [
            (1, time(12, 30), 60, "ארוחת צהריים עם אמא"),
            (2, time(20, 0), 90, "Team meeting"),
            (3, time(10, 0), 45, "רופא שיניים"),
            (6, time(18, 0), 120, "Family dinner"),
        ]
        for days, at, minutes, summary in plans:
            start = datetime.combine(today + timedelta(days=days), at, tzinfo=zone)
            body = {
                "summary": summary,
                "start": {"dateTime": start.isoformat(), "timeZone": "Asia/Jerusalem"},
                "end": {
                    "dateTime": (start + timedelta(minutes=minutes)).isoformat(),
                    "timeZone": "Asia/Jerusalem",
                },
            }
            store.insert(calendar, entry, body, actor=email, notify=False)
        weekly = datetime.combine(today + timedelta(days=1), time(6, 0), tzinfo=zone)
        store.insert(
            calendar,
            entry,
            {
                "summary": "Morning swim",
                "start": {"dateTime": weekly.isoformat(), "timeZone": "Asia/Jerusalem"},
                "end": {
                    "dateTime": (weekly + timedelta(minutes=45)).isoformat(),
                    "timeZone": "Asia/Jerusalem",
                },
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=8"],
            },
            actor=email,
            notify=False,
        )


if __name__ == "__main__":
    main()
