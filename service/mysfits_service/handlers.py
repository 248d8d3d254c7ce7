"""Exception handlers: every error leaves the service as ``{"error": {code, message}}``."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from .encoding import encode, json_response
from .errors import BackendUnavailable, ServiceError, Unauthorized

log = logging.getLogger(__name__)

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    500: "internal_error",
    501: "not_implemented",
    503: "service_unavailable",
}


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON error response."""
    return json_response(encode({"error": {"code": code, "message": message}}), status, headers)


async def _service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    headers = None
    if isinstance(exc, BackendUnavailable):
        headers = {"Retry-After": "1"}
    elif isinstance(exc, Unauthorized):
        # RFC 9110: a 401 names the scheme it wants.
        headers = {"WWW-Authenticate": 'Bearer realm="mysfits"'}
    return error_response(exc.status, exc.code, exc.message, headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        location = error.get("loc", ())
        name = location[-1] if location else "request"
        problems.append(f"{name}: {error.get('msg', 'invalid value')}")
    return error_response(400, "bad_request", "Invalid request. " + "; ".join(problems))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODES_BY_STATUS.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "Request failed."
    return error_response(exc.status_code, code, message, exc.headers)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "The request could not be completed.")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
