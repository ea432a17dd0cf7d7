"""The layers' import rules: the domain never imports the UI nor the stand-ins it is tested
against (`pages` is the dashboard, `emulators` the demo's and tests' outside world)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = sorted((ROOT / "integrations").rglob("*.py"))


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """Every module `path` imports, at the top or inside a function (a lazy import counts), and
    every module named to `importlib.import_module` or `__import__` as a literal."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif (
            isinstance(node, ast.Call)
            and ast.unparse(node.func) in {"importlib.import_module", "import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            yield node.lineno, str(node.args[0].value)


def _imports_of(paths: list[Path], *packages: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in paths
        for line, module in imported_modules(path)
        if module.split(".")[0] in packages
    ]


def test_nothing_under_integrations_imports_pages_or_emulators() -> None:
    assert DOMAIN, "no domain modules found"
    assert _imports_of(DOMAIN, "pages", "emulators") == []


@pytest.mark.parametrize(
    "source",
    [
        "from pages.messages.alerts import MESSAGES\n",
        "def start():\n    from emulators.google.__main__ import main\n",
        "import pages._shell\n",
        "import importlib\nimportlib.import_module('emulators.smtp')\n",
    ],
)
def test_the_rule_sees_every_way_of_importing(tmp_path: Path, source: str) -> None:
    module = tmp_path / "module.py"
    module.write_text(source, encoding="utf-8")
    assert [name.split(".")[0] for _, name in imported_modules(module)][-1] in {
        "pages",
        "emulators",
    }
