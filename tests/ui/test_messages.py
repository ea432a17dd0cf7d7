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
