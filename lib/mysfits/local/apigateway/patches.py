"""The named patches that make moto's API Gateway (v1) answer as AWS does.

AWS behaviours restored (moto 5.2.5 differs on each), besides the import (`importer`):
- PutIntegration and GetIntegration keep `connectionId` (the VPC link of a private integration);
  moto drops it, so nothing could say which link an integration uses;
- CreateDeployment with the name of an existing stage points that stage at the new deployment
  and keeps its settings (throttling, variables); moto replaced the stage with a blank one;
- every deployment is a frozen copy of the API (`deployments`): what a stage serves changes
  only when it is deployed again;
- a new VPC link is PENDING, then AVAILABLE once its target is an existing network load
  balancer (FAILED, with a statusMessage, when it is not); moto says AVAILABLE at once and
  accepts any ARN. The link becomes AVAILABLE after `VPC_LINK_PENDING_SECONDS` here (minutes on
  AWS);
- a stage's method settings, once one is set, show AWS's defaults for the others: throttling
  burst 5000 and rate 10000 (the account's limits), cache data not encrypted (moto: 2000, 1000,
  encrypted).
"""

from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import Callable
from typing import Any

from moto.apigateway.models import APIGatewayBackend, Integration, RestAPI, Stage, VpcLink
from moto.apigateway.responses import APIGatewayResponse
from moto.elbv2.models import elbv2_backends

from ..core.patching import Patches
from . import importer
from .deployments import DeploymentBook

VPC_LINK_PENDING_SECONDS = 1.0
_connection_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "connection_id", default=None
)


def _integration_json(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @functools.wraps(original)
    def to_json(self: Integration) -> dict[str, Any]:
        answer = original(self)
        connection_id = getattr(self, "connection_id", None)
        if connection_id:
            answer["connectionId"] = connection_id
        return answer

    return to_json


def _put_integration_request(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def put_integration(handler: APIGatewayResponse) -> Any:
        token = _connection_id.set(handler._get_param("connectionId"))
        try:
            return original(handler)
        finally:
            _connection_id.reset(token)

    return put_integration


def _put_integration(original: Callable[..., Integration]) -> Callable[..., Integration]:
    @functools.wraps(original)
    def put_integration(self: APIGatewayBackend, *args: Any, **kwargs: Any) -> Integration:
        integration = original(self, *args, **kwargs)
        vars(integration)["connection_id"] = _connection_id.get()
        return integration

    return put_integration


def _deployment_keeps_stage(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_deployment(
        self: RestAPI, name: str, description: str, stage_variables: Any = None
    ) -> Any:
        existing = self.stages.get(name) if name else None
        deployment = original(self, name, description, stage_variables)
        if existing is not None:
            existing.deployment_id = deployment.id
            existing.variables.update(stage_variables or {})
            self.stages[name] = existing
        return deployment

    return create_deployment


def _deployment_snapshot(
    book: DeploymentBook,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def create_deployment(self: APIGatewayBackend, function_id: str, *args: Any, **kw: Any):
            deployment = original(self, function_id, *args, **kw)
            book.record(self.get_rest_api(function_id), deployment.id)
            return deployment

        return create_deployment

    return make


def _network_load_balancer(arn: str) -> bool:
    parts = arn.split(":", 5)
    if len(parts) != 6 or "loadbalancer/net/" not in arn:
        return False
    backend = elbv2_backends[parts[4]].get(parts[3])
    return backend is not None and arn in backend.load_balancers


def settle_vpc_link(link: VpcLink, now: float) -> None:
    """PENDING turns AVAILABLE (or FAILED) once the link's set-up time has passed."""
    created = getattr(link, "created_at", None)
    if link.status != "PENDING" or created is None or now - created < VPC_LINK_PENDING_SECONDS:
        return
    missing = [arn for arn in link.target_arns if not _network_load_balancer(arn)]
    if missing or not link.target_arns:
        message = f"NLB ARN is malformed or does not exist: {', '.join(missing)}"
        vars(link).update(status="FAILED", status_message=message)
    else:
        vars(link).update(status="AVAILABLE", status_message="Your vpc link is ready for use")


def _vpc_link_pending(original: Callable[..., VpcLink]) -> Callable[..., VpcLink]:
    @functools.wraps(original)
    def create_vpc_link(self: APIGatewayBackend, *args: Any, **kwargs: Any) -> VpcLink:
        link = original(self, *args, **kwargs)
        # moto's model has no such fields: kept on it, so they go with the link
        vars(link).update(
            status="PENDING",
            created_at=time.monotonic(),
            status_message="VPC link is provisioning ENIs",
        )
        return link

    return create_vpc_link


def _vpc_link_json(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @functools.wraps(original)
    def to_json(self: VpcLink) -> dict[str, Any]:
        settle_vpc_link(self, time.monotonic())
        answer = original(self)
        message = getattr(self, "status_message", None)
        if message:
            answer["statusMessage"] = message
        return answer

    return to_json


def _method_setting_defaults(original: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
    @functools.wraps(original)
    def defaults(self: Stage) -> dict[str, Any]:
        return {
            **original(self),
            "throttlingBurstLimit": 5000,
            "throttlingRateLimit": 10000.0,
            "cacheDataEncrypted": False,
        }

    return defaults


def _import(backend: APIGatewayBackend, api_doc: Any, fail_on_warnings: bool) -> RestAPI:
    return importer.import_rest_api(backend, api_doc, fail_on_warnings)


def _put(
    backend: APIGatewayBackend,
    function_id: str,
    api_doc: Any,
    fail_on_warnings: bool,
    mode: str = "merge",
) -> RestAPI:
    return importer.put_rest_api(backend, function_id, api_doc, fail_on_warnings, mode)


def apply(patches: Patches, book: DeploymentBook) -> None:
    """Every API Gateway fix, under the `apigateway.` prefix."""
    patches.apply("apigateway.import", APIGatewayBackend, "import_rest_api", _import)
    patches.apply("apigateway.put", APIGatewayBackend, "put_rest_api", _put)
    patches.wrap("apigateway.connection-id", Integration, "to_json", _integration_json)
    patches.wrap(
        "apigateway.connection-id-request",
        APIGatewayResponse,
        "put_integration",
        _put_integration_request,
    )
    patches.wrap(
        "apigateway.connection-id-stored", APIGatewayBackend, "put_integration", _put_integration
    )
    patches.wrap(
        "apigateway.deployment-keeps-stage", RestAPI, "create_deployment", _deployment_keeps_stage
    )
    patches.wrap(
        "apigateway.deployment-snapshot",
        APIGatewayBackend,
        "create_deployment",
        _deployment_snapshot(book),
    )
    patches.wrap(
        "apigateway.vpc-link-pending", APIGatewayBackend, "create_vpc_link", _vpc_link_pending
    )
    patches.wrap("apigateway.vpc-link-status", VpcLink, "to_json", _vpc_link_json)
    patches.wrap(
        "apigateway.method-setting-defaults",
        Stage,
        "_get_default_method_settings",
        _method_setting_defaults,
    )
