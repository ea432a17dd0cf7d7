"""Google's change notifications as the webhook receives them, and the queue they fill."""

from __future__ import annotations

from db.models import WebhookChannel
from integrations.processes import worker
from tests.support.google_world import Trainer


def headers(trainer: Trainer, channel: WebhookChannel, **override: str | None) -> dict[str, str]:
    """What Google sends with a change notification; `override` replaces (None drops) one."""
    sent = {
        "X-Goog-Channel-ID": channel.channel_id,
        "X-Goog-Channel-Token": trainer.world.cipher.decrypt(channel.token_encrypted),
        "X-Goog-Channel-Expiration": "Tue, 01 Dec 2026 10:00:00 GMT",
        "X-Goog-Resource-ID": channel.resource_id or "",
        "X-Goog-Resource-URI": "https://www.googleapis.com/calendar/v3/calendars/x/events",
        "X-Goog-Resource-State": "exists",
        "X-Goog-Message-Number": "2",
    }
    for name, value in override.items():
        header = "X-Goog-" + name.replace("_", "-")
        if value is None:
            sent.pop(header)
        else:
            sent[header] = value
    return sent


def queued() -> int:
    return int(worker.huey.pending_count() + worker.huey.scheduled_count())
