"""The catalogue: every string in both languages, every key a page or a notice uses defined,
including the keys built in f-strings (each family of them is listed here with its members)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from db.models import (
    ConnectionStatus,
    EventOrigin,
    Integration,
    LogLevel,
    Role,
    RunOutcome,
    SyncDirection,
    SyncFrequency,
    SyncState,
)
from integrations.core import registry
from integrations.core.failures import ErrorKind
from integrations.core.integration import NOT_CONNECTED, Status
from integrations.google_calendar import manual
from integrations.google_calendar.status import SCOPE_NAMES
from integrations.google_calendar.sync import INTERNAL
from integrations.messages import MESSAGES
from integrations.monitoring.health import WINDOWS

ROOT = Path(__file__).resolve().parents[2]
#: Where the catalogue is read: the app, its pages, and the domain (the notices it writes).
SOURCES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
DOMAIN = sorted((ROOT / "integrations").rglob("*.py"))
#: What a message key looks like.
KEY = re.compile(r"[a-z_]+(\.[a-z_]+)+")
LOOKUPS = {"t", "text"}


def _values(*enums: Iterable[object]) -> set[str]:
    return {str(getattr(member, "value", member)) for enum in enums for member in enum}


def _app_pages() -> set[str]:
    """The keys of `app.PAGES` (app.py runs Streamlit when imported, so it is read, not run)."""
    for node in ast.walk(ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.AnnAssign) and ast.unparse(node.target) == "PAGES":
            assert isinstance(node.value, ast.Dict)
            return {ast.literal_eval(key) for key in node.value.keys if key is not None}
    raise AssertionError("app.py defines no PAGES")


def _alert_rules() -> set[str]:
    return {rule for i in registry.integrations() for rule in i.alert_rules()}


ERROR_KINDS = _values(ErrorKind) | {INTERNAL, "interrupted"}
#: Every key built at run time, by its pattern (each `{}` a value), and the values it takes. A
#: new f-string key fails `test_every_key_built_at_run_time_belongs_to_a_listed_family` until
#: its family is listed here.
FAMILIES: dict[str, set[str]] = {
    "page.{}": _app_pages(),
    "role.{}": _values(Role),
    "integration.{}": _values(Integration),
    "status.{}": _values(ConnectionStatus) | {NOT_CONNECTED},
    "outcome.{}": _values(RunOutcome),
    "alert.rule.{}": _alert_rules(),
    "events.state.{}": _values(SyncState),
    "events.origin.{}": _values(EventOrigin),
    "events.view.{}": {"week", "month"},
    "events.conflict.{}": {"local", "google"},
    "events.conflict.keep_{}": {"local", "google"},
    "google.scope.{}": set(SCOPE_NAMES.values()) | {"unknown"},
    "google.consent.{}": {
        "state_unknown",
        "state_used",
        "state_expired",
        "wrong_user",
        "access_denied",
        "missing_scopes",
        "exchange_failed",
    },
    "health.frequency.{}": _values(SyncFrequency),
    "health.kind.{}": ERROR_KINDS,
    "health.level.{}": _values(LogLevel),
    "health.series.{}": {"p50", "p95"},
    "health.state.{}": _values(Status),
    "health.window.{}": set(WINDOWS),
    "manual.fix.{}": ERROR_KINDS,
    "manual.state.{}": {
        manual.WAITING,
        manual.NOT_CONNECTED,
        manual.NEEDS_RECONNECT,
        *(_values(RunOutcome)),
    },
    "settings.direction.{}": _values(SyncDirection),
    "settings.direction.{}.help": _values(SyncDirection),
    "settings.frequency.{}": _values(SyncFrequency),
    "settings.frequency.{}.help": _values(SyncFrequency),
}
#: Built keys looked up only once `key in MESSAGES` has found them (a general text otherwise).
LOOKED_UP_IF_DEFINED = {"{}.invalid.{}", "{}.failed"}


def _pattern(node: ast.expr) -> str | None:
    """`f"events.state.{x}"` or `"role." + x` as "events.state.{}"; None for anything else."""
    if isinstance(node, ast.JoinedStr):
        return "".join(
            str(part.value) if isinstance(part, ast.Constant) else "{}" for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _pattern(node.left), _pattern(node.right)
        return f"{left if left is not None else '{}'}{right if right is not None else '{}'}"
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _first_arguments(paths: Iterable[Path]) -> Iterator[tuple[str, ast.expr]]:
    """The first argument of every `t(...)`, `text(...)` and `notices.text(...)`, with its place;
    both branches of a conditional key."""
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in LOOKUPS:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            argument = node.args[0]
            if isinstance(argument, ast.IfExp):
                yield where, argument.body
                yield where, argument.orelse
            elif isinstance(argument, ast.Call) and ast.unparse(argument.func).endswith(
                "for_reader"
            ):
                yield where, argument.args[0]
            else:
                yield where, argument


def _literal_keys(paths: Iterable[Path]) -> dict[str, str]:
    return {
        argument.value: where
        for where, argument in _first_arguments(paths)
        if isinstance(argument, ast.Constant)
        and isinstance(argument.value, str)
        and KEY.fullmatch(argument.value)
    }


def _built_keys(paths: Iterable[Path]) -> dict[str, str]:
    return {
        pattern: where
        for where, argument in _first_arguments(paths)
        if not isinstance(argument, ast.Constant)
        and (pattern := _pattern(argument)) is not None
        and "{}" in pattern
    }


def _finding_body_keys() -> dict[str, str]:
    """The body keys of the alert findings the integrations build (`AlertFinding`'s fourth
    argument, or `body_key=`): the alert engine renders them in each reader's language."""
    found: dict[str, str] = {}
    for path in DOMAIN:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and ast.unparse(node.func) == "AlertFinding"):
                continue
            keys = [k.value for k in node.keywords if k.arg == "body_key"]
            body = node.args[3] if len(node.args) > 3 else keys[0] if keys else None
            assert isinstance(body, ast.Constant), ast.unparse(node)
            found[str(body.value)] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_message_has_english_and_hebrew_with_the_same_placeholders() -> None:
    for key, entry in MESSAGES.items():
        assert set(entry) == {"en", "he"}, key
        assert entry["en"].strip() and entry["he"].strip(), key
        placeholders = [set(re.findall(r"\{(\w+)\}", entry[lang])) for lang in ("en", "he")]
        assert placeholders[0] == placeholders[1], key


def test_every_key_used_by_a_page_is_defined() -> None:
    used = _literal_keys(SOURCES)
    assert len(used) > 100, "no t() calls found"
    assert sorted(f"{key} ({where})" for key, where in used.items() if key not in MESSAGES) == []


def test_every_key_a_notice_uses_is_defined() -> None:
    """What the alert engine writes: its literal keys (also through `for_reader`)
    and the body key of every finding an integration raises."""
    used = _literal_keys(DOMAIN) | _finding_body_keys()
    assert {"alert.title", "alert.resolved.body", "alert.needs_reauth.body"} <= set(used)
    assert sorted(f"{key} ({where})" for key, where in used.items() if key not in MESSAGES) == []


def test_every_key_built_at_run_time_belongs_to_a_listed_family() -> None:
    built = _built_keys([*SOURCES, *DOMAIN])
    assert {"page.{}", "alert.rule.{}", "events.state.{}"} <= set(built)
    unlisted = set(built) - set(FAMILIES) - LOOKED_UP_IF_DEFINED
    assert sorted(f"{pattern} ({built[pattern]})" for pattern in unlisted) == []


def test_every_member_of_every_family_of_built_keys_is_defined() -> None:
    missing = [
        pattern.replace("{}", member)
        for pattern, members in FAMILIES.items()
        for member in sorted(members)
        if pattern.replace("{}", member) not in MESSAGES
    ]
    assert all(FAMILIES.values())
    assert missing == []


def test_every_singular_form_belongs_to_a_counted_message() -> None:
    """`key.one` replaces `key` when count is 1, so `key` must exist and take a count."""
    for key in (k for k in MESSAGES if k.endswith(".one")):
        base = MESSAGES.get(key.removesuffix(".one"))
        assert base is not None and "{count}" in base["en"], key


def test_one_of_something_reads_in_the_singular() -> None:
    from streamlit.testing.v1 import AppTest

    def script() -> None:
        import streamlit as st

        from pages._shell import LANG_KEY, t

        for lang in ("he", "en"):
            st.session_state[LANG_KEY] = lang
            for count in (1, 2):
                st.text(t("shell.unread", count=count))

    at = AppTest.from_function(script).run()
    assert [element.value for element in at.text] == [
        "התראה אחת שלא נקראה",
        "2 התראות שלא נקראו",
        "One unread notification",
        "2 unread notifications",
    ]
