"""Google push notifications fired at the real api process (`python -m integrations api`, uvicorn)
on a loopback port, a fixed number of them, a fixed number at a time."""

from __future__ import annotations

import http.client
import itertools
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bench.google_world import World
from bench.report import Table
from db.models import RunOutcome
from integrations.core.queue import make_huey
from integrations.google_calendar.channels import WEBHOOK_PATH

STARTUP_SECONDS = 30
RESOURCE_URI = "https://www.googleapis.com/calendar/v3/calendars/primary/events?alt=json"


def free_loopback_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ApiProcess:
    base_url: str
    pid: int

    def cpu_seconds(self) -> float | None:
        """User and system CPU time the process has used so far (Linux), else None."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def api_process(world: World, port: int, log_path: Path) -> Iterator[ApiProcess]:
    """The product's api process on 127.0.0.1:`port` over this world's store; stopped after."""
    environment = world.environment() | {"API_PORT": str(port), "LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "integrations", "api", "--host", "127.0.0.1"]
    with serving(command, environment, port, log_path) as api:
        yield api


@contextmanager
def bare_process(
    world: World, port: int, log_path: Path, *, asynchronous: bool = False
) -> Iterator[ApiProcess]:
    """The same stack answering the push path with no work (bench/bare_api.py): the floor, with a
    `def` route or, `asynchronous`, an `async def` one."""
    command = [sys.executable, "-m", "bench.bare_api", str(port)] + (
        ["async"] if asynchronous else []
    )
    with serving(command, world.environment(), port, log_path) as bare:
        yield bare


@contextmanager
def serving(
    command: list[str], environment: dict[str, str], port: int, log_path: Path
) -> Iterator[ApiProcess]:
    """`command` started, waited for until its /healthz answers 200, and stopped after."""
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            env=environment,
            cwd=Path(__file__).resolve().parent.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"{command[2]} exited; see {log_path}")
                try:
                    if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{command[2]} did not answer; see {log_path}")
                time.sleep(0.1)
            yield ApiProcess(base_url, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@dataclass(frozen=True)
class Channel:
    """What Google knows of one push channel: enough to sign a notification as it would."""

    channel_id: str
    token: str
    resource_id: str | None
    trainer_id: str


@dataclass(frozen=True)
class LoadResult:
    deliveries: int
    concurrency: int
    seconds: float
    latencies_ms: list[float]
    outcomes: Counter[str]
    #: CPU seconds the api process used during the burst (None where it cannot be read).
    server_cpu_seconds: float | None
    #: CPU seconds this process (the load generator, with the idle emulator) used.
    client_cpu_seconds: float

    @property
    def per_second(self) -> float:
        return self.deliveries / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms)

    @staticmethod
    def combined(bursts: list[LoadResult]) -> LoadResult:
        """Several bursts at one server as one: their deliveries over their summed time."""
        outcomes: Counter[str] = Counter()
        for burst in bursts:
            outcomes.update(burst.outcomes)
        cpu = [burst.server_cpu_seconds for burst in bursts]
        return LoadResult(
            sum(burst.deliveries for burst in bursts),
            bursts[0].concurrency,
            sum(burst.seconds for burst in bursts),
            [latency for burst in bursts for latency in burst.latencies_ms],
            outcomes,
            None if None in cpu else sum(c for c in cpu if c is not None),
            sum(burst.client_cpu_seconds for burst in bursts),
        )


def new_numbering(channels: list[Channel]) -> dict[str, Iterator[int]]:
    """Each channel's next message numbers; 1 was the `sync` message Google sent at the watch."""
    return {channel.channel_id: itertools.count(2) for channel in channels}


def fire(
    api: ApiProcess,
    channels: list[Channel],
    *,
    deliveries: int,
    concurrency: int,
    numbers: dict[str, Iterator[int]] | None = None,
) -> LoadResult:
    """`deliveries` `exists` notifications spread over `channels`, `concurrency` in flight.

    Each of `concurrency` threads keeps one connection open and sends the next notification when
    its last is answered. Each channel numbers its messages upwards, as Google does; with many in
    flight some arrive after a later one, and the endpoint rightly drops those as stale. The
    standard library's http.client, because an async httpx client cost more CPU per request than
    the server it measured, on a machine where both share two cores.
    """
    if numbers is None:  # one burst; several bursts at one server share their numbering
        numbers = new_numbering(channels)
    plan = iter([channels[index % len(channels)] for index in range(deliveries)])
    address = urlsplit(api.base_url)
    start_together = threading.Barrier(concurrency + 1)
    per_worker: list[tuple[list[float], Counter[str]]] = []

    def worker() -> None:
        latencies: list[float] = []
        outcomes: Counter[str] = Counter()
        per_worker.append((latencies, outcomes))
        connection = http.client.HTTPConnection(
            address.hostname or "127.0.0.1", address.port, timeout=60
        )
        start_together.wait()
        for channel in plan:  # shared: each delivery is taken by one worker, once
            headers = {
                "X-Goog-Channel-ID": channel.channel_id,
                "X-Goog-Channel-Token": channel.token,
                "X-Goog-Resource-State": "exists",
                "X-Goog-Message-Number": str(next(numbers[channel.channel_id])),
                "X-Goog-Resource-URI": RESOURCE_URI,
                "Content-Length": "0",
            }
            if channel.resource_id:
                headers["X-Goog-Resource-ID"] = channel.resource_id
            started = time.perf_counter()
            try:
                connection.request("POST", WEBHOOK_PATH, headers=headers)
                answer = connection.getresponse()
                answer.read()
            except (OSError, http.client.HTTPException) as failure:
                outcomes[f"error: {type(failure).__name__}"] += 1
                connection.close()  # reconnects on the next request
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            outcomes[answer.getheader("X-Outcome") or f"HTTP {answer.status}"] += 1
        connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    server_before, client_before = api.cpu_seconds(), time.process_time()
    start_together.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    server_after, client_after = api.cpu_seconds(), time.process_time()
    server_cpu = (
        server_after - server_before
        if server_before is not None and server_after is not None
        else None
    )
    outcomes: Counter[str] = Counter()
    for _, counted in per_worker:
        outcomes.update(counted)
    return LoadResult(
        deliveries,
        concurrency,
        seconds,
        [latency for latencies, _ in per_worker for latency in latencies],
        outcomes,
        server_cpu,
        client_after - client_before,
    )


def queued_syncs(world: World, trainer_ids: list[str]) -> tuple[Counter[str], int]:
    """Sync tasks waiting in the queue, by trainer; and how many trainers hold a pending mark."""
    # Imported here: the module builds its queue from the settings the moment it is imported.
    from db.engine import get_engine
    from integrations.core import lease
    from integrations.processes.worker import SYNC_PENDING_LEASE

    huey = make_huey(world.settings)
    store = get_engine(world.settings.DATABASE_URL)
    waiting: Counter[str] = Counter()
    for raw in huey.storage.enqueued_items():
        message = huey.serializer.deserialize(raw)
        if message.name.endswith("sync_trainer") and message.args:
            waiting[str(message.args[0])] += 1
    marked = sum(
        1
        for trainer_id in trainer_ids
        if lease.holder(store, SYNC_PENDING_LEASE.format(trainer_id=trainer_id)) is not None
    )
    return waiting, marked


# --- Webhooks ---------------------------------------------------------------------------------


#: Bursts per server; the two servers take turns, so that a noisy machine slows both alike.
BURSTS = 5


@dataclass
class Webhooks:
    store: str
    calendars: int
    load: LoadResult
    #: The same bursts at the bare endpoint (bench/bare_api.py), taking turns with the product.
    bare: LoadResult
    #: And at its `async def` twin, which answers without a thread hop.
    bare_async: LoadResult
    syncs_queued: dict[str, int]
    pending_marks: int

    @property
    def ratio(self) -> float:
        return self.load.per_second / self.bare.per_second

    @property
    def ratio_async(self) -> float:
        return self.load.per_second / self.bare_async.per_second


def measure_webhooks(
    database_url: str,
    data_dir: Path,
    store: str,
    *,
    calendars: int,
    deliveries: int,
    concurrency: int,
) -> Webhooks:
    """Calendars with live push channels to the api process, then bursts of notifications at it
    and, in turn, at a bare endpoint of the same stack."""
    port, bare_port, async_port = free_loopback_port(), free_loopback_port(), free_loopback_port()
    world = World.open(database_url, data_dir, api_public_url=f"http://127.0.0.1:{port}")
    try:
        with (
            api_process(world, port, data_dir / "api.log") as api,
            bare_process(world, bare_port, data_dir / "bare.log") as bare,
            bare_process(
                world, async_port, data_dir / "bare-async.log", asynchronous=True
            ) as bare_async,
        ):
            trainers = [world.connect_trainer(f"hook{n}") for n in range(calendars)]
            for trainer in trainers:
                run = world.sync(trainer.id)  # opens the channel (Google then says `sync`)
                assert run.outcome is RunOutcome.SUCCESS, run.error
            trainer_ids = [trainer.id for trainer in trainers]
            channels = [
                Channel(
                    channel.channel_id,
                    world.cipher.decrypt(channel.token_encrypted),
                    channel.resource_id,
                    channel.trainer_id,
                )
                for channel in world.live_channels(trainer_ids)
            ]
            assert len(channels) == calendars, channels
            waiting_before, _ = queued_syncs(world, trainer_ids)
            numbering, bare_numbering = new_numbering(channels), new_numbering(channels)
            async_numbering = new_numbering(channels)
            bursts: list[LoadResult] = []
            bare_bursts: list[LoadResult] = []
            async_bursts: list[LoadResult] = []
            each = deliveries // BURSTS
            for _ in range(BURSTS):
                for server, numbers, into in (
                    (bare, bare_numbering, bare_bursts),
                    (bare_async, async_numbering, async_bursts),
                    (api, numbering, bursts),
                ):
                    into.append(
                        fire(
                            server,
                            channels,
                            deliveries=each,
                            concurrency=concurrency,
                            numbers=numbers,
                        )
                    )
            waiting, marked = queued_syncs(world, trainer_ids)
    finally:
        world.close()
    return Webhooks(
        store,
        calendars,
        LoadResult.combined(bursts),
        LoadResult.combined(bare_bursts),
        LoadResult.combined(async_bursts),
        {
            trainer_id: waiting[trainer_id] - waiting_before[trainer_id]
            for trainer_id in trainer_ids
        },
        marked,
    )


def webhook_table(measured_stores: list[Webhooks]) -> Table:
    table = Table(
        "Google Calendar: push notifications at the api process vs. a bare endpoint",
        [
            "store",
            "server",
            "deliveries",
            "concurrent",
            "requests/s",
            "ratio to bare",
            "ratio to async bare",
            "p50",
            "p99",
            "max",
            "server CPU per request",
            "outcomes",
            "syncs enqueued per calendar",
        ],
    )
    for measured in measured_stores:
        queued = list(measured.syncs_queued.values())
        async_to_def = measured.bare_async.per_second / measured.bare.per_second
        for server, load, ratio, ratio_async, enqueued in (
            ("bare uvicorn endpoint", measured.bare, "1.00", f"{1 / async_to_def:.2f}", "—"),
            (
                "bare uvicorn endpoint, `async def`",
                measured.bare_async,
                f"{async_to_def:.2f}",
                "1.00",
                "—",
            ),
            (
                "api process (the product)",
                measured.load,
                f"{measured.ratio:.2f}" + ("" if measured.ratio >= 0.5 else " ⚠️"),
                f"{measured.ratio_async:.2f}" + ("" if measured.ratio_async >= 0.5 else " ⚠️"),
                f"{spread(queued)} ({sum(queued)} for {measured.calendars} calendars)",
            ),
        ):
            table.rows.append(
                [
                    measured.store,
                    server,
                    f"{load.deliveries:,}",
                    str(load.concurrency),
                    f"{load.per_second:,.0f}",
                    ratio,
                    ratio_async,
                    f"{load.median_ms:.1f} ms",
                    f"{load.percentile(0.99):.1f} ms",
                    f"{max(load.latencies_ms):.0f} ms",
                    f"{load.server_cpu_seconds / load.deliveries * 1000:.2f} ms"
                    if load.server_cpu_seconds is not None
                    else "?",
                    ", ".join(f"{name} {count:,}" for name, count in load.outcomes.most_common()),
                    enqueued,
                ]
            )
    table.notes.append(
        "The product's api process (`python -m integrations api`: uvicorn, one process) on a "
        "loopback port over the store; calendars with live channels opened by a real sync; "
        "notifications signed as Google signs them (channel id, token, resource id), spread "
        "round-robin over the channels, each channel numbering its messages upwards; each of the "
        "concurrent senders (threads, one keep-alive connection each) sends the next one when "
        "its last is answered. Latency is measured by the sender. Server CPU is the server "
        "process's user + system time over its bursts (`/proc/PID/stat`). `duplicate` is a "
        "message overtaken in flight by a later one of its channel, dropped as it should be. "
        "Syncs enqueued are counted in the Huey queue; no worker runs, so the "
        "`google-sync-pending:` mark set by the first notification debounces all later ones."
    )
    table.notes.append(
        f"*Bare uvicorn endpoint*: bench/bare_api.py, FastAPI under uvicorn with the api "
        f"process's options, answering the same path with 200 and no work (a `def` route, "
        f"which FastAPI runs in a worker thread, as it does any route that blocks); the goal is "
        f"at least 0.5 of its requests per second. *`async def`*: the same with an `async def` "
        f"route, answered on the event loop without a thread hop, the cheapest answer FastAPI "
        f"can give: the strict floor, which the goal is held to as well. The deliveries go in "
        f"{BURSTS} bursts per server, the three servers taking turns, from the same sender "
        "with the same concurrency; "
        "the figures are over all of a server's bursts. The product answers the push path "
        "before FastAPI's middleware and routing (integrations/core/webhooks.py `WebhookEndpoint`) "
        "and hands "
        "the store work of the pushes that arrived together to one of a few threads "
        "(integrations/core/lanes.py), so it pays for neither FastAPI's layers nor a thread hop "
        "per request, and can pass the floor."
    )
    return table


def spread(values: list[int]) -> str:
    low, high = min(values), max(values)
    return f"{low:,}" if low == high else f"{low:,}–{high:,}"


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.webhooks`: only the webhook table, on every store, in one run; prints it
    with the load average at the start and the end (the full report is `make bench`)."""
    import argparse
    import shutil
    import tempfile

    # As `python -m bench` does: nothing inherited may point the run at real data.
    for name in (
        "APP_ENV",
        "DATABASE_URL",
        "REDIS_URL",
        "TOKEN_ENCRYPTION_KEYS",
        "GOOGLE_CLIENT_ID",
    ):
        os.environ.pop(name, None)
    os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="newym-bench-")

    from bench.google_calendar import QUICK, progress
    from bench.google_world import reset_emulator, running_emulator
    from bench.report import document
    from bench.stores import scratch_stores

    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=main.__doc__)
    parser.add_argument("--deliveries", type=int, default=QUICK.webhook_deliveries)
    parser.add_argument("--calendars", type=int, default=QUICK.webhook_calendars)
    parser.add_argument("--concurrency", type=int, default=QUICK.webhook_concurrency)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    measured: list[Webhooks] = []
    data_root = Path(tempfile.mkdtemp(prefix="newym-bench-webhooks-"))
    with scratch_stores() as stores, running_emulator() as emulator:
        for index, (store, url) in enumerate(stores.urls.items()):
            reset_emulator(emulator)
            progress(f"{store}: {args.deliveries:,} webhook deliveries")
            data_dir = data_root / f"store{index}"
            data_dir.mkdir(parents=True)
            measured.append(
                measure_webhooks(
                    url,
                    data_dir,
                    store,
                    calendars=args.calendars,
                    deliveries=args.deliveries,
                    concurrency=args.concurrency,
                )
            )
    shutil.rmtree(data_root, ignore_errors=True)
    load = (load_before, os.getloadavg()[0])
    print(document([webhook_table(measured)], rounds=BURSTS, quick=True, load=load))


if __name__ == "__main__":
    main()
