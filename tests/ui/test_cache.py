"""Cached reads expire: a page never shows a store that stopped changing for it (issue 4)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UI_FILES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


def _cache_data_uses(tree: ast.AST) -> list[ast.AST]:
    """Every `st.cache_data` in a module: bare decorators and calls alike."""
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == "cache_data"
        and isinstance(node.value, ast.Name)
        and node.value.id == "st"
    ]


def test_every_cached_read_of_the_dashboard_carries_a_ttl() -> None:
    """`st.cache_data` only as `st.cache_data(ttl=...)`; clearing it (`.clear()`) is fine."""
    missing = []
    for path in UI_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        with_ttl = {
            id(call.func)
            for call in ast.walk(tree)
            if isinstance(call, ast.Call) and any(keyword.arg == "ttl" for keyword in call.keywords)
        }
        cleared = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr == "clear"
        }
        missing += [
            f"{path.relative_to(ROOT)}:{getattr(use, 'lineno', '?')}"
            for use in _cache_data_uses(tree)
            if id(use) not in with_ttl and id(use) not in cleared
        ]
    assert missing == [], f"st.cache_data without a ttl: {missing}"
