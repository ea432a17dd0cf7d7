"""The pages the domain links people to (`integrations.monitoring.links`) are pages the app
serves."""

from __future__ import annotations

import ast
from pathlib import Path

from integrations.monitoring import links

ROOT = Path(__file__).resolve().parents[2]


def _served_files() -> set[str]:
    """The files of `app.PAGES` (app.py runs Streamlit when imported, so it is read, not run)."""
    for node in ast.walk(ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.AnnAssign) and ast.unparse(node.target) == "PAGES":
            assert isinstance(node.value, ast.Dict)
            entries = [entry for entry in node.value.values if isinstance(entry, ast.Tuple)]
            return {str(ast.literal_eval(entry.elts[0])) for entry in entries}
    raise AssertionError("app.py defines no PAGES")


def test_every_page_the_domain_links_to_is_served_by_the_app() -> None:
    linked = {
        name: value
        for name, value in vars(links).items()
        if name.isupper() and isinstance(value, str)
    }
    assert set(linked) >= {"GOOGLE_CONNECTION", "HEALTH", "TRAINERS"}
    served = _served_files()
    assert {name: path for name, path in linked.items() if path not in served} == {}
    assert all((ROOT / path).is_file() for path in linked.values())
