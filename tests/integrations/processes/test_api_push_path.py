"""The push path is answered before FastAPI's routing, and only for what Google sends: other
methods and requests without Google's headers get what they got from the routed endpoint."""

from __future__ import annotations

from fastapi.testclient import TestClient

from integrations.config import load_settings
from integrations.google_calendar.channels import WEBHOOK_PATH
from integrations.processes.api import create_app


def test_other_methods_on_the_push_path_are_405_and_other_paths_404(database_url: str) -> None:
    client = TestClient(create_app(load_settings()))
    assert client.get(WEBHOOK_PATH).status_code == 405
    assert client.post(WEBHOOK_PATH + "/more").status_code == 404


def test_a_post_without_googles_headers_is_a_400_saying_so(database_url: str) -> None:
    client = TestClient(create_app(load_settings()))
    answer = client.post(WEBHOOK_PATH, headers={"X-Goog-Resource-State": "exists"})
    assert answer.status_code == 400
    assert answer.json() == {"error": "not a Google push notification"}


def test_a_push_on_a_channel_nobody_opened_is_a_2xx_so_google_stops_retrying(
    database_url: str,
) -> None:
    client = TestClient(create_app(load_settings()))
    answer = client.post(
        WEBHOOK_PATH,
        headers={
            "X-Goog-Channel-ID": "never-opened",
            "X-Goog-Channel-Token": "whatever",
            "X-Goog-Resource-State": "exists",
            "X-Goog-Message-Number": "7",
        },
    )
    assert (answer.status_code, answer.headers["X-Outcome"]) == (200, "unknown_channel")
    assert answer.content == b""
