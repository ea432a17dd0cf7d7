"""`make run` end to end: every process starts and is healthy, and Ctrl-C stops them all."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from integrations.processes.demo import DEMO_PEOPLE
from tests.support.stack import open_ports, running_stack, still_running

pytestmark = pytest.mark.slow

PROCESS_NAMES = ("emulator", "web", "api", "worker")


def test_run_starts_a_healthy_demo_and_ctrl_c_stops_every_process(tmp_path: Path) -> None:
    """The api reaches the store and the queue, Streamlit answers, the banner tells how to log in,
    and one Ctrl-C ends every process that `run` started and closes every port."""
    with running_stack(tmp_path) as stack:
        with httpx.Client(trust_env=False, timeout=5.0) as client:
            health = client.get(f"{stack.api_url}/healthz")
            web_health = client.get(f"{stack.public_url}/_stcore/health")
            emulator_health = client.get(f"{stack.emulator_url}/_emulator/health")

        assert health.status_code == 200, health.text
        assert health.json() == {"status": "ok"}  # the details are the operator's, not public
        assert web_health.status_code == 200
        assert web_health.text == "ok"
        assert emulator_health.json()["accounts"] == len(DEMO_PEOPLE)

        output = stack.output()
        banner = _banner(output)
        assert f"Open {stack.public_url} and press 'Log in'." in banner
        assert f"Google emulator: {stack.emulator_url}" in banner
        assert f"{stack.api_url}/healthz" in banner
        for person in DEMO_PEOPLE:
            assert re.search(rf"^ +{re.escape(person.email)} +{person.role.value}$", banner, re.M)
        for name in PROCESS_NAMES:
            assert f"{name} started" in output

        running = stack.processes()
        # `run` itself, plus a Python process for each of the four Procfile entries.
        assert len(running) >= 1 + len(PROCESS_NAMES)

        report = stack.stop()

    assert report.exit_code in {0, 130}, stack.output()
    assert report.seconds < 15
    assert still_running(running) == []
    assert open_ports(stack.ports) == []
    output = stack.output()
    assert "SIGINT received" in output
    for name in PROCESS_NAMES:
        assert f"{name} stopped" in output


def _banner(output: str) -> str:
    """The lines `run` prints between the product's name and its Ctrl-C hint."""
    start = output.find("NEWYM Integrations Console")
    end = output.find("Ctrl-C stops every process.", start)
    assert start >= 0 and end > start, f"no login banner in:\n{output}"
    return output[start:end]
