"""Lanes: store work handed to a few threads in batches; each request still gets its own answer."""

from __future__ import annotations

import asyncio
import threading

import pytest

from integrations.core.lanes import Lanes
from tests.support.aio import run_in_own_loop


def test_items_arriving_while_a_batch_runs_go_together_in_the_next_one() -> None:
    started, release = threading.Event(), threading.Event()
    batches: list[list[int]] = []

    def work(items: list[int]) -> list[int]:
        batches.append(items)
        started.set()
        assert release.wait(10)
        return [item * 10 for item in items]

    async def main() -> list[int]:
        lanes: Lanes[int, int] = Lanes(work, lanes=1)
        first = asyncio.create_task(lanes.run(0))
        await asyncio.to_thread(started.wait, 10)
        rest = [asyncio.create_task(lanes.run(item)) for item in range(1, 10)]
        await asyncio.sleep(0)  # all nine are waiting now
        release.set()
        return await asyncio.gather(first, *rest)

    assert run_in_own_loop(main()) == [item * 10 for item in range(10)]
    assert batches == [[0], list(range(1, 10))]


def test_no_more_batches_run_at_once_than_there_are_lanes() -> None:
    """Two lanes: two batches at once; a third item waits until one of them is done."""
    release = threading.Event()
    batches: list[list[int]] = []
    lock = threading.Lock()

    def work(items: list[int]) -> list[int]:
        with lock:
            batches.append(items)
        assert release.wait(10)
        return items

    async def until(count: int) -> None:
        for _ in range(1000):
            with lock:
                if len(batches) >= count:
                    return
            await asyncio.sleep(0.005)
        raise AssertionError(f"fewer than {count} batches started")

    async def main() -> list[int]:
        lanes: Lanes[int, int] = Lanes(work, lanes=2)
        first = asyncio.create_task(lanes.run(0))
        await until(1)
        second = asyncio.create_task(lanes.run(1))
        await until(2)  # both lanes busy now
        third = asyncio.create_task(lanes.run(2))
        await asyncio.sleep(0.2)
        with lock:
            assert batches == [[0], [1]]  # the third waits for a free lane
        release.set()
        return await asyncio.gather(first, second, third)

    assert run_in_own_loop(main()) == [0, 1, 2]
    assert batches == [[0], [1], [2]]


def test_an_items_failure_reaches_only_its_own_request() -> None:
    def work(items: list[int]) -> list[int | BaseException]:
        return [ValueError(f"item {item}") if item == 3 else item for item in items]

    async def main() -> list[int | BaseException]:
        lanes: Lanes[int, int] = Lanes(work, lanes=1)
        return await asyncio.gather(*(lanes.run(item) for item in range(6)), return_exceptions=True)

    answers = run_in_own_loop(main())
    assert [answer for index, answer in enumerate(answers) if index != 3] == [0, 1, 2, 4, 5]
    assert isinstance(answers[3], ValueError) and str(answers[3]) == "item 3"


def test_a_batch_whose_work_raises_fails_each_of_its_requests_and_the_next_batch_runs() -> None:
    calls = 0

    def work(items: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("store down")
        return items

    async def main() -> tuple[BaseException | int, int]:
        lanes: Lanes[int, int] = Lanes(work, lanes=1)
        failed = await asyncio.gather(lanes.run(1), return_exceptions=True)
        return failed[0], await lanes.run(2)

    failed, later = run_in_own_loop(main())
    assert isinstance(failed, RuntimeError)
    assert later == 2


def test_a_work_answering_too_few_results_fails_its_requests_rather_than_hanging() -> None:
    async def main() -> None:
        lanes: Lanes[int, int] = Lanes(lambda items: items[:-1], lanes=1)
        await asyncio.wait_for(lanes.run(1), timeout=10)

    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        run_in_own_loop(main())
