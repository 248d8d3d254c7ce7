"""Refuse request bodies over a small limit with 413: no route of the API takes a body."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .handlers import error_response

# Like and adopt carry no body; a little room is left for clients that send an empty JSON object.
MAX_BODY_BYTES = 1024


class BodyLimitMiddleware:
    """Answers 413 before the app runs when the body is (or turns out to be) over the limit."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(scope, receive, send)
            return
        if declared is None and _chunked(scope):
            # A chunked body declares no length: read it (up to the limit) before the app runs.
            buffered: list[Message] = []
            size = 0
            while True:
                message = await receive()
                buffered.append(message)
                size += len(message.get("body", b""))
                if size > self.limit:
                    await self._refuse(scope, receive, send)
                    return
                if message["type"] != "http.request" or not message.get("more_body"):
                    break
            receive = _replay(buffered, receive)
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = (
            f"Request bodies are limited to {self.limit} bytes; no route of this API takes a body."
        )
        # The unread rest of the body cannot be skipped reliably: close the connection after this.
        response = error_response(413, "payload_too_large", message, {"Connection": "close"})
        await response(scope, receive, send)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value)
    return None


def _content_length(scope: Scope) -> int | None:
    raw = _header(scope, b"content-length")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None  # the HTTP server has already refused a malformed length


def _chunked(scope: Scope) -> bool:
    return b"chunked" in (_header(scope, b"transfer-encoding") or b"").lower()


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that hands out `messages` first, then defers to the real one."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
