"""The X-Mysfits-Release header: which release of the service answered a request."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-mysfits-release"


class ReleaseHeaderMiddleware:
    """Adds the header to every HTTP response, errors included (plain ASGI, to stay cheap)."""

    def __init__(self, app: ASGIApp, release: str) -> None:
        self.app = app
        self.value = release.encode("latin-1", errors="replace")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, self.value)]
            await send(message)

        await self.app(scope, receive, send_with_header)
