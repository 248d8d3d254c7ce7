"""HTTP_PROXY and MOCK integrations: what a routed, authorized request is turned into.

HTTP_PROXY (AWS): the method request goes to the integration's `uri` with its `{name}`
placeholders filled from `requestParameters` (`integration.request.path.name` <-
`method.request.path.x`; here a placeholder without a mapping takes the path parameter of the
same name, which AWS's console adds for you), the query string and headers passed through,
`Host` set to the uri's host, the client's address appended to `X-Forwarded-For`; the backend's
answer comes back as it is (its `Server` and `Date` renamed `x-amzn-Remapped-...`). Over a VPC
link (`connectionType: VPC_LINK`) the connection goes to the link's network load balancer, on
the uri's port, through its PrivateLink side; without one, to the uri's host (on the local cloud
that is one of its own endpoints, or loopback: there is no internet here).

MOCK (AWS): the request template for the request's content type (application/json by
default) gives `statusCode`; the integration response whose `selectionPattern` matches that
status (else the default one) sets the method response's status, headers
(`method.response.header.X`: `'static'`) and body (its template).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from .deployments import Integration, IntegrationResponse
from .gatewayresponses import GatewayError
from .httpserver import Request, Response
from .templates import TemplateError, render
from .upstream import UpstreamError, UpstreamPool, encode_request

_HOP_BY_HOP = {"host", "connection", "keep-alive", "transfer-encoding", "content-length", "expect"}
_REMAPPED = {"server", "date"}
_PLACEHOLDER = re.compile(r"\{([^}]+)\}")
Resolver = Callable[[Integration, str, int], tuple[str, int]]  # -> loopback address


@dataclass
class Call:
    """One routed request on its way to the integration."""

    request: Request
    request_id: str
    resource_path: str
    params: dict[str, str]
    stage: str
    claims: dict[str, Any] | None
    request_time_ms: int

    def variables(self) -> dict[str, Any]:
        """What a mapping template sees (`input` is added by the caller that has the body)."""
        return {
            "context": {
                "requestId": self.request_id,
                "requestTimeEpoch": self.request_time_ms,
                "stage": self.stage,
                "resourcePath": self.resource_path,
                "httpMethod": self.request.method,
                "identity": {"sourceIp": self.request.client},
                "authorizer": {"claims": self.claims or {}},
            },
        }


def _mapped(source: str, call: Call) -> str | None:
    if len(source) >= 2 and source[0] == source[-1] == "'":
        return source[1:-1]
    place, _, name = source.removeprefix("method.request.").partition(".")
    if place == "path":
        return call.params.get(name)
    if place == "querystring":
        return _query(call.request.query).get(name)
    if place == "header":
        return call.request.header(name)
    return None


def _query(query: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(query, keep_blank_values=True))


def backend_target(integration: Integration, call: Call) -> tuple[str, int, str, str]:
    """(host, port, Host header, request target) of the backend request."""
    values = {
        key.removeprefix("integration.request.path."): _mapped(source, call)
        for key, source in integration.request_parameters.items()
        if key.startswith("integration.request.path.")
    }

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).rstrip("+")
        value = values.get(name) or call.params.get(name) or call.params.get(name + "+") or ""
        return quote(value, safe="/" if name in call.params and "/" in value else "")

    uri = urlsplit(_PLACEHOLDER.sub(fill, integration.uri))
    port = uri.port or (443 if uri.scheme == "https" else 80)
    query = "&".join(q for q in (uri.query, call.request.query) if q)
    target = (uri.path or "/") + (f"?{query}" if query else "")
    return uri.hostname or "", port, uri.netloc, target


def _forwarded_headers(call: Call, host: str) -> list[tuple[str, str]]:
    headers = [("Host", host)]
    forwarded = call.request.client
    for name, value in call.request.headers:
        lower = name.lower()
        if lower == "x-forwarded-for":
            forwarded = f"{value}, {call.request.client}"
        elif lower not in _HOP_BY_HOP:
            headers.append((name, value))
    headers.append(("X-Forwarded-For", forwarded))
    return headers


def _answer_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    answered = []
    for name, value in headers:
        lower = name.lower()
        if lower in _HOP_BY_HOP:
            continue
        answered.append((f"x-amzn-Remapped-{name}" if lower in _REMAPPED else name, value))
    return answered


async def http_proxy(
    call: Call, integration: Integration, pool: UpstreamPool, resolve: Resolver
) -> Response:
    """Forward the request to the backend and its answer back."""
    host, port, host_header, target = backend_target(integration, call)
    address = resolve(integration, host, port)
    method = (integration.http_method or call.request.method).upper()
    method = call.request.method if method == "ANY" else method
    data = encode_request(method, target, _forwarded_headers(call, host_header), call.request.body)
    try:
        answer = await pool.request(address, data, method == "HEAD", integration.timeout_ms / 1000)
    except TimeoutError:
        raise GatewayError("INTEGRATION_TIMEOUT") from None
    except UpstreamError:
        raise GatewayError("INTEGRATION_FAILURE") from None
    return Response(answer.status, _answer_headers(answer.headers), answer.body)


def select_response(
    responses: tuple[IntegrationResponse, ...], status: str
) -> IntegrationResponse | None:
    """The integration response whose selectionPattern matches `status`, else the default."""
    for response in responses:
        if response.pattern and re.fullmatch(response.pattern, status):
            return response
    return next((r for r in responses if not r.pattern), None)


def method_response_headers(parameters: dict[str, str]) -> list[tuple[str, str]]:
    """Static `method.response.header.X` values of an integration response."""
    found = []
    for target, source in parameters.items():
        if (
            target.startswith("method.response.header.")
            and len(source) >= 2
            and source[0] == source[-1] == "'"
        ):
            found.append((target[len("method.response.header.") :], source[1:-1]))
    return found


def request_template(integration: Integration, request: Request) -> str | None:
    """The request template for the request's content type, or None (then the passthrough
    behaviour decides); raises UNSUPPORTED_MEDIA_TYPE where AWS would."""
    content_type = (request.header("content-type") or "application/json").split(";")[0].strip()
    templates = integration.request_templates
    if content_type in templates:
        return templates[content_type]
    if integration.passthrough == "NEVER" or (
        integration.passthrough == "WHEN_NO_TEMPLATES" and templates
    ):
        raise GatewayError("UNSUPPORTED_MEDIA_TYPE")
    return None


def mock(call: Call, integration: Integration, variables: dict[str, Any]) -> Response:
    """Answer from the integration itself: status from the request template, then the
    integration response chosen for it."""
    template = request_template(integration, call.request)
    status = "200"
    if template:
        try:
            status = str(json.loads(render(template, variables)).get("statusCode", 200))
        except (TemplateError, ValueError, AttributeError):
            raise GatewayError("API_CONFIGURATION_ERROR") from None
    chosen = select_response(integration.responses, status)
    if chosen is None:
        raise GatewayError("API_CONFIGURATION_ERROR")
    body = ""
    out_template = chosen.templates.get("application/json")
    if out_template:
        try:
            body = render(out_template, variables)
        except TemplateError:
            raise GatewayError("API_CONFIGURATION_ERROR") from None
    headers = [("Content-Type", "application/json"), *method_response_headers(chosen.parameters)]
    return Response(int(chosen.status_code), headers, body.encode())
