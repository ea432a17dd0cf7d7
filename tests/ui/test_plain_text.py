"""`plain` keeps people's and Google's text as typed inside Streamlit Markdown."""

from __future__ import annotations

import re

import pytest

from pages._plain import plain

HOSTILE = [
    "**bold** and _italic_",
    "<img src=x onerror=alert(1)>",
    "$x^2$ and $$\\int$$",
    ":red[alarm] :material/home: :smile:",
    "[click](https://evil.example) ![i](x.png)",
    "# heading\n- item\n1. one",
    "`code` ~~gone~~ | table |",
    "&lt;script&gt;",
]


def _commonmark_unescape(markdown: str) -> str:
    """What CommonMark shows for backslash escapes of ASCII punctuation."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_reads_back_as_typed_with_nothing_left_active(text: str) -> None:
    escaped = plain(text)
    assert _commonmark_unescape(escaped) == " ".join(text.split("\n"))
    for active in "*_<>$[]:`~|#&":
        assert re.search(rf"(?<!\\){re.escape(active)}", escaped) is None, active


def test_ordinary_names_and_hebrew_are_left_readable() -> None:
    assert plain("דנה כהן") == "דנה כהן"
    assert plain("Dana Cohen 3") == "Dana Cohen 3"
