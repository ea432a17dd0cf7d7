"""Text from people and from Google, made safe to put inside `st.markdown` and `st.caption`.

Streamlit reads Markdown, LaTeX between dollars, colour and icon directives (`:red[...]`,
`:material/...:`) and emoji shortcodes in those calls: a name or an event title must be shown as
typed, not interpreted. Our own catalogue text may use Markdown; what we put into it may not.
"""

from __future__ import annotations

import re

# CommonMark lets any ASCII punctuation be escaped with a backslash; these are the ones that
# Markdown, Streamlit's directives (`:red[...]`, `:smile:`), LaTeX or HTML give a meaning to
# anywhere in a line. Addresses and numbers keep their dots and dashes readable.
_ACTIVE = re.compile(r"([\\`*_\[\]<>$~|&:])")
# These mean something only where a line starts: a heading, a list, a quote.
_LINE_START = re.compile(r"^(\s*)([#+\-=]|\d+[.)])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def plain(text: str) -> str:
    """`text` as Markdown that renders exactly as `text`, on one line."""
    escaped = _ACTIVE.sub(r"\\\1", _LINE_BREAKS.sub(" ", text))
    return _LINE_START.sub(lambda match: f"{match[1]}{match[2][:-1]}\\{match[2][-1]}", escaped)
