"""Small WSGI helpers shared by the local cloud's gateway and data-plane servers."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def respond(
    start_response: StartResponse,
    status: int,
    body: bytes = b"",
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    head: bool = False,
) -> list[bytes]:
    """Send a complete response (no body for HEAD, but the length of the GET body)."""
    from http import HTTPStatus

    all_headers = {
        "Content-Type": content_type,
        "Content-Length": str(len(body)),
        **(headers or {}),
    }
    start_response(f"{status} {HTTPStatus(status).phrase}", list(all_headers.items()))
    return [] if head else [body]


def respond_json(start_response: StartResponse, status: int, document: Any) -> list[bytes]:
    """Send `document` as JSON."""
    return respond(start_response, status, json.dumps(document).encode())


def request_path(environ: dict[str, Any]) -> str:
    """The request's path as text. WSGI hands it over percent-decoded but as latin-1 (PEP 3333);
    URLs carry UTF-8, so `/%C3%A9.html` is `/é.html`."""
    raw = environ.get("PATH_INFO", "/")
    try:
        return str(raw.encode("latin-1").decode("utf-8"))
    except (UnicodeEncodeError, UnicodeDecodeError):
        return str(raw)  # not UTF-8: no S3 key can match it, and it is shown as it came


def read_body(environ: dict[str, Any]) -> bytes:
    """Read the request body and put it back, so the next app can read it again."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def call_and_capture(
    app: WsgiApp, environ: dict[str, Any], start_response: StartResponse
) -> tuple[int, list[bytes]]:
    """Call `app`, pass its response on, and return its status code and body chunks."""
    seen: dict[str, int] = {}

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen["status"] = int(status.split(" ", 1)[0])
        return (
            start_response(status, headers, exc_info)
            if exc_info
            else start_response(status, headers)
        )

    chunks = list(app(environ, capture))
    return seen.get("status", 500), chunks
