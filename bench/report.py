"""The tables `make bench` prints and writes to docs/PERFORMANCE.md."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class Table:
    """One measurement: a title, a header, rows of already formatted cells, and notes under it."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> list[str]:
        lines = [f"## {self.title}", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "|".join(["---"] + ["---:"] * (len(self.columns) - 1)) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        for note in self.notes:
            lines += ["", note]
        lines.append("")
        return lines


def rate_table(title: str, rates: list[tuple[str, float]], note: str = "") -> Table:
    """Operations per second of variants, with the ratio to the first one."""
    base = rates[0][1]
    return Table(
        title,
        ["variant", "per second", "ratio"],
        [[name, f"{rate:,.0f}", f"{rate / base:.2f}"] for name, rate in rates],
        [note] if note else [],
    )


def document(
    tables: list[Table], *, rounds: int, quick: bool, load: tuple[float, float] | None = None
) -> str:
    """The whole report; `load` is the 1-minute load average at the start and at the end."""
    lines = [
        "# Performance",
        "",
        "Written by `make bench` (`python -m bench`). Each table times its variants side by",
        f"side in one run; the throughput tables interleave them over {rounds} rounds and show",
        "medians, with ratios to the first row; the Google Calendar tables say how they measure.",
        f"Last run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
        + (" (`--quick`: smaller sizes, fewer rounds)." if quick else "."),
    ]
    if load is not None:
        busy = max(load) > (os.cpu_count() or 1)
        lines.append(
            f"Load average (1 min): {load[0]:.1f} at the start, {load[1]:.1f} at the end"
            + (" (other work was competing for the CPU)." if busy else ".")
        )
    lines.append("")
    for table in tables:
        lines += table.markdown()
    return "\n".join(lines)
