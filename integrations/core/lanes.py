"""Blocking work done for the event loop by a few threads, in batches.

An ASGI handler that hands each request's store work to a thread pays for the hop each time
(waking a thread, then waking the loop again: about 0.1 ms of CPU a request, as much as the
store's statement). Here a request's item waits in a list; a lane (one of a few threads) takes
everything waiting at once, does it in one call, settles each item's future, and takes the
next batch before it rests. At most `lanes` calls run at a time, so a pool of that many
connections is never waited on.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

#: A batch's items; the work's answer holds one result or exception per item, in order.
Work = Callable[[list[Item]], Sequence[Result | BaseException]]


class Lanes(Generic[Item, Result]):
    """`await lanes.run(item)` does `work([..., item, ...])` in a thread and returns the
    item's result (or raises its exception)."""

    def __init__(self, work: Work[Item, Result], *, lanes: int, batch_limit: int = 100) -> None:
        self._work = work
        self._lanes = lanes
        self._batch_limit = batch_limit
        self._lock = threading.Lock()
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._busy = 0
        self._threads = ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="lane")

    async def run(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        with self._lock:
            self._waiting.append((item, future))
            start = self._busy < self._lanes
            if start:
                self._busy += 1
        if start:
            self._threads.submit(self._drain)
        return await future

    def _drain(self) -> None:
        """One lane: batches until nothing waits."""
        while True:
            with self._lock:
                batch = self._waiting[: self._batch_limit]
                del self._waiting[: self._batch_limit]
                if not batch:
                    self._busy -= 1
                    return
            try:
                results: Sequence[Result | BaseException] = self._work([item for item, _ in batch])
                if len(results) != len(batch):
                    raise RuntimeError(f"{len(results)} results for {len(batch)} items")
            except BaseException as failure:  # the whole batch failed: each item says so
                results = [failure] * len(batch)
            # Each loop woken once for its share (tests run several loops; a server, one).
            by_loop: defaultdict[
                asyncio.AbstractEventLoop,
                list[tuple[asyncio.Future[Result], Result | BaseException]],
            ] = defaultdict(list)
            for (_, future), result in zip(batch, results, strict=True):
                by_loop[future.get_loop()].append((future, result))
            for loop, settled in by_loop.items():
                # A closed loop: nobody awaits these any more.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_settle, settled)


def _settle(settled: list[tuple[asyncio.Future[Result], Result | BaseException]]) -> None:
    for future, result in settled:
        if future.done():  # cancelled: the request went away
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)
