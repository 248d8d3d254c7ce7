"""Deployments as AWS keeps them: a frozen copy of the API taken when the deployment is created.

AWS: a stage serves the deployment it points at; changing a method, an integration, an
authorizer or a gateway response changes nothing that is served until the API is deployed
again. moto keeps no copy (a deployment is an id and a date), so the local stage reads the
API as it is now. `DeploymentBook` keeps the copy (`Snapshot`) of each deployment in the cloud's
stores; the stage servers serve it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from moto.apigateway.models import RestAPI

from ..core.stores import Stores
from .routing import RouteTable


@dataclass(frozen=True)
class IntegrationResponse:
    status_code: str
    pattern: str  # a regex matched against the backend's status ("" for the default)
    templates: dict[str, Any]
    parameters: dict[str, str]


@dataclass(frozen=True)
class Integration:
    type: str
    uri: str
    http_method: str | None
    connection_type: str
    connection_id: str | None
    request_parameters: dict[str, str]
    request_templates: dict[str, str]
    passthrough: str
    timeout_ms: int
    credentials: str | None
    responses: tuple[IntegrationResponse, ...]


@dataclass(frozen=True)
class Method:
    resource_path: str
    http_method: str
    authorization_type: str
    authorizer_id: str | None
    scopes: tuple[str, ...]
    request_parameters: dict[str, bool]
    request_models: dict[str, str]
    validator_id: str | None
    integration: Integration | None


@dataclass(frozen=True)
class Authorizer:
    id: str
    type: str
    provider_arns: tuple[str, ...]
    identity_source: str
    ttl_seconds: int
    validation_expression: str | None


@dataclass(frozen=True)
class Snapshot:
    """What one deployment serves."""

    api_id: str
    account: str
    region: str
    deployment_id: str
    routes: RouteTable[Method]
    authorizers: dict[str, Authorizer]
    gateway_responses: dict[str, dict[str, Any]]
    validators: dict[str, dict[str, bool]]
    models: dict[str, str] = field(default_factory=dict)  # name -> JSON schema text


def _integration_responses(raw: dict[str, Any]) -> tuple[IntegrationResponse, ...]:
    return tuple(
        IntegrationResponse(
            str(r.get("statusCode")),
            str(r.get("selectionPattern") or ""),
            dict(r.get("responseTemplates") or {}),
            dict(r.get("responseParameters") or {}),
        )
        for r in (raw.get("integrationResponses") or {}).values()
    )


def _integration(raw: dict[str, Any] | None) -> Integration | None:
    if not raw or not raw.get("type"):
        return None
    given = {key: value for key, value in raw.items() if value is not None}
    return Integration(
        type=str(given["type"]).upper(),
        uri=str(given.get("uri", "")),
        http_method=given.get("httpMethod"),
        connection_type=str(given.get("connectionType", "INTERNET")).upper(),
        connection_id=given.get("connectionId"),
        request_parameters=dict(given.get("requestParameters", {})),
        request_templates=dict(given.get("requestTemplates", {})),
        passthrough=str(given.get("passthroughBehavior", "WHEN_NO_MATCH")).upper(),
        timeout_ms=int(given.get("timeoutInMillis", 29000)),
        credentials=given.get("credentials"),
        responses=_integration_responses(raw),
    )


def _method(path: str, raw: dict[str, Any]) -> Method:
    return Method(
        resource_path=path,
        http_method=str(raw["httpMethod"]).upper(),
        authorization_type=str(raw.get("authorizationType") or "NONE").upper(),
        authorizer_id=raw.get("authorizerId"),
        scopes=tuple(raw.get("authorizationScopes") or ()),
        request_parameters=dict(raw.get("requestParameters") or {}),
        request_models=dict(raw.get("requestModels") or {}),
        validator_id=raw.get("requestValidatorId"),
        integration=_integration(raw.get("methodIntegration")),
    )


def _authorizer(raw: dict[str, Any]) -> Authorizer:
    ttl = raw.get("authorizerResultTtlInSeconds")
    return Authorizer(
        id=str(raw["id"]),
        type=str(raw.get("type") or "").upper(),
        provider_arns=tuple(raw.get("providerARNs") or ()),
        identity_source=str(raw.get("identitySource") or "method.request.header.Authorization"),
        ttl_seconds=300 if ttl is None else int(ttl),
        validation_expression=raw.get("identityValidationExpression"),
    )


def take(api: RestAPI, deployment_id: str) -> Snapshot:
    """A copy of `api` as it is now, for deployment `deployment_id`."""
    routes: dict[str, dict[str, Method]] = {}
    for resource in list(api.resources.values()):
        path = resource.get_path()
        routes[path] = {
            verb: _method(path, method.to_json())
            for verb, method in list(resource.resource_methods.items())
        }
    return Snapshot(
        api_id=api.id,
        account=api.account_id,
        region=api.region_name,
        deployment_id=deployment_id,
        routes=RouteTable(routes),
        authorizers={k: _authorizer(a.to_json()) for k, a in list(api.authorizers.items())},
        gateway_responses={k: r.to_json() for k, r in list(api.gateway_responses.items())},
        validators={k: v.to_dict() for k, v in list(api.request_validators.items())},
        models={name: str(model.schema) for name, model in list(api.models.items())},
    )


class _Copies(dict[tuple[str, str], Snapshot]):
    """One account and region's snapshots by (API id, deployment id)."""


class DeploymentBook:
    """Every deployment's snapshot, kept in the cloud's stores (a reset forgets them)."""

    def __init__(self, stores: Stores):
        self._stores = stores
        self._lock = threading.Lock()

    def _copies(self, api: RestAPI) -> _Copies:
        return self._stores.get("apigateway-deployments", api.account_id, api.region_name, _Copies)

    def record(self, api: RestAPI, deployment_id: str) -> Snapshot:
        snapshot = take(api, deployment_id)
        with self._lock:
            self._copies(api)[(api.id, deployment_id)] = snapshot
        return snapshot

    def get(self, api: RestAPI, deployment_id: str) -> Snapshot:
        """The deployment's snapshot; one made before this cloud recorded it is taken now."""
        with self._lock:
            found = self._copies(api).get((api.id, deployment_id))
        return found if found is not None else self.record(api, deployment_id)
