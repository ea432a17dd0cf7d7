"""The web inbox over HTTP: messages per recipient, a message's HTML shown only in a sandboxed
frame (right to left when it is Hebrew), its text, escaped headers and raw source, and the
RFC 8058 one-click unsubscribe done the way a mail provider does it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from tests.support.mail_emulator import MailEmulatorClient

HEBREW_HTML = (
    "<html><head><style>p{color:#333}</style></head><body>"
    "<h1>ברוכה הבאה ל-NEWYM!</h1><p>שלום שירה, נתראה באימון הראשון ביום ראשון.</p>"
    '<p><a href="https://newym.test/book">לקביעת אימון</a></p></body></html>'
)


class _Page(HTMLParser):
    """The elements the tests look at, as a browser would read the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.frames: list[dict[str, str | None]] = []
        self.pres: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.forms: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append(tag)
        if tag == "iframe":
            self.frames.append(attributes)
        elif tag == "pre":
            self.pres.append(attributes)
        elif tag == "a" and attributes.get("href"):
            self.links.append(str(attributes["href"]))
        elif tag == "form":
            self.forms.append(str(attributes.get("action")))


def read_page(response: httpx.Response) -> _Page:
    assert response.status_code == 200, response.text
    page = _Page()
    page.feed(response.text)
    return page


def send(mail_emulator: MailEmulatorClient, message: EmailMessage, **kwargs: Any) -> str:
    with mail_emulator.smtp() as client:
        client.send_message(message, **kwargs)
    return str(mail_emulator.messages()[-1]["id"])


def welcome(to: str = "shira@example.com", html: str = HEBREW_HTML) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "דנה כהן <dana@newym.test>"
    message["To"] = to
    message["Subject"] = "ברוכה הבאה ל-NEWYM"
    message.set_content("שלום שירה, נתראה באימון הראשון ביום ראשון.")
    message.add_alternative(html, subtype="html")
    return message


def get(mail_emulator: MailEmulatorClient, path: str) -> httpx.Response:
    return httpx.get(f"{mail_emulator.http_url}{path}", timeout=10)


def test_a_hebrew_html_message_is_shown_right_to_left_in_a_sandboxed_frame(
    mail_emulator: MailEmulatorClient,
) -> None:
    message_id = send(mail_emulator, welcome())
    response = get(mail_emulator, f"/messages/{message_id}")
    page = read_page(response)

    [frame] = page.frames
    assert frame["srcdoc"] is not None
    assert frame["srcdoc"].startswith('<html dir="rtl" lang="he">')
    assert "שלום שירה" in frame["srcdoc"]
    sandbox = (frame["sandbox"] or "").split()
    assert "allow-scripts" not in sandbox and "allow-same-origin" not in sandbox
    assert frame["data-dir"] == "rtl"
    [text] = page.pres
    assert text["dir"] == "rtl"
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    # The message's markup never becomes part of the page itself.
    assert "<h1>ברוכה" not in response.text


def test_a_message_that_sets_its_own_direction_keeps_it(mail_emulator: MailEmulatorClient) -> None:
    html = (
        '<html dir="ltr"><body><p>שלום, this block is left to right on purpose.</p></body></html>'
    )
    message_id = send(mail_emulator, welcome(html=html))
    [frame] = read_page(get(mail_emulator, f"/messages/{message_id}")).frames
    assert str(frame["srcdoc"]).rstrip() == '<base target="_blank">' + html
    assert frame["data-dir"] == "ltr"


def test_an_html_only_hebrew_message_lays_the_whole_page_right_to_left(
    mail_emulator: MailEmulatorClient,
) -> None:
    message = EmailMessage()
    message["From"] = "dana@newym.test"
    message["To"] = "shira@example.com"
    message["Subject"] = "NEWYM"
    message.set_content(HEBREW_HTML, subtype="html")
    response = get(mail_emulator, f"/messages/{send(mail_emulator, message)}")
    page = read_page(response)
    assert page.frames[0]["data-dir"] == "rtl"
    assert page.pres == []
    assert '<main dir="rtl">' in response.text


def test_an_english_message_stays_left_to_right(mail_emulator: MailEmulatorClient) -> None:
    message = EmailMessage()
    message["From"] = "dana@newym.test"
    message["To"] = "alex@example.com"
    message["Subject"] = "Your session tomorrow"
    message.set_content("Hi Alex, see you at 07:00.")
    message.add_alternative("<p>Hi Alex, see you at 07:00.</p>", subtype="html")
    page = read_page(get(mail_emulator, f"/messages/{send(mail_emulator, message)}"))
    assert page.frames[0]["data-dir"] == "ltr"
    assert not str(page.frames[0]["srcdoc"]).startswith("<html dir")
    assert page.pres[0]["dir"] == "ltr"
    assert '<main dir="ltr">' in get(mail_emulator, "/").text


def test_headers_and_html_are_escaped_so_no_markup_of_the_message_runs_in_the_page(
    mail_emulator: MailEmulatorClient,
) -> None:
    message = EmailMessage()
    message["From"] = '"<img src=x onerror=alert(1)>" <evil@example.com>'
    message["To"] = "victim@example.com"
    message["Subject"] = "<script>alert('subject')</script>"
    message["X-Note"] = '"><svg onload=alert(2)>'
    message.set_content("text")
    message.add_alternative("<script>alert('body')</script><p>hi</p>", subtype="html")
    message_id = send(mail_emulator, message)
    for path in (f"/messages/{message_id}", "/mailbox/victim@example.com", "/"):
        response = get(mail_emulator, path)
        assert response.status_code == 200
        assert "<script" not in response.text, path
        assert "<svg" not in response.text and "<img" not in response.text, path
    page = read_page(get(mail_emulator, f"/messages/{message_id}"))
    assert "script" not in page.tags
    shown = get(mail_emulator, f"/messages/{message_id}").text
    assert "&lt;script&gt;alert(&#x27;subject&#x27;)&lt;/script&gt;" in shown
    assert "&quot;&gt;&lt;svg onload=alert(2)&gt;" in shown
    assert "<script>alert('body')</script>" in str(page.frames[0]["srcdoc"])  # sandboxed only


def test_messages_are_listed_per_recipient(mail_emulator: MailEmulatorClient) -> None:
    send(mail_emulator, welcome("shira@example.com"))
    other = welcome("ron@example.com")
    del other["Subject"]
    other["Subject"] = "Ron's reminder"
    send(mail_emulator, other)
    front = read_page(get(mail_emulator, "/"))
    assert "/mailbox/shira@example.com" in front.links
    assert "/mailbox/ron@example.com" in front.links
    shira = get(mail_emulator, "/mailbox/shira@example.com").text
    assert "ברוכה הבאה ל-NEWYM" in shira and "Ron&#x27;s reminder" not in shira
    ron = get(mail_emulator, "/mailbox/ron@example.com").text
    assert "Ron&#x27;s reminder" in ron and "ברוכה הבאה" not in ron


def test_the_raw_source_is_plain_text_with_the_envelope_trace(
    mail_emulator: MailEmulatorClient,
) -> None:
    message_id = send(mail_emulator, welcome(), from_addr="bounces+w-1@newym.test")
    page = read_page(get(mail_emulator, f"/messages/{message_id}"))
    assert f"/messages/{message_id}/raw" in page.links
    raw = get(mail_emulator, f"/messages/{message_id}/raw")
    assert raw.headers["content-type"] == "text/plain; charset=utf-8"
    assert raw.text.startswith("Return-Path: <bounces+w-1@newym.test>\r\n")
    assert "Subject: =?utf-8?b?" in raw.text  # as sent: an encoded word, not decoded
    assert "Content-Type: text/html" in raw.text


def test_an_unknown_message_is_a_404_page(mail_emulator: MailEmulatorClient) -> None:
    response = get(mail_emulator, "/messages/<nope>")
    assert response.status_code == 404
    assert "<nope>" not in response.text


@contextmanager
def unsubscribe_receiver() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    """A web server that records the one-click POSTs it gets: (path, body)."""
    received: list[tuple[str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received.append((self.path, self.rfile.read(length)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_one_click_unsubscribe_posts_to_the_senders_url_as_rfc_8058_says(
    mail_emulator: MailEmulatorClient,
) -> None:
    with unsubscribe_receiver() as (base, received):
        message = welcome()
        message["List-Unsubscribe"] = f"<{base}/u/token-1>, <mailto:unsubscribe@newym.test>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message_id = send(mail_emulator, message)
        page = read_page(get(mail_emulator, f"/messages/{message_id}"))
        assert f"/messages/{message_id}/unsubscribe" in page.forms
        shown = get(mail_emulator, f"/messages/{message_id}").text
        assert f"{base}/u/token-1" in shown and "mailto:unsubscribe@newym.test" in shown

        answer = httpx.post(f"{mail_emulator.http_url}/messages/{message_id}/unsubscribe")
        assert answer.status_code == 200
        assert "HTTP 200" in answer.text
    assert received == [("/u/token-1", b"List-Unsubscribe=One-Click")]
    assert mail_emulator.stats()["unsubscribe.posted"] == 1


def test_no_one_click_button_without_list_unsubscribe_post(
    mail_emulator: MailEmulatorClient,
) -> None:
    message = welcome()
    message["List-Unsubscribe"] = "<https://newym.test/u/token-2>"
    message_id = send(mail_emulator, message)
    page = read_page(get(mail_emulator, f"/messages/{message_id}"))
    assert f"/messages/{message_id}/unsubscribe" not in page.forms
