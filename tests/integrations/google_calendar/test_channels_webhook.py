"""The webhook as Google meets it over HTTP: no push is lost when the queue is down, a push Google
would never send is refused naming its header, an expired channel starts nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from huey import RedisHuey
from sqlmodel import col, select

from db.models import SyncTrigger, WebhookChannel, utcnow
from integrations.google_calendar import channels
from integrations.google_calendar.webhook import GooglePushReceiver
from integrations.processes import worker
from integrations.processes.api import create_app
from tests.support.google_world import Trainer
from tests.support.push_notifications import headers, queued


@pytest.fixture
def channel(trainer: Trainer) -> WebhookChannel:
    """The trainer's live push channel, opened by a first sync, with the queue emptied."""
    trainer.sync()
    trainer.session.expire_all()
    [live] = trainer.session.exec(
        select(WebhookChannel).where(col(WebhookChannel.stopped_at).is_(None))
    ).all()
    worker.huey.flush()
    return live


def enqueue_on_unreachable_redis(
    trainer_id: str, trigger: SyncTrigger, *, delay: float = 0, connection: Any = None
) -> Any:
    """The worker's sync task, put on a Redis nobody listens on: it really fails to connect."""
    down = RedisHuey(worker.huey.name, url="redis://127.0.0.1:1/0", utc=True)
    return down.enqueue(worker.sync_trainer.s(trainer_id, trigger.value))


def test_a_push_while_the_queue_is_down_gets_a_503_and_googles_retry_is_taken_later(
    trainer: Trainer, channel: WebhookChannel
) -> None:
    path = channels.WEBHOOK_PATH
    with TestClient(
        create_app(
            trainer.world.settings,
            receivers=[
                GooglePushReceiver(trainer.world.settings, queue_sync=enqueue_on_unreachable_redis)
            ],
        )
    ) as down:
        answer = down.post(path, headers=headers(trainer, channel, Message_Number="2"))
    assert answer.status_code == 503  # Google retries a 5xx with the same message number
    assert answer.headers["X-Outcome"] == "queue_unavailable"
    assert queued() == 0
    assert not worker.sync_waiting(trainer.id)  # the "sync waiting" mark was given back too
    with TestClient(create_app(trainer.world.settings)) as back:
        retry = back.post(path, headers=headers(trainer, channel, Message_Number="2"))
        assert (retry.status_code, retry.headers["X-Outcome"]) == (200, "sync_queued")
        assert queued() == 1
        assert worker.sync_waiting(trainer.id)  # "Sync now" meanwhile says one is waiting
        again = back.post(path, headers=headers(trainer, channel, Message_Number="2"))
        assert (again.status_code, again.headers["X-Outcome"]) == (200, "duplicate")
    assert queued() == 1
    worker.huey.flush()


def test_a_push_without_a_message_number_is_refused_naming_the_header(
    trainer: Trainer, channel: WebhookChannel
) -> None:
    client = TestClient(create_app(trainer.world.settings))
    answer = client.post(
        channels.WEBHOOK_PATH, headers=headers(trainer, channel, Message_Number=None)
    )
    assert answer.status_code == 400
    assert answer.json()["header"] == "X-Goog-Message-Number"
    assert "missing" in answer.json()["error"]
    assert queued() == 0
    # The refused push claimed nothing: Google's next real message is taken.
    fresh = client.post(
        channels.WEBHOOK_PATH, headers=headers(trainer, channel, Message_Number="3")
    )
    assert (fresh.status_code, fresh.headers["X-Outcome"]) == (200, "sync_queued")
    worker.huey.flush()


@pytest.mark.parametrize(
    "number", [str(10**40), "9223372036854775808", "abc", "-1", "1e3", "+5", "0x10"]
)
def test_a_message_number_out_of_range_or_not_a_number_is_a_400_not_a_500(
    trainer: Trainer, channel: WebhookChannel, number: str
) -> None:
    client = TestClient(create_app(trainer.world.settings), raise_server_exceptions=False)
    answer = client.post(
        channels.WEBHOOK_PATH, headers=headers(trainer, channel, Message_Number=number)
    )
    assert answer.status_code == 400
    assert answer.json()["header"] == "X-Goog-Message-Number"
    assert queued() == 0
    trainer.session.expire_all()
    stored = trainer.session.get(WebhookChannel, channel.id)
    assert stored is not None and stored.last_message_number is None


def test_a_push_on_an_expired_channel_is_refused_as_gone_and_starts_no_sync(
    trainer: Trainer, channel: WebhookChannel
) -> None:
    channel.expires_at = utcnow() - timedelta(minutes=1)
    trainer.session.add(channel)
    trainer.session.commit()
    client = TestClient(create_app(trainer.world.settings))
    answer = client.post(channels.WEBHOOK_PATH, headers=headers(trainer, channel))
    assert (answer.status_code, answer.headers["X-Outcome"]) == (410, "channel_expired")
    assert queued() == 0


def test_a_refused_push_claims_nothing_so_the_same_number_is_taken_when_genuine(
    trainer: Trainer, channel: WebhookChannel
) -> None:
    """A forged token, another calendar's resource id or an expired channel changes nothing,
    also on a channel whose token the api knows from an earlier push while its sync waits (the
    one-statement way): the claim those pushes reached is never kept, nor a mark."""
    client = TestClient(create_app(trainer.world.settings))
    path = channels.WEBHOOK_PATH

    def post(number: str, **override: str | None) -> tuple[int, str]:
        answer = client.post(
            path, headers=headers(trainer, channel, Message_Number=number, **override)
        )
        return answer.status_code, answer.headers["X-Outcome"]

    def stored() -> WebhookChannel:
        trainer.session.expire_all()
        found = trainer.session.get(WebhookChannel, channel.id)
        assert found is not None
        return found

    assert post("6") == (200, "sync_queued")  # the token is known now, and a sync waits
    assert post("7", Channel_Token="forged") == (403, "bad_token")
    assert post("7", Resource_ID="someone-elses-calendar") == (403, "wrong_resource")
    genuine_expiry = channel.expires_at
    expired = stored()
    expired.expires_at = utcnow() - timedelta(minutes=1)
    trainer.session.add(expired)
    trainer.session.commit()
    assert post("7") == (410, "channel_expired")
    assert stored().last_message_number == 6
    live = stored()
    live.expires_at = genuine_expiry
    trainer.session.add(live)
    trainer.session.commit()
    assert post("7") == (200, "sync_queued")
    assert post("7") == (200, "duplicate")
    assert stored().last_message_number == 7
    assert queued() == 1  # the burst's first push queued the one sync
    stopped = stored()
    stopped.stopped_at = utcnow()
    trainer.session.add(stopped)
    trainer.session.commit()
    assert post("8") == (200, "unknown_channel")
    assert stored().last_message_number == 7
    worker.huey.flush()


def test_a_refused_push_on_a_channel_not_yet_known_claims_nothing(
    trainer: Trainer, channel: WebhookChannel
) -> None:
    """The same refusals as the first push a process sees of the channel (its transaction)."""
    client = TestClient(create_app(trainer.world.settings))

    def post(**override: str | None) -> tuple[int, str]:
        answer = client.post(
            channels.WEBHOOK_PATH, headers=headers(trainer, channel, Message_Number="7", **override)
        )
        return answer.status_code, answer.headers["X-Outcome"]

    assert post(Channel_Token="forged") == (403, "bad_token")
    assert post(Resource_ID="someone-elses-calendar") == (403, "wrong_resource")
    assert queued() == 0 and not worker.sync_waiting(trainer.id)
    trainer.session.expire_all()
    found = trainer.session.get(WebhookChannel, channel.id)
    assert found is not None and found.last_message_number is None
    assert post() == (200, "sync_queued")
    assert queued() == 1
    worker.huey.flush()


def test_a_push_after_postgresql_dropped_every_connection_is_taken(
    trainer: Trainer, channel: WebhookChannel, database_url: str
) -> None:
    """A restarted or failed-over PostgreSQL closes the pooled connections under the api: the
    next push is still taken (the dead connection is replaced, or the push tried once more),
    not answered 500."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop connections")
    client = TestClient(create_app(trainer.world.settings))
    path = channels.WEBHOOK_PATH
    first = client.post(path, headers=headers(trainer, channel, Message_Number="2"))
    assert first.headers["X-Outcome"] == "sync_queued"
    next_push = headers(trainer, channel, Message_Number="3")
    trainer.session.rollback()  # the test's own connection goes back to the pool too
    killer = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with killer.connect() as connection:
        dropped = connection.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    killer.dispose()
    assert dropped >= 1  # the api's pooled connection among them
    after = client.post(path, headers=next_push)
    assert (after.status_code, after.headers["X-Outcome"]) == (200, "sync_queued")
    trainer.session.expire_all()
    stored = trainer.session.get(WebhookChannel, channel.id)
    assert stored is not None and stored.last_message_number == 3
    worker.huey.flush()
