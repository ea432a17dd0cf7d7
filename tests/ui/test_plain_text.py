"""`plain` keeps people's and Google's text as typed inside Streamlit Markdown."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from db.models import SyncConflict
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


def test_a_google_title_with_markdown_and_latex_shows_as_typed_in_the_conflict_card(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    """A title typed in Google Calendar reaches the trainer's conflict card: `$...$` must not
    turn into a formula, nor `**`, `:red[...]` or `<img>` into formatting."""
    from tests.support.events_page import conflict_on as _conflict_on
    from tests.support.events_page import events_page, store, stored_events, trainer

    title = "$x^2$ **big** :red[alarm] <img src=x onerror=alert(1)>"
    dana = trainer(demo_store)
    event = stored_events(demo_store, dana.id)[0]
    conflict = _conflict_on(demo_store, event)
    with store(demo_store) as session:
        stored = session.get(SyncConflict, conflict.id)
        assert stored is not None
        stored.google_version = {**stored.google_version, "summary": title}
        session.add(stored)
        session.commit()
    at = events_page(app_as, "trainer")
    cards = [m.value for m in at.markdown if _commonmark_unescape(m.value).startswith(f"**{title}")]
    assert cards, "the Google version of the title is on the card"
    for card in cards:
        first_line = card.split("  \n")[0].removeprefix("**").removesuffix("**")
        assert not re.search(r"(?<!\\)[$*<>\[\]:]", first_line)
