"""Gateway responses: what API Gateway answers itself (not found, unauthorized, throttled, ...).

AWS: each response type has a default status; an API may configure a type, or DEFAULT_4XX /
DEFAULT_5XX for every unconfigured type of that class (their statusCode, when set, replaces the
class's statuses). `responseParameters` add headers (`gatewayresponse.header.Name`: a quoted
static value or `method.request.header.X`); `responseTemplates` are plain substitutions of
`$context.error.messageString` (the message as a JSON string), `$context.error.message`,
`$context.error.responseType` and `$context.requestId`. The default body is
`{"message":$context.error.messageString}`, compact. The `x-amzn-ErrorType` header names the
error (observed on AWS).
"""

from __future__ import annotations

import json
from typing import Any

DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'


class GatewayError(Exception):
    """A response the gateway makes itself, of one of AWS's response types."""

    def __init__(self, response_type: str, message: str | None = None):
        super().__init__(response_type, message)
        self.response_type = response_type
        self.message = message

    @property
    def status(self) -> int:
        return TYPES[self.response_type][0]

    @property
    def text(self) -> str:
        return self.message if self.message is not None else TYPES[self.response_type][1]


# response type -> (default status, default message, x-amzn-ErrorType)
TYPES: dict[str, tuple[int, str, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (
        403,
        "Missing Authentication Token",
        "MissingAuthenticationTokenException",
    ),
    "UNAUTHORIZED": (401, "Unauthorized", "UnauthorizedException"),
    "ACCESS_DENIED": (
        403,
        "User is not authorized to access this resource",
        "AccessDeniedException",
    ),
    "THROTTLED": (429, "Too Many Requests", "TooManyRequestsException"),
    "BAD_REQUEST_BODY": (400, "Invalid request body", "BadRequestException"),
    "BAD_REQUEST_PARAMETERS": (400, "Missing required request parameters", "BadRequestException"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "Unsupported Media Type", "UnsupportedMediaTypeException"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long", "RequestTooLargeException"),
    "INTEGRATION_FAILURE": (500, "Internal server error", "InternalServerErrorException"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out", "InternalServerErrorException"),
    "API_CONFIGURATION_ERROR": (500, "Internal server error", "InternalServerErrorException"),
    "AUTHORIZER_CONFIGURATION_ERROR": (
        500,
        "Internal server error",
        "AuthorizerConfigurationException",
    ),
}


def _configured(kind: str, status: int, configured: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The configuration that applies: the type's own, else its class's default, else none."""
    own = configured.get(kind)
    if own is not None:
        return own
    return configured.get("DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX") or {}


def _headers(parameters: dict[str, str], request_headers: dict[str, str]) -> list[tuple[str, str]]:
    found = []
    for target, source in (parameters or {}).items():
        if not target.startswith("gatewayresponse.header."):
            continue
        name = target[len("gatewayresponse.header.") :]
        if len(source) >= 2 and source[0] == source[-1] == "'":
            found.append((name, source[1:-1]))
        elif source.startswith("method.request.header."):
            value = request_headers.get(source[len("method.request.header.") :].lower())
            if value is not None:
                found.append((name, value))
    return found


def _body(template: str, error: GatewayError, request_id: str) -> bytes:
    return (
        template.replace("$context.error.messageString", json.dumps(error.text))
        .replace("$context.error.message", error.text)
        .replace("$context.error.responseType", error.response_type)
        .replace("$context.requestId", request_id)
        .encode()
    )


def render(
    error: GatewayError,
    configured: dict[str, dict[str, Any]],
    request_headers: dict[str, str],
    request_id: str,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of the gateway response for `error` in an API's configuration."""
    default_status, _, error_type = TYPES[error.response_type]
    chosen = _configured(error.response_type, default_status, configured)
    status = int(chosen.get("statusCode") or default_status)
    templates = chosen.get("responseTemplates") or {}
    template = templates.get("application/json") or DEFAULT_TEMPLATE
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type)]
    headers += _headers(chosen.get("responseParameters") or {}, request_headers)
    return status, headers, _body(template, error, request_id)
