"""The local cloud's front door: control routes, then the services' request fixes, then moto.

Every error the front door answers is AWS-shaped (`awserrors`): requests AWS refuses outright are
refused in its words (`frontdoor`), an operation moto does not know is an unknown operation, an
HTML error page from moto's Flask apps becomes the protocol's error, and a failure of our own or
of moto is the protocol's InternalError, with its traceback in the local cloud's log.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.model import OperationNotFoundError

from ..client import CONTROL_PREFIX
from . import awserrors, frontdoor
from .awserrors import AwsError
from .patching import Patches
from .wsgi import StartResponse, WsgiApp, respond_json

__all__ = ["ControlHandlers", "Gateway", "RequestFix", "RoutedMoto", "xml_errors"]

# A request fix: (environ, start_response, moto) -> response; it decides whether to call moto.
RequestFix = Callable[[dict[str, Any], StartResponse, WsgiApp], Iterable[bytes]]
# A control route a service adds: environ -> (status, JSON document).
ControlRoute = Callable[[dict[str, Any]], tuple[int, Any]]
log = logging.getLogger("mysfits.local.gateway")


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


@dataclass
class _Captured:
    """A response held back until it is known not to be an error page that needs rewriting."""

    status: str = "500 INTERNAL SERVER ERROR"
    headers: list[tuple[str, str]] = field(default_factory=list)
    written: list[bytes] = field(default_factory=list)

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        self.status, self.headers = status, list(headers)
        return self.written.append

    @property
    def code(self) -> int:
        return int(self.status.split(" ", 1)[0])

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name), "")

    def is_html_error(self, body: bytes) -> bool:
        """An error Flask or werkzeug rendered as an HTML page (moto's own are XML or JSON)."""
        looks_html = not body.strip() or body.lstrip()[:15].lower().startswith(
            (b"<!doctype", b"<html")
        )
        return (
            self.code >= 400 and self.header("content-type").startswith("text/html") and looks_html
        )


def list_moto_modules_once(patches: Patches) -> None:
    """moto matches each request's Host header against its module names by listing its package
    directory (a stat per entry, about 180) on every request, twice: a third of moto's own time
    for a small call. The listing cannot change while the cloud runs, so it is read once."""
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    patches.apply("moto.modules-listed-once", backends, "list_of_moto_modules", lambda: modules)


class Unroutable(Exception):
    """moto could not tell which service or operation a request is for."""


class RoutedMoto:
    """moto's dispatcher, telling a request it cannot route (a client's mistake) from a failure."""

    def __init__(self, dispatcher: Any):
        self._dispatcher = dispatcher

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            app = self._dispatcher.get_application(environ)
        except Exception as error:  # moto 5.2.5: AttributeError, KeyError, ValueError, ...
            raise Unroutable(f"{type(error).__name__}: {error}") from error
        return app(environ, start_response)


def xml_errors(handler: type[Any]) -> type[Any]:
    """`handler` answering what is not even HTTP in S3's XML, not http.server's HTML page."""

    class XmlErrorHandler(handler):
        error_content_type = "application/xml"
        # http.server escapes both values for HTML, which is valid XML text too.
        error_message_format = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidRequest</Code>'
            "<Message>%(message)s: %(explain)s</Message></Error>"
        )

    return XmlErrorHandler


class Gateway:
    """WSGI app: `/_mysfits/*` control routes, registered request fixes, then moto."""

    def __init__(self, moto: WsgiApp, control: ControlHandlers, ready: threading.Event):
        self._moto = moto
        self._control_handlers = control
        self._ready = ready
        self._interceptors: list[_Interceptor] = []
        self._routes: dict[tuple[str, str], ControlRoute] = {}

    def intercept(
        self,
        name: str,
        matches: Callable[[dict[str, Any]], bool],
        fix: RequestFix,
        first: bool = False,
    ) -> None:
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
            return self._control(path[len(CONTROL_PREFIX) :], environ, start_response)
        self._ready.wait()  # the fidelity fixes must be in place before moto answers anything
        awserrors.protocol_of(environ)  # settled now, while the body can still tell
        refusal = frontdoor.refusal(environ)
        if refusal is not None:
            return awserrors.respond_error(environ, start_response, refusal)
        return self._guarded(environ, start_response)

    def _guarded(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Dispatch, holding the answer back: errors leave as the called API's, never as HTML."""
        captured = _Captured()
        try:
            chunks = self._dispatch(environ, captured.start_response)
            body = b"".join([*captured.written, *chunks])
        except OperationNotFoundError as error:
            return awserrors.respond_error(
                environ, start_response, awserrors.unknown_operation(environ, str(error))
            )
        except NotImplementedError as error:  # moto: "The X action has not been implemented"
            return awserrors.respond_error(
                environ, start_response, awserrors.not_implemented(environ, str(error))
            )
        except Unroutable as error:
            log.info(
                "unroutable request %s %s: %s",
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"),
                error,
            )
            return awserrors.respond_error(environ, start_response, awserrors.unroutable(environ))
        except Exception:
            log.exception(
                "internal error on %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
            )
            return awserrors.respond_error(
                environ, start_response, awserrors.internal_error(environ)
            )
        if captured.is_html_error(body):
            return awserrors.respond_error(
                environ, start_response, _from_page(environ, captured.code)
            )
        start_response(captured.status, captured.headers)
        return [body]

    def _dispatch(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        for interceptor in self._interceptors:
            if interceptor.matches(environ):
                return interceptor.fix(environ, start_response, self._moto)
        return self._moto(environ, start_response)

    def _control(
        self, route: str, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
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


def _from_page(environ: dict[str, Any], status: int) -> AwsError:
    """The AWS error for an HTML error page moto's web framework answered with."""
    if status >= 500:
        log.error("moto answered %s with an HTML %d page", environ.get("PATH_INFO"), status)
        return awserrors.internal_error(environ)
    if status == 405:
        return AwsError(
            405, "MethodNotAllowed", "The specified method is not allowed against this resource."
        )
    if status == 404 and awserrors.protocol_of(environ) != "s3":
        return awserrors.unknown_operation(
            environ, f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
        )
    from http import HTTPStatus

    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Bad Request"
    return AwsError(status, phrase.replace(" ", ""), phrase)
