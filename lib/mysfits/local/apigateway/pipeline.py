"""One deployed stage answering requests, in API Gateway's order.

Route (`403 Missing Authentication Token` when nothing matches), throttle (429), authorize
(COGNITO_USER_POOLS: 401), validate the request parameters (400), then the integration
(HTTP_PROXY, MOCK). Whatever the gateway answers itself is a gateway response of the API's
deployment. Every answer carries `x-amzn-RequestId` and `x-amz-apigw-id`. The stage, its
settings and its deployment are read per request, so a redeploy or a new throttling setting
takes effect at once.
"""

from __future__ import annotations

import base64
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.apigateway.models import RestAPI, Stage, apigateway_backends

from .authorizers import DecisionCache, JwksLookup, Unauthorized
from .deployments import DeploymentBook, Method, Snapshot
from .gatewayresponses import GatewayError, render
from .httpserver import Request, Response
from .integrations import Call, Resolver, _query, http_proxy, mock
from .routing import Match
from .templates import Input
from .throttling import Throttles
from .upstream import UpstreamPool
from .validation import validate_body

Integrate = Callable[[Call, Any, dict[str, Any]], Any]


@dataclass(frozen=True)
class StageName:
    account: str
    region: str
    api_id: str
    stage: str


@dataclass
class Plane:
    """What every stage of one cloud shares."""

    book: DeploymentBook
    jwks: JwksLookup
    resolve: Resolver
    pool: UpstreamPool
    extra: dict[str, Integrate]  # integration type -> handler, for types added later (AWS)


def missing_parameters(request: Request, match: Match[Method]) -> list[str]:
    """The method's required request parameters that are absent or blank."""
    query = _query(request.query)
    missing = []
    for key, required in match.method.request_parameters.items():
        place, _, name = key.removeprefix("method.request.").partition(".")
        sources = {"querystring": query.get(name), "header": request.header(name)}
        value = sources.get(place, match.params.get(name))
        if required and not value:
            missing.append(name)
    return missing


# Request ids only need to be unique, not unguessable: `random` (seeded from the OS at start)
# instead of os.urandom, a system call that costs a tenth of a click's whole path under load.
def _apigw_id() -> str:
    return base64.b64encode(random.getrandbits(96).to_bytes(12, "big")).decode()[:15] + "="


def _request_id() -> str:
    return str(uuid.UUID(int=random.getrandbits(128), version=4))


class StageApp:
    """The request handler of one stage."""

    def __init__(self, name: StageName, plane: Plane):
        self.name = name
        self._plane = plane
        self._throttles = Throttles()
        self._decisions = DecisionCache()
        self._prefix = f"/{name.stage}"

    def _live(self) -> tuple[RestAPI, Stage] | None:
        backend = apigateway_backends[self.name.account][self.name.region]
        api = backend.apis.get(self.name.api_id)
        stage = api.stages.get(self.name.stage) if api is not None else None
        return None if api is None or stage is None else (api, stage)

    async def __call__(self, request: Request) -> Response:
        request_id = _request_id()
        snapshot: Snapshot | None = None
        try:
            live = self._live()
            if live is None or not live[1].deployment_id:
                raise GatewayError("MISSING_AUTHENTICATION_TOKEN")
            snapshot = self._plane.book.get(live[0], live[1].deployment_id)
            response = await self._handle(request, request_id, snapshot, live[1])
        except GatewayError as error:
            configured = snapshot.gateway_responses if snapshot is not None else {}
            status, headers, body = render(error, configured, request.header_map, request_id)
            response = Response(status, headers, body)
        response.headers += [("x-amzn-RequestId", request_id), ("x-amz-apigw-id", _apigw_id())]
        return response

    def _route(self, request: Request, snapshot: Snapshot) -> Match[Method]:
        path = request.path
        if path != self._prefix and not path.startswith(self._prefix + "/"):
            raise GatewayError("MISSING_AUTHENTICATION_TOKEN")
        match = snapshot.routes.match(request.method, path[len(self._prefix) :] or "/")
        if match is None:
            raise GatewayError("MISSING_AUTHENTICATION_TOKEN")
        return match

    async def _handle(
        self, request: Request, request_id: str, snapshot: Snapshot, stage: Stage
    ) -> Response:
        started_ms = int(time.time() * 1000)
        match = self._route(request, snapshot)
        method = match.method
        if request.too_large:
            raise GatewayError("REQUEST_TOO_LARGE")
        if not self._throttles.admit(
            stage.method_settings, method.resource_path, method.http_method
        ):
            raise GatewayError("THROTTLED")
        claims = self._authorize(request, method, snapshot)
        self._validate(request, match, snapshot)
        call = Call(
            request,
            request_id,
            method.resource_path,
            match.params,
            self.name.stage,
            claims,
            started_ms,
        )
        return await self._integrate(call, method, stage)

    def _authorize(
        self, request: Request, method: Method, snapshot: Snapshot
    ) -> dict[str, Any] | None:
        if method.authorization_type != "COGNITO_USER_POOLS":
            return None
        authorizer = snapshot.authorizers.get(method.authorizer_id or "")
        if authorizer is None:
            raise GatewayError("AUTHORIZER_CONFIGURATION_ERROR")
        header = authorizer.identity_source.removeprefix("method.request.header.")
        token = request.header(header) or ""
        try:
            return self._decisions.authorize(token, authorizer, method.scopes, self._plane.jwks)
        except Unauthorized:
            raise GatewayError("UNAUTHORIZED") from None

    @staticmethod
    def _validate(request: Request, match: Match[Method], snapshot: Snapshot) -> None:
        """The method's request validator: required parameters, then the body's model."""
        method = match.method
        validator = snapshot.validators.get(method.validator_id or "") or {}
        if validator.get("validateRequestParameters"):
            missing = missing_parameters(request, match)
            if missing:
                message = f"Missing required request parameters: [{', '.join(missing)}]"
                raise GatewayError("BAD_REQUEST_PARAMETERS", message)
        if validator.get("validateRequestBody"):
            content_type = request.header("content-type") or "application/json"
            validate_body(request.body, content_type, method.request_models, snapshot.models)

    async def _integrate(self, call: Call, method: Method, stage: Stage) -> Response:
        integration = method.integration
        if integration is None:
            raise GatewayError("API_CONFIGURATION_ERROR")
        if integration.type == "HTTP_PROXY":
            return await http_proxy(call, integration, self._plane.pool, self._plane.resolve)
        variables = {
            **call.variables(),
            "input": Input(
                call.request.body.decode("utf-8", "replace"),
                call.params,
                _query(call.request.query),
                call.request.header_map,
            ),
            "stageVariables": dict(stage.variables or {}),
        }
        if integration.type == "MOCK":
            return mock(call, integration, variables)
        handler = self._plane.extra.get(integration.type)
        if handler is None:
            raise GatewayError("API_CONFIGURATION_ERROR")
        return await handler(call, integration, variables)
