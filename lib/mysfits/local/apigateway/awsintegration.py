"""AWS-service integrations (`type: AWS`): the request template becomes a call to a service's API.

AWS: the uri `arn:aws:apigateway:{region}:{service}:action/{Action}` names the service and the
action; API Gateway signs the request with the `credentials` role and sends the rendered
request template as the body (for a JSON-protocol service such as Firehose: `X-Amz-Target:
Firehose_20150804.PutRecord`, `Content-Type: application/x-amz-json-1.1`). The service's answer
is the integration response: the one whose `selectionPattern` matches its status code (else the
default) sets the method's status, static headers and body (its template, where `$input` is the
service's answer; without a template the answer passes through). No integration response for
the status → 500 Internal server error.

Here the call goes to the local cloud's own endpoint, signed with the data plane's placeholder
credentials (the local cloud checks no credentials, so the role is not assumed: a listed gap);
only JSON-protocol services and `action/` uris are supported. An action a service answers in
this process (`local`: Firehose's PutRecord, the click API's one call) is answered without the
loopback HTTP round trip through moto, which costs several times the rest of the request; when
that answer is an error it goes over HTTP after all, so errors keep the API's exact shape.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import botocore.exceptions
import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.iam.models import get_account_id_from

from .deployments import Integration
from .gatewayresponses import GatewayError
from .httpserver import Response
from .integrations import Call, method_response_headers, request_template, select_response
from .templates import Input, TemplateError, render
from .upstream import UpstreamError, UpstreamPool

_CREDENTIALS = Credentials("mysfits-local-data-plane", "mysfits-local-data-plane")
_JSON_PROTOCOLS = {"json"}
# (account, region, request body) -> the service's JSON answer, or None to go through HTTP.
LocalAction = Callable[[str, str, bytes], bytes | None]


@dataclass(frozen=True)
class Target:
    """Where an AWS integration's uri points: the service, its region and the action."""

    region: str
    service: str
    action: str


def parse_uri(uri: str) -> Target:
    """`arn:aws:apigateway:us-east-1:firehose:action/PutRecord` -> its parts."""
    parts = uri.split(":", 5)
    if len(parts) != 6 or parts[2] != "apigateway" or not parts[5].startswith("action/"):
        raise GatewayError("API_CONFIGURATION_ERROR")
    return Target(parts[3], parts[4], parts[5].removeprefix("action/"))


@functools.lru_cache(maxsize=32)
def _model(service: str) -> tuple[str, str, str]:
    """(protocol, target prefix, JSON version) of a service, from botocore's models."""
    model = botocore.session.get_session().get_service_model(service)
    meta = model.metadata
    return (
        str(meta.get("protocol")),
        str(meta.get("targetPrefix", "")),
        str(meta.get("jsonVersion", "1.0")),
    )


def signed_request(endpoint: str, target: Target, body: bytes) -> bytes:
    """The whole HTTP request for the service's JSON API, SigV4-signed."""
    try:
        protocol, prefix, version = _model(target.service)
    except botocore.exceptions.UnknownServiceError:
        raise GatewayError("API_CONFIGURATION_ERROR") from None
    if protocol not in _JSON_PROTOCOLS:
        raise GatewayError("API_CONFIGURATION_ERROR")
    request = AWSRequest(
        "POST",
        endpoint + "/",
        data=body,
        headers={
            "X-Amz-Target": f"{prefix}.{target.action}",
            "Content-Type": f"application/x-amz-json-{version}",
        },
    )
    SigV4Auth(_CREDENTIALS, target.service, target.region).add_auth(request)
    host = urlsplit(endpoint).netloc
    lines = ["POST / HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + body


def _request_body(call: Call, integration: Integration, variables: dict[str, Any]) -> bytes:
    template = request_template(integration, call.request)
    if template is None:
        return call.request.body  # passthrough
    try:
        return render(template, variables).encode()
    except TemplateError:
        raise GatewayError("API_CONFIGURATION_ERROR") from None


def method_response(
    integration: Integration, status: int, body: bytes, variables: dict[str, Any]
) -> Response:
    """The method response the integration responses make of the service's answer."""
    chosen = select_response(integration.responses, str(status))
    if chosen is None:
        raise GatewayError("API_CONFIGURATION_ERROR")
    template = chosen.templates.get("application/json")
    if template:
        answer = body.decode("utf-8", "replace")
        try:
            body = render(template, {**variables, "input": Input(answer)}).encode()
        except TemplateError:
            raise GatewayError("API_CONFIGURATION_ERROR") from None
    headers = [("Content-Type", "application/json"), *method_response_headers(chosen.parameters)]
    return Response(int(chosen.status_code), headers, body)


class AwsIntegration:
    """Calls the local cloud's own API for `type: AWS` integrations."""

    def __init__(
        self,
        endpoint_url: str,
        pool: UpstreamPool,
        local: Mapping[tuple[str, str], LocalAction] | None = None,
    ):
        self._endpoint = endpoint_url.rstrip("/")
        split = urlsplit(self._endpoint)
        self._address = (split.hostname or "127.0.0.1", int(split.port or 80))
        self._pool = pool
        self._local = dict(local or {})  # (service, action) -> its in-process answer
        # The account the signed call would act in, as the local cloud reads its access key.
        self._account = get_account_id_from(_CREDENTIALS.access_key)

    async def __call__(
        self, call: Call, integration: Integration, variables: dict[str, Any]
    ) -> Response:
        target = parse_uri(integration.uri)
        body = _request_body(call, integration, variables)
        local = self._local.get((target.service, target.action))
        answer_here = local(self._account, target.region, body) if local else None
        if answer_here is not None:
            return method_response(integration, 200, answer_here, variables)
        data = signed_request(self._endpoint, target, body)
        try:
            answer = await self._pool.request(
                self._address, data, False, integration.timeout_ms / 1000
            )
        except TimeoutError:
            raise GatewayError("INTEGRATION_TIMEOUT") from None
        except UpstreamError:
            raise GatewayError("INTEGRATION_FAILURE") from None
        return method_response(integration, answer.status, answer.body, variables)
