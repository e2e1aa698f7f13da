"""Request bodies: size limit (413), slow senders (408), declared type (415) and UTF-8 text (400).

A pure ASGI middleware that reads the whole body before any route runs, so that a route never sees a body
over the limit, a text that is not UTF-8, or a client that stalls half-way (slowloris): nothing is
written for such a request. Bodies are small (alerts, one member) except a CSV import, which gets its
own larger limit.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.api.context import ErrorCounter

JSON = "application/json"
CAP = ("application/cap+xml", "application/xml", "text/xml")
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The web console's pages post HTML forms (gateway.console).
CONSOLE_PREFIX = "/console/"
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
# Which media types each (method, path) takes; every other request with a body takes JSON.
ACCEPTED: dict[tuple[str, str], tuple[str, ...]] = {
    ("POST", "/alerts"): (JSON, *CAP),
    ("POST", "/members/import"): (CSV, "text/plain", XLSX, "application/octet-stream"),
}
# Bodies read as files, which check their own encoding (a spreadsheet: UTF-8 or Windows-1252 CSV, or .xlsx).
BINARY = frozenset({("POST", "/members/import")})
IMPORT_MAX_BYTES = 32 * 1024 * 1024
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class BodyLimits:
    """``max_bytes`` for every body, ``larger`` per path (the CSV import); ``chunk_timeout``: the most
    seconds between two pieces of a body before the request is dropped with 408."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        counter: ErrorCounter,
        chunk_timeout: float = 10.0,
        larger: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.counter = counter
        self.chunk_timeout = chunk_timeout
        self.larger = dict(larger or {"/members/import": max(IMPORT_MAX_BYTES, max_bytes)})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: PLR0911 - one exit per refusal
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path = scope["path"]
        limit = self.larger.get(path, self.max_bytes)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(send, 413, "body_too_large", _too_large(limit), None)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), self.chunk_timeout)
            except TimeoutError:
                await self._refuse(
                    send,
                    408,
                    "request_timeout",
                    f"requête reçue trop lentement (rien pendant {self.chunk_timeout:g} s)",
                    None,
                )
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(send, 413, "body_too_large", _too_large(limit), None)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body:
            media = headers.get("content-type", "").split(";")[0].strip().lower()
            accepted = ACCEPTED.get((scope["method"], path)) or (FORMS if path.startswith(CONSOLE_PREFIX) else (JSON,))
            if media not in accepted:
                await self._refuse(
                    send,
                    415,
                    "unsupported_media_type",
                    f"type de contenu « {media or 'absent'} » non accepté ici ; envoyez {' ou '.join(accepted)}",
                    "Content-Type",
                )
                return
            try:
                if (scope["method"], path) not in BINARY:
                    body.decode("utf-8")
            except UnicodeDecodeError as exc:
                await self._refuse(
                    send,
                    400,
                    "not_utf8",
                    f"le corps n'est pas du texte UTF-8 (octet {exc.start}) ; enregistrez-le en UTF-8",
                    None,
                )
                return
        await self.app(scope, _replay(body, receive), send)

    async def _refuse(self, send: Send, status: int, code: str, message: str, field: str | None) -> None:
        self.counter.add(code)
        payload = json.dumps({"error": {"code": code, "message": message, "field": field}}, ensure_ascii=False).encode(
            "utf-8"
        )
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _too_large(limit: int) -> str:
    return f"corps de requête trop gros (au plus {limit} octets)"


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
