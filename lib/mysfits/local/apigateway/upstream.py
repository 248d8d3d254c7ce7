"""HTTP/1.1 requests to integration backends over pooled keep-alive connections.

API Gateway keeps connections to its backends open between requests; so does this pool (per
host and port, in the stage servers' event loop), which is what lets a stage keep up with the
NLB it fronts. Responses are read whole (chunked bodies decoded by httptools), as API Gateway
buffers them before answering. A pooled connection the backend closed while idle is retried once
on a fresh one, before any byte of the answer arrived.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httptools

MAX_IDLE_PER_ADDRESS = 64


class UpstreamError(Exception):
    """The backend could not be reached, or hung up before answering."""


@dataclass
class UpstreamResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    keep_alive: bool = True


@dataclass
class _Exchange:
    future: asyncio.Future[UpstreamResponse]
    head: bool
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: list[bytes] = field(default_factory=list)
    started: bool = False


class _Connection(asyncio.Protocol):
    """One connection to a backend, carrying one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._parser = httptools.HttpResponseParser(self)
        self._exchange: _Exchange | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        exchange, self._exchange = self._exchange, None
        if exchange is not None and not exchange.future.done():
            error = UpstreamError("the backend closed the connection before answering")
            error.started = exchange.started  # type: ignore[attr-defined]
            exchange.future.set_exception(error)

    def data_received(self, data: bytes) -> None:
        if self._exchange is not None:
            self._exchange.started = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._finish_with(UpstreamError(f"the backend's answer is not HTTP: {error}"))

    def _finish_with(self, error: Exception) -> None:
        exchange, self._exchange = self._exchange, None
        if exchange is not None and not exchange.future.done():
            exchange.future.set_exception(error)
        self.close()

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._exchange is not None:
            self._exchange.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        if self._exchange is not None and self._exchange.head:
            self._complete(keep_alive=False)  # no body follows; the parser cannot be told

    def on_body(self, body: bytes) -> None:
        if self._exchange is not None:
            self._exchange.body.append(body)

    def on_message_complete(self) -> None:
        self._complete(self._parser.should_keep_alive())

    def _complete(self, keep_alive: bool) -> None:
        exchange, self._exchange = self._exchange, None
        if exchange is None or exchange.future.done():
            return
        status = self._parser.get_status_code()
        response = UpstreamResponse(status, exchange.headers, b"".join(exchange.body), keep_alive)
        exchange.future.set_result(response)

    def send(self, data: bytes, head: bool) -> asyncio.Future[UpstreamResponse]:
        loop = asyncio.get_running_loop()
        self._exchange = _Exchange(loop.create_future(), head)
        assert self.transport is not None
        self.transport.write(data)
        return self._exchange.future

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def encode_request(method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    """The request's bytes: the given headers, then Content-Length (when there is a body)."""
    lines = [f"{method} {target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
        lines.append(f"Content-Length: {len(body)}")
    return "\r\n".join(lines).encode("latin-1", "replace") + b"\r\n\r\n" + body


class UpstreamPool:
    """Keep-alive connections per (host, port); use only from the loop it serves."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, int], list[_Connection]] = {}

    async def _connection(self, address: tuple[str, int]) -> tuple[_Connection, bool]:
        idle = self._idle.get(address) or []
        while idle:
            connection = idle.pop()
            if not connection.closed:
                return connection, True
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(_Connection, *address)
        except OSError as error:
            raise UpstreamError(f"cannot connect to {address[0]}:{address[1]}: {error}") from None
        return connection, False

    async def request(
        self, address: tuple[str, int], data: bytes, head: bool, timeout: float
    ) -> UpstreamResponse:
        """Send `data` (a whole request) and read the whole answer within `timeout` seconds."""
        for _ in range(2):
            connection, reused = await self._connection(address)
            try:
                response = await asyncio.wait_for(connection.send(data, head), timeout)
            except UpstreamError as error:
                connection.close()
                if reused and not getattr(error, "started", True):
                    continue  # the backend closed it while idle: once more on a fresh one
                raise
            except TimeoutError:
                connection.close()
                raise
            self._release(address, connection, response.keep_alive)
            return response
        raise UpstreamError(f"{address[0]}:{address[1]} keeps closing connections")

    def _release(self, address: tuple[str, int], connection: _Connection, keep: bool) -> None:
        idle = self._idle.setdefault(address, [])
        if keep and not connection.closed and len(idle) < MAX_IDLE_PER_ADDRESS:
            idle.append(connection)
        else:
            connection.close()

    def close(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
