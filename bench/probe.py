"""`python -m bench.probe sync|fetch TRAINER_ID`: one full sync, or one fetch of the same pages,
alone in a fresh process; prints its seconds, events and peak memory as one JSON line.

A fresh process, because memory freed by earlier work stays in Python's allocator and hides the
next peak from the kernel's count; and so that the emulator, which runs in the parent, is not
weighed with the sync. Peak memory is the growth of the resident set's high-water mark over what
the process held just before the work: on Linux the mark is reset first (`/proc/self/clear_refs`)
and read as `VmHWM`, since `ru_maxrss` also carries the parent's size from before `exec`.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
from pathlib import Path

from bench.google_world import World
from db.models import RunOutcome
from integrations.config import load_settings

CLEAR_REFS = Path("/proc/self/clear_refs")
STATUS = Path("/proc/self/status")


def resident_high_water_kib() -> int:
    """This process's peak resident set in KiB."""
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS


def reset_high_water() -> bool:
    """Make the kernel's high-water mark the current resident size (Linux 4.0+)."""
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.probe")
    parser.add_argument("variant", choices=["sync", "fetch"])
    parser.add_argument("trainer_id")
    args = parser.parse_args(argv)
    world = World.attach(load_settings())
    gc.collect()
    high_water_reset = reset_high_water()
    before = resident_high_water_kib()
    started = time.perf_counter()
    if args.variant == "sync":
        run = world.sync(args.trainer_id)
        if run.outcome is not RunOutcome.SUCCESS:
            sys.stderr.write(f"sync failed: {run.error}\n")
            return 1
        events, attempts = run.fetched, run.http_requests
    else:
        events, attempts = world.fetch_only(args.trainer_id), None
    seconds = time.perf_counter() - started
    result = {
        "seconds": seconds,
        "events": events,
        "attempts": attempts,
        "peak_growth_kib": resident_high_water_kib() - before,
        "high_water_reset": high_water_reset,
    }
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
