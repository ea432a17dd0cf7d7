"""The web inbox a person browses in the demo: mailboxes, messages, and each message's
rendered HTML, text part, headers and raw source.

A message's HTML is untrusted: it is shown only inside `<iframe sandbox srcdoc=...>` (no
scripts, no forms, no same-origin access; links open in a new tab), under a page CSP that
allows no script at all. Every header and every value taken from a message is escaped. A
message in Hebrew (or Arabic) is laid out right to left unless its own HTML says otherwise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from email.message import EmailMessage, Message
from html import escape
from html.parser import HTMLParser
from urllib.parse import quote

from emulators.smtp.store import MailStore, StoredMessage

#: No script anywhere, the message's own images may load (a tracking pixel is part of the demo),
#: forms post only back here.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src http: https: data:; "
    "form-action 'self'; frame-ancestors 'self'"
)
FRAME_SANDBOX = "allow-popups allow-popups-to-escape-sandbox"

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1c1e21}
header{background:#243b53;color:#fff;padding:.6rem 1rem}header a{color:#fff}
main{padding:1rem;max-width:72rem;margin:auto}
table{border-collapse:collapse;width:100%;background:#fff}
td,th{border-bottom:1px solid #e1e4e8;padding:.35rem .5rem;text-align:start;vertical-align:top}
th{background:#eef1f4}.headers td:first-child{white-space:nowrap;font-weight:600}
iframe{width:100%;height:32rem;border:1px solid #ccd;background:#fff}
pre{white-space:pre-wrap;background:#fff;border:1px solid #ccd;padding:.75rem}
.badge{background:#b42318;color:#fff;border-radius:.3rem;padding:0 .35rem;font-size:.8em}
.box{background:#fff8e1;border:1px solid #f0c36d;padding:.5rem .75rem;margin:.75rem 0}
"""


def text_direction(text: str) -> str:
    """`rtl` when right-to-left letters outnumber left-to-right ones, else `ltr`."""
    right = left = 0
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind in ("R", "AL"):
            right += 1
        elif kind == "L":
            left += 1
    return "rtl" if right > 0 and right >= left else "ltr"


class _HtmlFacts(HTMLParser):
    """The text of an HTML part and whether its root (html or body) declares a direction."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root_dir: str | None = None
        self.text: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("html", "body") and self.root_dir is None:
            declared = dict(attrs).get("dir")
            if declared:
                self.root_dir = declared
        if tag in ("style", "script", "title"):
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title") and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.text.append(data)


def frame_document(html_part: str) -> tuple[str, str]:
    """The document the sandboxed frame shows, and its direction.

    Links open in a new tab (`<base target>` ahead of the message). A message whose root has
    no `dir` gets the direction of its text, as a mail client that follows the content would;
    an `<html>` start tag written first wins, so the message's own is left alone otherwise.
    """
    facts = _HtmlFacts()
    facts.feed(html_part)
    facts.close()
    direction = facts.root_dir or text_direction(" ".join(facts.text))
    prefix = '<base target="_blank">'
    if facts.root_dir is None and direction == "rtl":
        prefix = '<html dir="rtl" lang="he">' + prefix
    return prefix + html_part, direction


def page(title: str, body: str, *, direction: str = "ltr") -> str:
    return (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>"
        '<header><a href="/">NEWYM mail emulator</a> — inbox</header>'
        f'<main dir="{direction}">{body}</main></body></html>'
    )


def _link_to_mailbox(mailbox: str) -> str:
    return f'<a href="/mailbox/{quote(mailbox, safe="@")}">{escape(mailbox)}</a>'


#: Newest messages a listing shows; a campaign's ten thousand would make a page nobody reads.
LISTING_LIMIT = 200


def _message_rows(messages: Iterable[StoredMessage]) -> str:
    chosen = list(messages)
    rows = []
    for message in reversed(chosen[-LISTING_LIMIT:]):
        summary = message.summary()
        badge = ' <span class="badge">DSN</span>' if message.kind == "dsn" else ""
        rows.append(
            "<tr>"
            f"<td>{escape(message.received_at.strftime('%Y-%m-%d %H:%M:%S'))}</td>"
            f'<td dir="auto">{escape(str(summary["from"]))}</td>'
            f"<td>{escape(', '.join(message.recipients))}</td>"
            f'<td dir="auto"><a href="/messages/{message.id}">'
            f"{escape(str(summary['subject']) or '(no subject)')}</a>{badge}</td>"
            "</tr>"
        )
    head = "<tr><th>Received</th><th>From</th><th>To</th><th>Subject</th></tr>"
    if not rows:
        return "<p>No messages.</p>"
    more = (
        f"<p>The newest {LISTING_LIMIT} of {len(chosen)} messages.</p>"
        if len(chosen) > LISTING_LIMIT
        else ""
    )
    return f"{more}<table>{head}{''.join(rows)}</table>"


def index_page(store: MailStore, smtp_where: str, pop3_where: str) -> str:
    boxes = "".join(
        f"<li>{_link_to_mailbox(name)} ({count})</li>" for name, count in store.mailbox_names()
    )
    body = (
        f"<p>SMTP submission: <code>{escape(smtp_where)}</code> (STARTTLS, AUTH PLAIN/LOGIN); "
        f"POP3: <code>{escape(pop3_where)}</code>.</p>"
        f"<h2>Mailboxes</h2><ul>{boxes or '<li>none yet</li>'}</ul>"
        f"<h2>All messages</h2>{_message_rows(store.list_messages())}"
    )
    return page("Mail emulator", body)


def mailbox_page(store: MailStore, mailbox: str) -> str:
    messages = store.list_messages(mailbox=mailbox)
    body = f"<h1>{escape(mailbox)}</h1>{_message_rows(messages)}"
    return page(f"Mailbox {mailbox}", body)


def _parts(message: EmailMessage) -> str:
    rows = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename() or ""
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        rows.append(
            f"<tr><td>{escape(part.get_content_type())}</td><td>{escape(filename)}</td>"
            f"<td>{size}</td></tr>"
        )
    return "<table><tr><th>Part</th><th>File</th><th>Bytes</th></tr>" + "".join(rows) + "</table>"


def unsubscribe_targets(message: EmailMessage) -> tuple[list[str], bool]:
    """The List-Unsubscribe URIs (RFC 2369) and whether RFC 8058 one-click is offered."""
    uris = re.findall(r"<([^>]+)>", str(message.get("List-Unsubscribe", "")))
    one_click = (
        str(message.get("List-Unsubscribe-Post", "")).strip().lower()
        == "list-unsubscribe=one-click"
    )
    return uris, one_click


def message_page(message: StoredMessage, notice: str = "") -> str:
    parsed = message.parsed
    subject = str(parsed.get("Subject", "")) or "(no subject)"
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    text = _content(text_part)
    html = _content(html_part)
    document, html_direction = frame_document(html) if html else ("", "ltr")
    direction = text_direction(text) if text else html_direction if html else "ltr"
    if not text and not html:
        direction = text_direction(subject)
    sections: list[str] = []
    if notice:
        sections.append(f'<div class="box">{escape(notice)}</div>')
    sections.append(
        f'<h1 dir="auto">{escape(subject)}</h1>'
        "<table>"
        f"<tr><td>Envelope sender</td><td>{escape(message.envelope_from or '<>')}</td></tr>"
        f"<tr><td>Recipients</td><td>{escape(', '.join(message.recipients))}</td></tr>"
        f"<tr><td>Received</td><td>{escape(message.received_at.isoformat())}</td></tr>"
        f"<tr><td>Authenticated as</td><td>{escape(message.authenticated_as or '—')}</td></tr>"
        "</table>"
        f'<p><a href="/messages/{message.id}/raw">Raw source</a></p>'
    )
    uris, one_click = unsubscribe_targets(parsed)
    if uris:
        listed = "".join(f"<li><code>{escape(uri)}</code></li>" for uri in uris)
        web = [uri for uri in uris if uri.lower().startswith(("https:", "http:"))]
        button = (
            f'<form method="post" action="/messages/{message.id}/unsubscribe">'
            "<button>Unsubscribe (one click, RFC 8058)</button></form>"
            if one_click and web
            else ""
        )
        sections.append(
            '<div class="box"><strong>List-Unsubscribe</strong>'
            f"{' with one-click' if one_click else ''}<ul>{listed}</ul>{button}</div>"
        )
    if html:
        sections.append(
            f'<h2>HTML</h2><iframe title="message" sandbox="{FRAME_SANDBOX}" '
            f'data-dir="{html_direction}" srcdoc="{escape(document, quote=True)}"></iframe>'
        )
    if text:
        sections.append(f'<h2>Text</h2><pre dir="{direction}">{escape(text)}</pre>')
    header_rows = "".join(
        f'<tr><td>{escape(name)}</td><td dir="auto">{escape(_safe_header(value))}</td></tr>'
        for name, value in parsed.items()
    )
    report = _delivery_report(parsed)
    if report:
        sections.append(f"<h2>Delivery report</h2><pre>{escape(report)}</pre>")
    sections.append(f'<h2>Headers</h2><table class="headers">{header_rows}</table>')
    sections.append(f"<h2>Parts</h2>{_parts(parsed)}")
    if message.envelope_from:
        sections.append(
            f'<form method="post" action="/messages/{message.id}/bounce">'
            "<button>Bounce it (send a DSN to the envelope sender)</button></form>"
        )
    return page(subject, "".join(sections), direction=direction)


def _delivery_report(message: EmailMessage) -> str:
    """The fields of a DSN's message/delivery-status part, one block a paragraph."""
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if isinstance(blocks, list):
            return "\n\n".join(
                "\n".join(f"{name}: {value}" for name, value in block.items())
                for block in blocks
                if isinstance(block, Message)
            )
    return ""


def _safe_header(value: object) -> str:
    try:
        return str(value)
    except Exception:  # a header the parser could not decode: show what was sent
        return repr(value)


def _content(part: object) -> str:
    if not isinstance(part, EmailMessage):
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""
