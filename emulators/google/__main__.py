"""Run the Google emulator: python -m emulators.google --port 8765 --client ID:SECRET:URI ..."""

from __future__ import annotations

import argparse

import uvicorn

from emulators.google.app import AccountIn, ClientIn, create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m emulators.google")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--issuer", help="public base URL (default http://localhost:PORT)")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--redirect-uri", action="append", default=[], help="may repeat")
    parser.add_argument("--account", action="append", default=[], help="EMAIL or EMAIL=NAME")
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
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
