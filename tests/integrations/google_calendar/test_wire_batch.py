"""WireBatch writes and reads the same batch as googleapiclient's BatchHttpRequest.

The answers through the emulator are checked by tests/emulators/test_calendar_batch.py (every
test there runs with both classes); here, the bytes: what each class sends for the same calls,
and what each makes of answers shaped as Google's (folded headers included), side by side.
"""

from __future__ import annotations

from email.message import Message
from email.parser import Parser
from typing import Any

import google_auth_httplib2
import httplib2
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.http import BatchHttpRequest

from integrations.google_calendar.batch import WireBatch


class _Sent(Exception):
    pass


class _Wire:
    """Where a batch goes: records what was sent, answers with `answer` (or stops there)."""

    def __init__(self, answer: tuple[dict[str, str], bytes] | None = None) -> None:
        self.answer = answer
        self.sent: list[tuple[str, dict[str, str]]] = []

    def request(self, uri: str, method: str, body: str, headers: dict[str, str]) -> Any:
        self.sent.append((body, headers))
        if self.answer is None:
            raise _Sent
        fields, content = self.answer
        return httplib2.Response({"status": "200", **fields}), content


def _calls(cls: type[BatchHttpRequest]) -> BatchHttpRequest:
    """An insert with non-Latin text, a patch with If-Match and a delete, for one account."""
    credentials = Credentials(token="ya29.test-token")
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http())
    events = build("calendar", "v3", http=http, static_discovery=True).events()
    batch = cls(batch_uri="http://localhost/batch/calendar/v3")
    batch._base_id = "3f1e0c9a-0000-4000-8000-000000000000"  # the same Content-IDs for both
    body = {
        "id": "crm0session000001",
        "summary": "אימון אישי – Dana",
        "start": {"dateTime": "2027-03-01T09:00:00+02:00"},
        "end": {"dateTime": "2027-03-01T10:00:00+02:00"},
    }
    batch.add(events.insert(calendarId="primary", body=body, sendUpdates="none"), request_id="a")
    patch = events.patch(
        calendarId="coach@example.com", eventId="e1", body={"summary": "x"}, sendUpdates="none"
    )
    patch.headers["If-Match"] = '"3181161784712000"'
    batch.add(patch, request_id="b" * 32)
    batch.add(events.delete(calendarId="primary", eventId="e2", sendUpdates="none"), request_id="c")
    return batch


def _sent_parts(cls: type[BatchHttpRequest]) -> list[tuple[list[tuple[str, str]], str]]:
    """The parts a class sends, read by the email package: headers unfolded, and payload."""
    batch, wire = _calls(cls), _Wire()
    with pytest.raises(_Sent):
        batch.execute(http=wire)
    body, headers = wire.sent[0]
    message = Parser().parsestr(f"Content-Type: {headers['content-type']}\n\n{body}")
    parts: list[Message] = message.get_payload()  # type: ignore[assignment]
    return [
        ([(name, " ".join(value.split())) for name, value in part.items()], part.get_payload())
        for part in parts
    ]


def test_wire_batch_sends_the_parts_the_library_sends() -> None:
    """Same request lines, headers (token included, on every part), bodies and Content-IDs."""
    ours, library = _sent_parts(WireBatch), _sent_parts(BatchHttpRequest)

    assert ours == library
    assert len(ours) == 3
    assert all("authorization: Bearer ya29.test-token" in payload for _, payload in ours)
    assert ours[1][1].startswith("PATCH /calendar/v3/calendars/coach%40example.com/events/e1?")


def _answer(boundary: str, *, folded: bool) -> bytes:
    """Google's answer to the three calls: 200 with a body, 412, and an empty 204."""
    base = "3f1e0c9a-0000-4000-8000-000000000000"
    ids = ["a", "b" * 32, "c"]
    content_ids = [f"<response-{base} + {i}>" for i in ids]
    # A long header may arrive folded over two lines; the plain reader leaves it to the library.
    part_type = "Content-Type:\r\n application/http" if folded else "Content-Type: application/http"
    event = '{\n "kind": "calendar#event",\n "id": "crm0session000001",\n "etag": "\\"31\\""\n}'
    error = '{"error": {"code": 412, "message": "Precondition Failed"}}'
    answers = [
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\n"
        f'ETag: "31"\r\nContent-Length: {len(event)}\r\n\r\n{event}',
        f"HTTP/1.1 412 Precondition Failed\r\nContent-Type: application/json; charset=UTF-8\r\n"
        f"Content-Length: {len(error)}\r\n\r\n{error}",
        "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
    ]
    parts = [
        f"--{boundary}\r\n{part_type}\r\nContent-ID: {cid}\r\n\r\n{a}\r\n"
        for cid, a in zip(content_ids, answers, strict=True)
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


@pytest.mark.parametrize("folded", [False, True], ids=["plain", "folded-header"])
def test_wire_batch_reads_answers_as_the_library_does(folded: bool) -> None:
    """Each call's status, headers and content come out alike (a folded part header takes the
    library's reader); the callbacks get the same results and the same errors."""
    boundary = "batch_Xk2ZgO8wGmA2xjN7yvB_aQ"
    fields = {"content-type": f"multipart/mixed; boundary={boundary}"}
    outcomes = []
    for cls in (WireBatch, BatchHttpRequest):
        seen: dict[str, Any] = {}

        def collect(
            request_id: str, response: Any, error: Any, seen: dict[str, Any] = seen
        ) -> None:
            seen[request_id] = (response, error and (error.status_code, error.reason))

        batch = _calls(cls)
        batch._callback = collect
        batch.execute(http=_Wire((fields, _answer(boundary, folded=folded))))
        responses = {
            key: (dict(resp), resp.status, resp.reason, resp.version, content)
            for key, (resp, content) in batch._responses.items()
        }
        outcomes.append((responses, seen))

    assert outcomes[0] == outcomes[1]
    responses, seen = outcomes[0]
    assert seen["a"] == (
        {"kind": "calendar#event", "id": "crm0session000001", "etag": '"31"'},
        None,
    )
    assert seen["b" * 32] == (None, (412, "Precondition Failed"))
    assert seen["c"] == ("", None)
    assert responses["a"][0]["etag"] == '"31"'
