"""The event names the product writes to the integration log, read from its source."""

from __future__ import annotations

import ast

from tests.support.apptest import ROOT


def recorded_events() -> set[str]:
    """Every event name the code writes to the integration log (`audit.record(session, name)`)."""
    names: set[str] = set()
    for path in (ROOT / "integrations").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "audit"
                and len(node.args) > 1
            ):
                names |= {
                    c.value
                    for c in ast.walk(node.args[1])
                    if isinstance(c, ast.Constant) and isinstance(c.value, str)
                }
    return names
