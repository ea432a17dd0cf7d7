"""Realtime: push channels per calendar, renewed before expiry, stopped when not wanted, and a
webhook that syncs once per burst, only for real, fresh notifications."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import col, select

from db.models import WebhookChannel, utcnow
from integrations.google_calendar import channels, connection
from integrations.google_calendar.status import update_google_calendar_sync_settings
from integrations.processes import worker
from integrations.processes.api import create_app
from tests.support.google_world import Trainer


def google_channels(trainer: Trainer) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = trainer.world.control(
        "GET", "/_emulator/push/channels", params={"email": trainer.email}
    ).json()["channels"]
    return listed


def live(trainer: Trainer) -> list[WebhookChannel]:
    trainer.session.expire_all()
    return list(
        trainer.session.exec(
            select(WebhookChannel).where(col(WebhookChannel.stopped_at).is_(None))
        ).all()
    )


def test_a_realtime_calendar_gets_one_channel_pointing_at_our_webhook(trainer: Trainer) -> None:
    trainer.sync()
    [channel] = live(trainer)
    assert channel.calendar_id == trainer.email
    assert channel.expires_at is not None
    assert timedelta(days=6) < channel.expires_at - utcnow() <= timedelta(days=7, minutes=1)
    [at_google] = [c for c in google_channels(trainer) if not c["stopped"]]
    assert at_google["address"].endswith("/functions/v1/google-webhook")
    assert at_google["id"] == channel.channel_id
    trainer.sync()
    assert [c.id for c in live(trainer)] == [channel.id]  # a second sync keeps the same channel


def test_a_channel_near_expiry_is_replaced_new_first_then_the_old_stops(trainer: Trainer) -> None:
    trainer.sync()
    [old] = live(trainer)
    old.expires_at = utcnow() + timedelta(hours=2)
    trainer.session.add(old)
    trainer.session.commit()
    trainer.sync()
    [new] = live(trainer)
    assert new.channel_id != old.channel_id
    states = {c["id"]: c["stopped"] for c in google_channels(trainer)}
    assert states == {old.channel_id: True, new.channel_id: False}


def test_switching_to_hourly_stops_the_channel(trainer: Trainer) -> None:
    trainer.sync()
    update_google_calendar_sync_settings(
        trainer.actor, trainer.id, {"syncFrequency": "hourly"}, session=trainer.session
    )
    trainer.sync()
    assert live(trainer) == []
    assert all(c["stopped"] for c in google_channels(trainer))


def test_disconnect_stops_every_channel_at_google(trainer: Trainer) -> None:
    trainer.sync()
    connection.disconnect_google(
        trainer.actor,
        trainer.id,
        keep_events=True,
        session=trainer.session,
        settings=trainer.world.settings,
        cipher=trainer.world.cipher,
    )
    assert live(trainer) == []
    assert google_channels(trainer) and all(c["stopped"] for c in google_channels(trainer))


def _headers(channel: WebhookChannel, token: str, state: str, number: int) -> dict[str, str]:
    return {
        "X-Goog-Channel-ID": channel.channel_id,
        "X-Goog-Channel-Token": token,
        "X-Goog-Channel-Expiration": "Tue, 01 Dec 2026 10:00:00 GMT",
        "X-Goog-Resource-ID": channel.resource_id or "",
        "X-Goog-Resource-URI": "https://www.googleapis.com/calendar/v3/calendars/x/events",
        "X-Goog-Resource-State": state,
        "X-Goog-Message-Number": str(number),
    }


def test_the_webhook_syncs_once_per_burst_and_only_for_authentic_fresh_messages(
    trainer: Trainer,
) -> None:
    trainer.sync()
    [channel] = live(trainer)
    token = trainer.world.cipher.decrypt(channel.token_encrypted)
    worker.huey.flush()
    client = TestClient(create_app(trainer.world.settings))
    path = channels.WEBHOOK_PATH

    def post(headers: dict[str, str]) -> tuple[int, str]:
        answer = client.post(path, headers=headers)
        return answer.status_code, answer.headers.get("X-Outcome", "")

    assert post(_headers(channel, token, "sync", 1)) == (200, "sync_message")
    assert post(_headers(channel, "forged", "exists", 2)) == (403, "bad_token")
    assert post(_headers(channel, token, "exists", 2)) == (200, "sync_queued")
    assert post(_headers(channel, token, "exists", 2)) == (200, "duplicate")
    assert post(_headers(channel, token, "exists", 1)) == (200, "duplicate")  # stale, out of order
    assert post(_headers(channel, token, "exists", 3)) == (200, "sync_queued")
    assert post(_headers(channel, token, "exists", 4)) == (200, "sync_queued")
    assert worker.huey.pending_count() + worker.huey.scheduled_count() == 1  # debounced to one sync
    unknown = channel.model_copy(update={"channel_id": "not-ours"})
    assert post(_headers(unknown, token, "exists", 9)) == (200, "unknown_channel")
    assert client.post(path).status_code == 400
    worker.huey.flush()


def test_a_stopped_channels_notifications_start_nothing(trainer: Trainer) -> None:
    trainer.sync()
    [channel] = live(trainer)
    token = trainer.world.cipher.decrypt(channel.token_encrypted)
    update_google_calendar_sync_settings(
        trainer.actor, trainer.id, {"syncFrequency": "daily"}, session=trainer.session
    )
    trainer.sync()
    verdict = channels.receive(
        channels.Notification(channel.channel_id, token, "exists", 99, channel.resource_id),
        session=trainer.session,
        cipher=trainer.world.cipher,
    )
    assert verdict.trainer_id is None and verdict.outcome == "unknown_channel"
