"""The local cloud's front door: control routes, fidelity fixes, then moto."""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Iterable

from .endpoints import EndpointRegistry
from .fidelity.s3_api import S3ApiFixes
from .client import CONTROL_PREFIX
from .wsgi import StartResponse, WsgiApp, respond_json


def signing_service(environ: dict[str, Any]) -> str | None:
    """The service named in a SigV4 Authorization header's credential scope."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0]
        return scope.split("/")[3]
    except IndexError:
        return None


def is_s3_request(environ: dict[str, Any]) -> bool:
    """Signed for S3, or an unsigned path-style request (how anonymous visitors reach S3)."""
    service = signing_service(environ)
    if service is not None:
        return service == "s3"
    path = environ.get("PATH_INFO", "/")
    return not environ.get("HTTP_X_AMZ_TARGET") and path not in {"", "/"} and not path.startswith("/moto-api")


class Gateway:
    """WSGI app: `/_mysfits/*` control routes, S3 fixes, everything else straight to moto."""

    def __init__(self, moto: WsgiApp, registry: EndpointRegistry, health: Callable[[], dict[str, Any]],
                 refresh: Callable[[], None], reset: Callable[[], None], ready: threading.Event):
        self._moto = moto
        self._registry = registry
        self._health = health
        self._refresh = refresh
        self._reset = reset
        self._ready = ready
        self._s3 = S3ApiFixes(on_website_change=refresh)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path.startswith(CONTROL_PREFIX + "/"):
            return self._control(path[len(CONTROL_PREFIX):], environ, start_response)
        self._ready.wait()  # the fidelity fixes must be in place before moto answers anything
        if is_s3_request(environ):
            return self._s3(environ, start_response, self._moto)
        return self._moto(environ, start_response)

    def _control(self, route: str, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if route == "/health" and method == "GET":
            return respond_json(start_response, 200, self._health())
        if route == "/endpoints" and method == "GET":
            self._refresh()
            return respond_json(start_response, 200, self._registry.listing())
        if route == "/reset" and method == "POST":
            self._reset()
            return respond_json(start_response, 200, {"reset": True, "pid": os.getpid()})
        return respond_json(start_response, 404, {"error": f"no control route {method} {route}"})
