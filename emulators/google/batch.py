"""The batch endpoint, POST /batch/calendar/v3, as googleapiclient's BatchHttpRequest uses it.

The body is multipart/mixed; each part is an `application/http` request with a `Content-ID`.
Each part is replayed through the whole app (so it meets the gate: its own token check, quota and
faults) and answered in its own part, `Content-ID: <response-ID>`, in the order asked. Headers of
the outer request other than `Content-*` apply to every part that does not set them.
"""

from __future__ import annotations

import re
import secrets
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.types import Message as AsgiMessage

from emulators.google.api_errors import ApiError
from emulators.google.gate import BATCH_PART_KEY, BATCH_PATH

#: Calendar's documented limit of calls in one batch request.
MAX_CALLS = 50
_PART_HEADERS = ("content-type", "etag", "retry-after", "www-authenticate", "location")


class _Part:
    def __init__(
        self, content_id: str, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> None:
        self.content_id = content_id
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body


def build_router() -> APIRouter:
    router = APIRouter()

    @router.post(BATCH_PATH)
    async def batch(request: Request) -> Response:
        parts = _parse(request.headers.get("content-type", ""), await request.body())
        if len(parts) > MAX_CALLS:
            raise ApiError(
                400,
                "badRequest",
                f"Too many requests in batch: {len(parts)}. The limit is {MAX_CALLS}.",
            )
        outer = [
            (name.decode("latin-1").lower(), value.decode("latin-1"))
            for name, value in request.scope["headers"]
            if not name.lower().startswith(b"content-") and name.lower() != b"host"
        ]
        boundary = "batch_" + secrets.token_urlsafe(18)
        chunks: list[bytes] = []
        for part in parts:
            status, headers, payload = await _replay(request, part, outer)
            chunks.append(_answer_part(boundary, part.content_id, status, headers, payload))
        chunks.append(f"--{boundary}--\r\n".encode())
        return Response(
            content=b"".join(chunks), media_type=f"multipart/mixed; boundary={boundary}"
        )

    return router


def _parse(content_type: str, body: bytes) -> list[_Part]:
    if not content_type.lower().startswith("multipart/"):
        raise ApiError(400, "badRequest", "Batch requests must be multipart/mixed.")
    message = BytesParser(policy=compat32).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ApiError(400, "badRequest", "Batch requests must be multipart/mixed.")
    parts: list[_Part] = []
    for section in message.get_payload():
        if not isinstance(section, Message):
            raise ApiError(400, "badRequest", "Each batch part must be an HTTP request.")
        raw = section.get_payload(decode=True)
        if not isinstance(raw, bytes):
            raise ApiError(
                400, "badRequest", "Each batch part must be an application/http request."
            )
        # A long Content-ID arrives folded over two lines (googleapiclient's MIME generator
        # folds at 78 columns); like any MIME reader, unfold it before echoing it back.
        content_id = re.sub(r"\r?\n[ \t]+", " ", str(section.get("Content-ID", "")))
        parts.append(_request(content_id, raw))
    return parts


def _request(content_id: str, raw: bytes) -> _Part:
    """One part's HTTP request: request line, headers, blank line, body."""
    separator = b"\r\n\r\n" if b"\r\n\r\n" in raw else b"\n\n"
    head, _, body = raw.partition(separator)
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    request_line = lines[0].split()
    if len(request_line) < 2:
        raise ApiError(400, "badRequest", "Invalid request line in batch part.")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers.append((name.strip().lower(), value.strip()))
    return _Part(content_id, request_line[0].upper(), request_line[1], headers, body)


async def _replay(
    request: Request, part: _Part, outer: list[tuple[str, str]]
) -> tuple[int, list[tuple[str, str]], bytes]:
    target = urlsplit(part.target)
    own = {name for name, _ in part.headers}
    headers = [*part.headers, *[(n, v) for n, v in outer if n not in own]]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": part.method,
        "scheme": request.scope.get("scheme", "http"),
        "path": unquote(target.path),
        "raw_path": target.path.encode("latin-1"),
        "root_path": "",
        "query_string": target.query.encode("latin-1"),
        "headers": [(n.encode("latin-1"), v.encode("latin-1")) for n, v in headers],
        "client": request.scope.get("client"),
        "server": request.scope.get("server"),
        "state": {},
        BATCH_PART_KEY: True,
    }
    sent_body = False

    async def receive() -> AsgiMessage:
        nonlocal sent_body
        if sent_body:
            return {"type": "http.disconnect"}
        sent_body = True
        return {"type": "http.request", "body": part.body, "more_body": False}

    status = 500
    answer_headers: list[tuple[str, str]] = []
    payload: list[bytes] = []
    started = False

    async def send(message: AsgiMessage) -> None:
        nonlocal status, answer_headers, started
        if message["type"] == "http.response.start":
            started = True
            status = int(message["status"])
            answer_headers = [
                (bytes(n).decode("latin-1").lower(), bytes(v).decode("latin-1"))
                for n, v in message.get("headers", [])
            ]
        elif message["type"] == "http.response.body":
            payload.append(bytes(message.get("body", b"")))

    try:
        await request.app(scope, receive, send)
    except Exception:
        if not started:
            failure = ApiError(500, "backendError")
            return 500, [("content-type", "application/json")], bytes(failure.response().body)
    return status, answer_headers, b"".join(payload)


def _answer_part(
    boundary: str, content_id: str, status: int, headers: list[tuple[str, str]], payload: bytes
) -> bytes:
    asked = content_id.strip().removeprefix("<").removesuffix(">")
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = [
        f"--{boundary}",
        "Content-Type: application/http",
        f"Content-ID: <response-{asked}>",
        "",
        f"HTTP/1.1 {status} {phrase}",
    ]
    lines += [f"{_title(n)}: {v}" for n, v in headers if n in _PART_HEADERS]
    lines += [f"Content-Length: {len(payload)}", "", ""]
    return "\r\n".join(lines).encode("latin-1") + payload + b"\r\n"


def _title(name: str) -> str:
    return "-".join(word.capitalize() for word in name.split("-")).replace("Etag", "ETag")
