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


PAGES = sorted([*(ROOT / "pages").rglob("*.py"), ROOT / "app.py"])
#: Provider SDKs and HTTP clients: only an integration's own adapters talk to them.
PROVIDER_SDKS = (
    "googleapiclient",
    "google",
    "google_auth_oauthlib",
    "httplib2",
    "smtplib",
    "poplib",
    "imaplib",
    "twilio",
    "stripe",
    "messagebird",
    "requests",
    "httpx",
)
#: What the dashboard may use of the shared core: who is acting, and the errors it shows.
PUBLIC_CORE = {"integrations.core.access", "integrations.core.errors"}
#: Pages still reaching past their facades (issue 9, point 3); each leaves this set when its
#: facade lands, and the set goes when it is empty.
PAGES_NOT_YET = {
    "app.py",
    "pages/_calendar.py",
    "pages/_shell.py",
    "pages/events.py",
    "pages/google_connection.py",
    "pages/health.py",
    "pages/manual_sync.py",
    "pages/my_integrations.py",
    "pages/notifications.py",
    "pages/trainers.py",
    "pages/users.py",
}


def page_violations(path: Path) -> list[str]:
    """What `path` (a page) imports that a page may not: the store, its ORM, a provider SDK, the
    process's runtime (sessions) or the core's internals."""
    found = []
    for line, module in imported_modules(path):
        top = module.split(".")[0]
        internal_core = module.startswith("integrations.core") and not any(
            module == public or module.startswith(f"{public}.") for public in PUBLIC_CORE
        )
        if (
            top in {"db", "sqlalchemy", "sqlmodel", *PROVIDER_SDKS}
            or module in {"integrations.runtime", "integrations.core"}
            or internal_core
        ):
            found.append(f"{path.name}:{line} imports {module}")
    return found


def test_pages_reach_the_domain_only_through_its_facades() -> None:
    """Pages draw everything through the facades (`integrations.<package>.service`): no store,
    no ORM, no provider SDK, no session of their own, nothing of the core but access and errors."""
    assert len(PAGES) > 8
    checked = [path for path in PAGES if str(path.relative_to(ROOT)) not in PAGES_NOT_YET]
    assert [v for path in checked for v in page_violations(path)] == []
    assert all((ROOT / name).exists() for name in PAGES_NOT_YET)
    assert all(page_violations(ROOT / name) for name in PAGES_NOT_YET), (
        "a page in PAGES_NOT_YET keeps the rule now: take it out of the set"
    )


@pytest.mark.parametrize(
    "source",
    [
        "from db.models import Role\n",
        "import sqlalchemy as sa\n",
        "from sqlmodel import Session\n",
        "from googleapiclient.errors import HttpError\n",
        "from integrations.runtime import session as open_session\n",
        "from integrations.core.crypto import cipher_from_settings\n",
        "from integrations.core import lease\n",
        "def later():\n    import stripe\n",
    ],
)
def test_the_page_rule_sees_every_forbidden_import(tmp_path: Path, source: str) -> None:
    page = tmp_path / "page.py"
    page.write_text(source, encoding="utf-8")
    assert len(page_violations(page)) == 1


def test_the_page_rule_lets_facades_access_and_errors_through(tmp_path: Path) -> None:
    page = tmp_path / "page.py"
    page.write_text(
        "from integrations.core.access import Actor\n"
        "from integrations.core.errors import NotFound\n"
        "from integrations.google_calendar import service\n"
        "from integrations.messages import MESSAGES\n"
        "import streamlit as st\n",
        encoding="utf-8",
    )
    assert page_violations(page) == []


def test_the_core_imports_no_provider_sdk() -> None:
    core = sorted((ROOT / "integrations" / "core").rglob("*.py"))
    assert len(core) > 10
    assert _imports_of(core, *PROVIDER_SDKS) == []


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


TESTS = sorted((ROOT / "tests").rglob("*.py"))
#: Written in two parts, so that this file does not hold what it looks for.
REDEFINED_FIXTURE = "noqa: " + "F811"


def modules_named(source: str, package: str) -> Iterator[tuple[int, str]]:
    """Every module a test file of `package` imports, at the top or inside a function, with
    `from package import module` and relative imports spelled out as the modules they name."""
    parts = package.split(".")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = parts[: len(parts) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield node.lineno, module
            yield from ((node.lineno, f"{module}.{alias.name}") for alias in node.names)


def _is_test_module_or_conftest(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return module.split(".")[0] == "tests" and (last.startswith("test_") or last == "conftest")


def test_no_test_module_imports_another_test_module_or_a_conftest() -> None:
    """Shared fixtures and builders live in tests/support, whose fixtures tests/conftest.py
    registers once; a test module imported by another re-registers its fixtures there."""
    assert TESTS, "no test modules found"
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in TESTS
        for line, module in modules_named(
            path.read_text(encoding="utf-8"), ".".join(path.relative_to(ROOT).parent.parts)
        )
        if _is_test_module_or_conftest(module)
    ]
    assert found == []


def test_no_fixture_is_imported_over_its_own_name_in_tests() -> None:
    """A fixture imported into a module and then requested by name needs `noqa` for F811."""
    assert [
        str(path.relative_to(ROOT))
        for path in TESTS
        if REDEFINED_FIXTURE in path.read_text(encoding="utf-8")
    ] == []


@pytest.mark.parametrize(
    "source",
    [
        "from tests.ui.test_events import store\n",
        "from tests.integrations.google_calendar import test_sync\n",
        "import tests.browser.conftest\n",
        "def helper():\n    from tests.ui.conftest import EMAILS\n",
        "from .test_sync import Trainer\n",
        "from . import conftest\n",
        "from ..health_rows import connect\nfrom .conftest import Trainer\n",
    ],
)
def test_the_test_module_rule_sees_every_way_of_importing(source: str) -> None:
    named = [name for _, name in modules_named(source, "tests.integrations.google_calendar")]
    assert any(_is_test_module_or_conftest(name) for name in named), named


def test_the_test_module_rule_lets_support_modules_be_imported() -> None:
    source = "from tests.support.google_world import Trainer\nfrom tests.support import ci\n"
    named = [name for _, name in modules_named(source, "tests.ui")]
    assert not any(_is_test_module_or_conftest(name) for name in named), named


#: Who may write notifications: the alert engine, the helper that writes each reader's text, and
#: the module that adds the rows. An integration's engines record outcomes and connection
#: states; the alert engine alone raises and resolves alerts (issue 9, point 2).
NOTIFIERS = {
    ROOT / "integrations" / "monitoring" / "alerts.py",
    ROOT / "integrations" / "monitoring" / "notices.py",
    ROOT / "integrations" / "core" / "notifications.py",
}
#: What writes a notification: anything of the helper, `notify`, the row itself, or the module
#: holding `notify` as a whole (its readers, such as `managers_and_trainer`, are free to import).
WRITER_MODULES = ("integrations.monitoring.notices",)
WRITERS = {
    "integrations.core.notifications",
    "integrations.core.notifications.notify",
    "db.models.Notification",
}


def imported_names(path: Path) -> Iterator[tuple[int, str]]:
    """Every module and every name `path` imports, in full (`from a import b` gives `a.b`)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield from ((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)


def _is_writer(name: str) -> bool:
    return name in WRITERS or any(name == m or name.startswith(f"{m}.") for m in WRITER_MODULES)


def _writers_imported(paths: list[Path]) -> list[str]:
    return [
        f"{path}:{line} imports {name}"
        for path in paths
        for line, name in imported_names(path)
        if _is_writer(name)
    ]


def test_only_the_alert_engine_writes_notifications() -> None:
    """Nothing under integrations/ but the alert engine (and the two modules it writes through)
    can write a notification: not the sync engine, not the worker, not any integration."""
    others = [path for path in DOMAIN if path not in NOTIFIERS]
    assert len(others) > 50 and ROOT / "integrations" / "google_calendar" / "sync.py" in others
    assert _writers_imported(others) == []
    assert _writers_imported([ROOT / "integrations" / "monitoring" / "alerts.py"]) != []


@pytest.mark.parametrize(
    "source",
    [
        "from integrations.monitoring import notices\n",
        "from integrations.monitoring.notices import notify_in_their_language\n",
        "def tell():\n    from integrations.core.notifications import notify\n",
        "from integrations.core import notifications\n",
        "import integrations.core.notifications\n",
        "from db.models import IntegrationCredential, Notification\n",
    ],
)
def test_the_notification_rule_sees_every_way_of_importing_a_writer(
    tmp_path: Path, source: str
) -> None:
    module = tmp_path / "module.py"
    module.write_text(source, encoding="utf-8")
    assert _writers_imported([module]) != []
