"""googleapiclient's BatchHttpRequest with its multipart body written and read as plain text.

The library builds each batch through the `email` package: a MIME message per call, flattened by
`email.generator` (header folding, policy lookups), and the answer read back by `FeedParser`, once
for the whole body and once more for each part's headers. Pushing 1,000 sessions spent about 45%
of our side's time there. `WireBatch` keeps everything else of the library (the requests built
by discovery, credentials applied to every part, the 401 refresh and replay, callbacks, postproc,
HttpError) and writes the same parts (request line, headers, body, Content-ID) without it. An
answer in a shape the plain reader does not expect (folded headers, no boundary) is read by the
library's own parser, as before.
"""

from __future__ import annotations

import re
import secrets
import urllib.parse
from email.parser import FeedParser
from typing import Any, cast

import httplib2
from googleapiclient import _auth
from googleapiclient.errors import BatchError, HttpError
from googleapiclient.http import BatchHttpRequest

_BOUNDARY = re.compile(r'boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))', re.IGNORECASE)


class _Unexpected(ValueError):
    """The answer is not in the plain shape: the library's parser reads it instead."""


class WireBatch(BatchHttpRequest):  # type: ignore[misc]  # googleapiclient has no stubs
    """A BatchHttpRequest whose wire format is written and read directly (see the module)."""

    def _serialize_request(self, request: Any) -> str:
        """The call in application/http form, as the library's generator writes it."""
        parsed = urllib.parse.urlparse(request.uri)
        target = urllib.parse.urlunparse(("", "", parsed.path, parsed.params, parsed.query, ""))
        headers = request.headers.copy()
        if request.http is not None:
            credentials = _auth.get_credentials_from_http(request.http)
            if credentials is not None:
                _auth.apply_credentials(credentials, headers)
        content_type = headers.pop("content-type", "application/json")
        lines = [
            f"{request.method} {target} HTTP/1.1",
            f"Content-Type: {content_type}",
            "MIME-Version: 1.0",
            *(f"{name}: {value}" for name, value in headers.items()),
            f"Host: {parsed.netloc}",
        ]
        if request.body is not None:
            lines.append(f"content-length: {len(request.body)}")
        return "\n".join(lines) + "\n\n" + (request.body or "")

    def _execute(self, http: Any, order: list[str], requests: dict[str, Any]) -> None:
        """One POST of every call in `order`; the answers go to `self._responses`."""
        parts = [
            "Content-Type: application/http\nMIME-Version: 1.0\n"
            "Content-Transfer-Encoding: binary\n"
            f"Content-ID: {self._id_to_header(request_id)}\n\n"
            + self._serialize_request(requests[request_id])
            for request_id in order
        ]
        boundary = "=" * 15 + secrets.token_hex(12) + "=="
        while any(boundary in part for part in parts):
            boundary = "=" * 15 + secrets.token_hex(12) + "=="
        body = "".join(f"--{boundary}\n{part}\n" for part in parts) + f"--{boundary}--\n"
        headers = {"content-type": f'multipart/mixed; boundary="{boundary}"'}
        resp, content = http.request(self._batch_uri, method="POST", body=body, headers=headers)
        if resp.status >= 300:
            raise HttpError(resp, content, uri=self._batch_uri)
        text = content.decode("utf-8")
        try:
            answers = _read_parts(resp["content-type"], text)
        except _Unexpected:
            answers = _read_parts_by_email(resp, text)
        for content_id, payload in answers:
            request_id = self._header_to_id(content_id)
            response, answer = self._deserialize_response(payload)
            self._responses[request_id] = (response, answer.encode("utf-8"))

    def _deserialize_response(self, payload: str) -> tuple[httplib2.Response, str]:
        """One part's answer as (response, content), as the library's reader gives it."""
        status_line, rest = payload.split("\n", 1)
        head, separator, content = rest.partition("\r\n\r\n")
        lines = head.split("\r\n")
        if not separator or any(line[:1] in (" ", "\t") or ":" not in line for line in lines):
            return super()._deserialize_response(payload)  # type: ignore[no-any-return]
        protocol, status, reason = status_line.split(" ", 2)
        fields: dict[str, str] = {}
        for line in lines:
            name, _, value = line.partition(":")
            fields[name.lower()] = value.lstrip(" \t")
        fields["status"] = status
        resp = httplib2.Response(fields)
        resp.reason = reason
        resp.version = int(protocol.split("/", 1)[1].replace(".", ""))
        return resp, content


def _read_parts(content_type: str, text: str) -> list[tuple[str, str]]:
    """(Content-ID, payload) of each part of a multipart answer in the plain shape."""
    found = _BOUNDARY.search(content_type)
    if not content_type.lower().startswith("multipart/") or found is None:
        raise _Unexpected(content_type)
    sections = text.split("--" + (found.group(1) or found.group(2)))
    if len(sections) < 2 or not sections[-1].startswith("--"):
        raise _Unexpected("no closing delimiter")
    parts: list[tuple[str, str]] = []
    for section in sections[1:-1]:
        section = section.removeprefix("\r\n").removeprefix("\n")
        section = section.removesuffix("\n").removesuffix("\r")
        for separator in ("\r\n\r\n", "\n\n"):
            head, found_it, payload = section.partition(separator)
            if found_it:
                break
        else:
            raise _Unexpected("a part without a blank line")
        content_id = None
        for line in re.split(r"\r?\n", head):
            if line[:1] in (" ", "\t"):
                raise _Unexpected("a folded part header")
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-id":
                content_id = value.strip()
        if content_id is None:
            raise _Unexpected("a part without a Content-ID")
        parts.append((content_id, payload))
    return parts


def _read_parts_by_email(resp: Any, text: str) -> list[tuple[str, str]]:
    """The library's own reading of the answer (googleapiclient's BatchHttpRequest._execute)."""
    parser = FeedParser()
    parser.feed(f"content-type: {resp['content-type']}\r\n\r\n" + text)
    message = parser.close()
    if not message.is_multipart():
        raise BatchError("Response not in multipart/mixed format.", resp=resp, content=text)
    parts = cast(list[Any], message.get_payload())
    return [(str(part["Content-ID"]), str(part.get_payload())) for part in parts]
