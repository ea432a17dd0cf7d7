"""A burst of pushes at several api processes at once, as Google sends them when a calendar
changes a lot: every push is answered, the newest message number is kept, one sync is queued."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from sqlmodel import col, select

from db.models import WebhookChannel
from integrations.google_calendar import channels
from integrations.processes import worker
from integrations.processes.api import create_app
from tests.support.aio import run_in_own_loop
from tests.support.google_world import Trainer
from tests.support.push_notifications import headers, queued

PUSHES = 120


def test_a_burst_over_two_api_processes_keeps_the_newest_number_and_queues_one_sync(
    trainer: Trainer,
) -> None:
    """Two apps with their own memory (known tokens, lanes) over one store and queue, as two
    api processes are: pushes 2..121 arrive at both at once, in an order of their own. The
    burst's later pushes take the driver's way (the token known, the sync waiting), and a
    push overtaken in flight is a duplicate; none is refused, none lost."""
    trainer.sync()
    trainer.session.expire_all()
    [channel] = trainer.session.exec(
        select(WebhookChannel).where(col(WebhookChannel.stopped_at).is_(None))
    ).all()
    worker.huey.flush()
    apps = [create_app(trainer.world.settings), create_app(trainer.world.settings)]

    async def burst() -> list[tuple[int, int, str]]:
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api")
            for app in apps
        ]

        async def post(number: int) -> tuple[int, int, str]:
            which = number % 2
            answer = await clients[which].post(
                channels.WEBHOOK_PATH,
                headers=headers(trainer, channel, Message_Number=str(number)),
            )
            return which, answer.status_code, answer.headers["X-Outcome"]

        try:
            # Each app's first push alone: it learns the token and one of them queues the sync.
            first = [await post(2), await post(3)]
            return first + list(await asyncio.gather(*(post(n) for n in range(4, PUSHES + 2))))
        finally:
            for client in clients:
                await client.aclose()

    answers = run_in_own_loop(burst())
    outcomes = Counter((status, outcome) for _, status, outcome in answers)
    assert set(outcomes) <= {(200, "sync_queued"), (200, "duplicate")}, outcomes
    assert sum(outcomes.values()) == PUSHES
    # Which app claims which push depends on scheduling; both answered half the burst.
    assert Counter(which for which, _, _ in answers) == {0: PUSHES // 2, 1: PUSHES - PUSHES // 2}
    trainer.session.expire_all()
    stored = trainer.session.get(WebhookChannel, channel.id)
    assert stored is not None and stored.last_message_number == PUSHES + 1
    assert queued() == 1
    assert worker.sync_waiting(trainer.id)
    worker.huey.flush()


def test_a_push_repeated_after_the_burst_is_a_duplicate_and_a_newer_one_is_taken(
    trainer: Trainer,
) -> None:
    """On the driver's way too: the same number again changes nothing, the next is claimed."""
    trainer.sync()
    trainer.session.expire_all()
    [channel] = trainer.session.exec(
        select(WebhookChannel).where(col(WebhookChannel.stopped_at).is_(None))
    ).all()
    worker.huey.flush()
    app = create_app(trainer.world.settings)

    async def post(client: httpx.AsyncClient, number: int) -> tuple[int, str]:
        answer = await client.post(
            channels.WEBHOOK_PATH, headers=headers(trainer, channel, Message_Number=str(number))
        )
        return answer.status_code, answer.headers["X-Outcome"]

    async def pushes() -> list[tuple[int, str]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            return [await post(client, number) for number in (5, 6, 6, 5, 9)]

    assert run_in_own_loop(pushes()) == [
        (200, "sync_queued"),  # the first: receive_on's transaction, queues the sync
        (200, "sync_queued"),  # the driver's way: the token known, the sync waiting
        (200, "duplicate"),
        (200, "duplicate"),
        (200, "sync_queued"),
    ]
    trainer.session.expire_all()
    stored = trainer.session.get(WebhookChannel, channel.id)
    assert stored is not None and stored.last_message_number == 9
    assert queued() == 1
    worker.huey.flush()
