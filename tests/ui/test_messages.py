"""The catalogue: every string in both languages, every key a page uses defined."""

from __future__ import annotations

import re
from pathlib import Path

from pages._messages import MESSAGES

ROOT = Path(__file__).resolve().parents[2]


def test_every_message_has_english_and_hebrew_with_the_same_placeholders() -> None:
    for key, entry in MESSAGES.items():
        assert set(entry) == {"en", "he"}, key
        assert entry["en"].strip() and entry["he"].strip(), key
        placeholders = [set(re.findall(r"\{(\w+)\}", entry[lang])) for lang in ("en", "he")]
        assert placeholders[0] == placeholders[1], key


def test_every_key_used_by_a_page_is_defined() -> None:
    used: set[str] = set()
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        used |= set(
            re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text(encoding="utf-8"))
        )
    assert used, "no t() calls found"
    assert sorted(used - set(MESSAGES)) == []
