"""Every string a person reads, in English and Hebrew, and the one way to look one up.

Pages (through `pages._shell.t`) and the notifications the domain writes
(`integrations.monitoring.notices`)
read the same catalogue with the same `text`, so a page and a notice cannot disagree on a
missing key or a singular. The shell's strings are in `shell.py`, each larger page's in a module
of its own; all are merged here into `MESSAGES` (a key may be defined once only).
"""

from __future__ import annotations

from typing import Any

from integrations.messages import alerts, events, health, manual_sync, shell, sync_settings

LANGUAGES = {"he": "עברית", "en": "English"}
RTL_LANGUAGES = frozenset({"he"})


def _merge() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for module in (shell, alerts, events, health, manual_sync, sync_settings):
        duplicated = set(merged) & set(module.MESSAGES)
        if duplicated:
            raise ValueError(f"message keys defined twice: {sorted(duplicated)}")
        merged.update(module.MESSAGES)
    return merged


MESSAGES: dict[str, dict[str, str]] = _merge()


def text(key: str, locale: str, **values: Any) -> str:
    """The text for `key` in `locale` (English when that translation is missing), with `values`
    filled in; the key itself when the catalogue has no such entry, so that a missing string
    shows where it is missing instead of taking a page or an alert run down.

    With `count=1`, the singular `key.one` when the catalogue has one: "one calendar found",
    "יומן אחד", not "1 calendars", "1 יומנים".
    """
    if values.get("count") == 1 and f"{key}.one" in MESSAGES:
        key = f"{key}.one"
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    template = entry.get(locale) or entry["en"]
    return template.format(**values) if values else template
