"""The data-plane endpoints the local cloud serves, each on its own loopback port."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.serving import LISTEN_QUEUE, BaseWSGIServer, WSGIRequestHandler, make_server

from ..client import LOOPBACK_HOST
from .wsgi import WsgiApp

LOOPBACK = LOOPBACK_HOST


class _QuietHandler(WSGIRequestHandler):
    """Data-plane servers keep the local cloud's log for what matters, not every GET."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


@dataclass
class Endpoint:
    """One served endpoint and how to stop it."""

    kind: str
    name: str
    aws_url: str
    local_url: str
    stop: Callable[[], None]

    def as_json(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "name": self.name,
            "aws_url": self.aws_url,
            "local_url": self.local_url,
        }


def listen_loopback(port: int) -> socket.socket:
    """A socket listening on loopback `port` (0: a free one); OSError when the port is taken.

    SO_REUSEADDR, so connections of a crashed predecessor in TIME_WAIT do not block a restart
    (a live listener still does).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, port))
        sock.listen(LISTEN_QUEUE)
    except OSError:
        sock.close()
        raise
    return sock


def loopback_server(
    app: WsgiApp, sock: socket.socket, handler: type[WSGIRequestHandler] = WSGIRequestHandler
) -> BaseWSGIServer:
    """A threaded werkzeug server for `app` on `sock` (from `listen_loopback`), which it takes over.

    The socket is bound beforehand because werkzeug, binding itself, prints and exits the process
    when the port is taken.
    """
    try:
        port = sock.getsockname()[1]
        return make_server(
            LOOPBACK, port, app, threaded=True, request_handler=handler, fd=sock.fileno()
        )
    finally:
        sock.close()  # the server holds its own duplicate


def serve_wsgi(app: WsgiApp, port: int = 0) -> tuple[str, Callable[[], None]]:
    """Serve `app` on a loopback port in a thread; return its URL and a stop function."""
    server = loopback_server(app, listen_loopback(port), _QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name=f"wsgi-{server.port}", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://{LOOPBACK}:{server.port}", stop


class EndpointRegistry:
    """Thread-safe map of (kind, name) to the endpoint serving it."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._endpoints: dict[tuple[str, str], Endpoint] = {}

    def get(self, kind: str, name: str) -> Endpoint | None:
        with self._lock:
            return self._endpoints.get((kind, name))

    def add(self, endpoint: Endpoint) -> Endpoint:
        with self._lock:
            self._endpoints[(endpoint.kind, endpoint.name)] = endpoint
            return endpoint

    def close(self, kind: str, name: str) -> None:
        with self._lock:
            endpoint = self._endpoints.pop((kind, name), None)
        if endpoint is not None:
            endpoint.stop()

    def names(self, kind: str) -> set[str]:
        with self._lock:
            return {name for k, name in self._endpoints if k == kind}

    def listing(self) -> list[dict[str, str]]:
        with self._lock:
            return [e.as_json() for _, e in sorted(self._endpoints.items())]

    def close_all(self) -> None:
        with self._lock:
            keys = list(self._endpoints)
        for kind, name in keys:
            self.close(kind, name)
