"""The whole product started the way `make run` starts it, for tests that need real processes.

`start_stack()` runs `.venv/bin/python -m integrations run` from the repository root in its own
process group, with a fresh DATA_DIR and free ports, and returns once the api, the web and the
Google emulator answer their health checks. `Stack.stop()` presses Ctrl-C (SIGINT to the group, as
a terminal does) and then checks that every process the stack started is gone and its ports are
closed; a process that has to be killed is a failure, reported with the stack's output.

honcho starts each Procfile process in a session of its own, so the process group alone does not
hold them: the process tree is read from /proc just before Ctrl-C and each of its processes is
followed by pid and start time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from integrations.config import Settings

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
_OUTPUT_TAIL = 12_000  # characters of the stack's output quoted in a failure message


class StackError(AssertionError):
    """The stack did not start, or did not stop by itself; the message carries its output."""


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    parent_pid: int
    group_id: int
    start_time: int  # clock ticks since boot: tells a live process from a reused pid
    state: str
    command: str


@dataclass(frozen=True)
class StopReport:
    """What Ctrl-C did: the exit code of `integrations run` and the processes that ended."""

    exit_code: int
    seconds: float
    processes: tuple[ProcessInfo, ...]


@dataclass
class Stack:
    """A running `python -m integrations run`, with the addresses it serves."""

    process: subprocess.Popen[bytes]
    data_dir: Path
    log_path: Path
    web_port: int
    api_port: int
    emulator_port: int
    #: The processes seen once the stack was healthy.
    healthy_processes: tuple[ProcessInfo, ...] = field(default=(), init=False)
    stopped: StopReport | None = field(default=None, init=False)

    @property
    def public_url(self) -> str:
        return f"http://localhost:{self.web_port}"

    @property
    def api_url(self) -> str:
        return f"http://localhost:{self.api_port}"

    @property
    def emulator_url(self) -> str:
        return f"http://localhost:{self.emulator_port}"

    @property
    def ports(self) -> tuple[int, int, int]:
        return (self.web_port, self.api_port, self.emulator_port)

    def output(self) -> str:
        """Everything the stack printed so far (stdout and stderr of every process)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def processes(self) -> list[ProcessInfo]:
        """The live processes of the stack: the process group and every descendant."""
        return _tree(self.process.pid)

    def stop(self, timeout: float = STOP_TIMEOUT) -> StopReport:
        """Press Ctrl-C and wait until every process has ended and every port is closed.

        Raises StackError (after killing what is left) when anything outlives the timeout.
        """
        if self.stopped is not None:
            return self.stopped
        began = time.monotonic()
        # Those seen when healthy too: a child whose parent has died is no longer in the tree.
        seen = (*self.healthy_processes, *self.processes())
        watched = list({(info.pid, info.start_time): info for info in seen}.values())
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGINT)
        deadline = began + timeout
        exit_code: int | None = None
        left: list[ProcessInfo] = watched
        listening: list[int] = list(self.ports)
        while time.monotonic() < deadline:
            exit_code = self.process.poll()
            left = still_running(watched)
            listening = open_ports(self.ports)
            if exit_code is not None and not left and not listening:
                break
            time.sleep(0.1)
        else:
            for info in left:
                with contextlib.suppress(ProcessLookupError):
                    if _alive(info):
                        os.kill(info.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
            code = self.process.returncode
            self.stopped = StopReport(-9 if code is None else code, timeout, tuple(watched))
            described = "\n".join(f"  {info.pid} {info.command}" for info in left) or "  none"
            raise StackError(
                f"Ctrl-C did not stop the stack within {timeout:.0f} s "
                f"(exit code {exit_code}, ports still open: {listening or 'none'}); "
                f"killed these processes:\n{described}\n{self._output_tail()}"
            )
        assert exit_code is not None
        self.stopped = StopReport(exit_code, time.monotonic() - began, tuple(watched))
        return self.stopped

    def _output_tail(self) -> str:
        text = self.output()
        return f"--- output of `integrations run` ---\n{text[-_OUTPUT_TAIL:]}"


def free_port() -> int:
    """A TCP port nobody listens on now, on IPv4 and IPv6 (Streamlit binds both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if not _port_open(port):
            return port


def stack_env(base_dir: Path, ports: Mapping[str, int]) -> dict[str, str]:
    """This process's environment without any product setting, plus the stack's own ones."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in Settings.model_fields and not name.startswith("STREAMLIT_")
    }
    web = ports["WEB_PORT"]
    env.update(
        {
            "DATA_DIR": str(base_dir / "data"),
            "WEB_PORT": str(web),
            "API_PORT": str(ports["API_PORT"]),
            "EMULATOR_PORT": str(ports["EMULATOR_PORT"]),
            "PUBLIC_URL": f"http://localhost:{web}",
            "API_PUBLIC_URL": f"http://localhost:{ports['API_PORT']}",
            # Output goes to a file: without this, honcho's lines would wait in a buffer.
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def start_stack(base_dir: Path, *, timeout: float = START_TIMEOUT) -> Stack:
    """Start `python -m integrations run` under `base_dir` and wait until it is healthy."""
    base_dir.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in ("WEB_PORT", "API_PORT", "EMULATOR_PORT")}
    while len(set(ports.values())) < len(ports):
        ports = {name: free_port() for name in ports}
    venv_python = ROOT / ".venv" / "bin" / "python"
    python = str(venv_python) if venv_python.exists() else sys.executable
    log_path = base_dir / "stack.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [python, "-m", "integrations", "run"],
            cwd=ROOT,
            env=stack_env(base_dir, ports),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            process_group=0,  # a job of its own, as a shell starts `make run`
        )
    stack = Stack(
        process=process,
        data_dir=base_dir / "data",
        log_path=log_path,
        web_port=ports["WEB_PORT"],
        api_port=ports["API_PORT"],
        emulator_port=ports["EMULATOR_PORT"],
    )
    try:
        _wait_until_healthy(stack, timeout)
        stack.healthy_processes = tuple(stack.processes())
    except BaseException:
        with contextlib.suppress(StackError):
            stack.stop()
        raise
    return stack


@contextlib.contextmanager
def running_stack(base_dir: Path) -> Iterator[Stack]:
    """A started stack, stopped with Ctrl-C on the way out (a failure if it must be killed)."""
    stack = start_stack(base_dir)
    try:
        yield stack
    finally:
        stack.stop()


def _wait_until_healthy(stack: Stack, timeout: float) -> None:
    checks = {
        "api": f"{stack.api_url}/healthz",
        "web": f"{stack.public_url}/_stcore/health",
        "emulator": f"{stack.emulator_url}/_emulator/health",
    }
    waiting = dict(checks)
    last_problem: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    with httpx.Client(trust_env=False, timeout=2.0) as client:
        while waiting:
            if stack.process.poll() is not None:
                raise StackError(
                    f"`integrations run` exited with {stack.process.returncode} before it was "
                    f"healthy\n{stack._output_tail()}"
                )
            if time.monotonic() > deadline:
                problems = "\n".join(
                    f"  {name}: {url} -> {last_problem.get(name, 'no answer')}"
                    for name, url in waiting.items()
                )
                raise StackError(
                    f"the stack was not healthy after {timeout:.0f} s:\n{problems}\n"
                    f"{stack._output_tail()}"
                )
            for name, url in list(waiting.items()):
                try:
                    response = client.get(url)
                except httpx.HTTPError as error:
                    last_problem[name] = f"{type(error).__name__}: {error}"
                    continue
                if response.status_code == 200:
                    del waiting[name]
                else:
                    last_problem[name] = f"{response.status_code} {response.text[:200]}"
            time.sleep(0.2)


def _read_process(pid: int) -> ProcessInfo | None:
    proc = Path("/proc") / str(pid)
    try:
        stat = (proc / "stat").read_text(encoding="utf-8", errors="replace")
        command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = stat.rsplit(")", 1)[1].split()
    return ProcessInfo(
        pid=pid,
        parent_pid=int(fields[1]),
        group_id=int(fields[2]),
        start_time=int(fields[19]),
        state=fields[0],
        command=command.strip(),
    )


def _process_table() -> dict[int, ProcessInfo]:
    table: dict[int, ProcessInfo] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            info = _read_process(int(entry.name))
            if info is not None:
                table[info.pid] = info
    return table


def _tree(root_pid: int) -> list[ProcessInfo]:
    """Live processes in root_pid's group or descending from it, zombies left out."""
    table = _process_table()
    found = {pid for pid, info in table.items() if info.group_id == root_pid}
    if root_pid in table:
        found.add(root_pid)
    grew = True
    while grew:
        children = {pid for pid, info in table.items() if info.parent_pid in found} - found
        found |= children
        grew = bool(children)
    return [table[pid] for pid in sorted(found) if table[pid].state != "Z"]


def still_running(processes: Iterable[ProcessInfo]) -> list[ProcessInfo]:
    """Those of `processes` that are still alive (the same pid and start time, not a zombie)."""
    return [info for info in processes if _alive(info)]


def open_ports(ports: Iterable[int]) -> list[int]:
    """Those of `ports` that accept a connection on localhost (IPv4 or IPv6)."""
    return [port for port in ports if _port_open(port)]


def _alive(info: ProcessInfo) -> bool:
    now = _read_process(info.pid)
    return now is not None and now.start_time == info.start_time and now.state != "Z"


def _port_open(port: int) -> bool:
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        try:
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                probe.settimeout(0.5)
                if probe.connect_ex((host, port)) == 0:
                    return True
        except OSError:  # no IPv6 on this machine
            continue
    return False
