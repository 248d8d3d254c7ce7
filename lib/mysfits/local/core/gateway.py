"""The local cloud's front door: control routes, then the request fixes services register, then moto."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ..client import CONTROL_PREFIX
from .wsgi import StartResponse, WsgiApp, respond_json

# A request fix: (environ, start_response, moto) -> response; it decides whether to call moto.
RequestFix = Callable[[dict[str, Any], StartResponse, WsgiApp], Iterable[bytes]]
# A control route a service adds: environ -> (status, JSON document).
ControlRoute = Callable[[dict[str, Any]], tuple[int, Any]]


def signing_service(environ: dict[str, Any]) -> str | None:
    """The service named in a SigV4 Authorization header's credential scope."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0]
        return scope.split("/")[3]
    except IndexError:
        return None


@dataclass(frozen=True)
class ControlHandlers:
    """What the control routes under `/_mysfits/` do; the local cloud supplies them."""

    health: Callable[[], dict[str, Any]]
    endpoints: Callable[[], list[dict[str, str]]]
    reset: Callable[[], None]


@dataclass(frozen=True)
class _Interceptor:
    name: str
    matches: Callable[[dict[str, Any]], bool]
    fix: RequestFix


class Gateway:
    """WSGI app: `/_mysfits/*` control routes, registered request fixes, everything else straight to moto."""

    def __init__(self, moto: WsgiApp, control: ControlHandlers, ready: threading.Event):
        self._moto = moto
        self._control_handlers = control
        self._ready = ready
        self._interceptors: list[_Interceptor] = []
        self._routes: dict[tuple[str, str], ControlRoute] = {}

    def intercept(self, name: str, matches: Callable[[dict[str, Any]], bool], fix: RequestFix,
                  first: bool = False) -> None:
        """Send requests that `matches` to `fix` (first match wins) instead of straight to moto.

        `first` puts the fix ahead of those registered before it: for requests an earlier, broader
        matcher would take (S3 takes every unsigned path-style request).
        """
        interceptor = _Interceptor(name, matches, fix)
        if first:
            self._interceptors.insert(0, interceptor)
        else:
            self._interceptors.append(interceptor)

    def control_route(self, method: str, route: str, handler: ControlRoute) -> None:
        """Answer `method` `/_mysfits{route}` with `handler` (a service's own control route)."""
        self._routes[(method, route)] = handler

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path.startswith(CONTROL_PREFIX + "/"):
            return self._control(path[len(CONTROL_PREFIX):], environ, start_response)
        self._ready.wait()  # the fidelity fixes must be in place before moto answers anything
        for interceptor in self._interceptors:
            if interceptor.matches(environ):
                return interceptor.fix(environ, start_response, self._moto)
        return self._moto(environ, start_response)

    def _control(self, route: str, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if route == "/health" and method == "GET":
            return respond_json(start_response, 200, self._control_handlers.health())
        if route == "/endpoints" and method == "GET":
            return respond_json(start_response, 200, self._control_handlers.endpoints())
        if route == "/reset" and method == "POST":
            self._control_handlers.reset()
            return respond_json(start_response, 200, {"reset": True, "pid": os.getpid()})
        handler = self._routes.get((method, route))
        if handler is not None:
            self._ready.wait()  # the service that registered it is loaded
            status, document = handler(environ)
            return respond_json(start_response, status, document)
        return respond_json(start_response, 404, {"error": f"no control route {method} {route}"})
