"""A small, fast HTTP/1.1 server for the stage endpoints: asyncio protocols parsed by httptools.

Keep-alive and pipelining (answers in order), a whole-body request handed to an async handler,
a whole-body response with Content-Length. A request httptools cannot parse is answered 400 and
the connection closed. The stage servers of one cloud share one event loop (uvloop when
installed, as the NLB relay does).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus

import httptools

from ..core.endpoints import listen_loopback

log = logging.getLogger("mysfits.local.apigateway")
_SKIPPED = {b"content-length", b"connection", b"transfer-encoding", b"keep-alive"}
_REASONS = {status.value: status.phrase for status in HTTPStatus}
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit (10 MB)


@dataclass
class Request:
    """One request as received (path still percent-encoded)."""

    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    client: str
    keep_alive: bool = True
    too_large: bool = False  # over API Gateway's 10 MB: answered 413 without the body
    header_map: dict[str, str] = field(default_factory=dict)  # lower-case name -> value

    def header(self, name: str) -> str | None:
        return self.header_map.get(name.lower())


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""


Handler = Callable[[Request], Awaitable[Response]]


class _Date:
    """The Date header, formatted once a second."""

    def __init__(self) -> None:
        self._second = 0
        self._value = b""

    def value(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second, self._value = now, email.utils.formatdate(now, usegmt=True).encode()
        return self._value


_DATE = _Date()


def encode(response: Response, keep_alive: bool, head: bool = False) -> bytes:
    """The response's bytes on the wire."""
    reason = _REASONS.get(response.status, "")
    lines = [f"HTTP/1.1 {response.status} {reason}".encode(), b"Date: " + _DATE.value()]
    for name, value in response.headers:
        if name.lower().encode() not in _SKIPPED:
            lines.append(f"{name}: {value}".encode("latin-1", "replace"))
    lines.append(b"Content-Length: %d" % len(response.body))
    lines.append(b"Connection: keep-alive" if keep_alive else b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + (b"" if head else response.body)


class _Connection(asyncio.Protocol):
    """One client connection: parse, queue, answer in order."""

    def __init__(self, handler: Handler, open_connections: set[_Connection]):
        self._handler = handler
        self._open = open_connections
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._client = ""
        self._queue: deque[Request] = deque()
        self._busy = False
        self._url = b""
        self._headers: list[tuple[str, str]] = []
        self._body: list[bytes] = []
        self._size = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._open.add(self)
        peer = transport.get_extra_info("peername")
        self._client = peer[0] if peer else ""

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._open.discard(self)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(400, "Upgrade is not supported")
        except httptools.HttpParserError:
            self._fail(400, "Bad Request")

    def _fail(self, status: int, message: str) -> None:
        if self._transport is not None:
            body = json.dumps({"message": message}).encode()
            response = Response(status, [("Content-Type", "application/json")], body)
            self._transport.write(encode(response, keep_alive=False))
            self._transport.close()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url, self._headers, self._body, self._size = b"", [], [], 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size <= MAX_BODY:
            self._body.append(body)

    def on_message_complete(self) -> None:
        url = httptools.parse_url(self._url)
        header_map: dict[str, str] = {}
        for name, value in self._headers:
            key = name.lower()
            header_map[key] = f"{header_map[key]},{value}" if key in header_map else value
        request = Request(
            method=self._parser.get_method().decode(),
            path=(url.path or b"/").decode("latin-1"),
            query=(url.query or b"").decode("latin-1"),
            headers=self._headers,
            body=b"".join(self._body),
            client=self._client,
            keep_alive=self._parser.should_keep_alive(),
            too_large=self._size > MAX_BODY,
            header_map=header_map,
        )
        self._queue.append(request)
        if not self._busy:
            self._busy = True
            asyncio.ensure_future(self._answer())

    async def _answer(self) -> None:
        try:
            while self._queue and self._transport is not None:
                request = self._queue.popleft()
                try:
                    response = await self._handler(request)
                except Exception:
                    log.exception("stage failed on %s %s", request.method, request.path)
                    body = b'{"message": "Internal server error"}'
                    response = Response(500, [("Content-Type", "application/json")], body)
                if self._transport is None:
                    return
                head = request.method == "HEAD"
                self._transport.write(encode(response, request.keep_alive, head))
                if not request.keep_alive:
                    self._transport.close()
                    return
        finally:
            self._busy = False


class Listening:
    """A serving socket and its open connections."""

    def __init__(self, server: asyncio.Server, connections: set[_Connection]):
        self._server = server
        self._connections = connections
        self.port: int = server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening and close every connection (keep-alive clients included)."""
        self._server.close()
        for connection in list(self._connections):
            connection.close()
        await self._server.wait_closed()


async def serve(handler: Handler, port: int = 0) -> Listening:
    """Listen on a loopback port in the running loop; each connection handled by `handler`."""
    loop = asyncio.get_running_loop()
    connections: set[_Connection] = set()
    server = await loop.create_server(
        lambda: _Connection(handler, connections), sock=listen_loopback(port)
    )
    return Listening(server, connections)
