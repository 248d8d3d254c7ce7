"""An OpenAPI document read as API Gateway imports it: resources, methods, authorizers and the rest.

Pure: `read(document)` returns an `ApiPlan` (or raises `ImportProblem` with AWS's message) and
touches no state, so a document is judged completely before anything is created.

What AWS's importer takes and moto 5.2.5 drops or refuses (the patches apply the plan):
OpenAPI 3.0 and Swagger 2.0 (AWS refuses 3.1: "Invalid OpenAPI input."; moto refuses 2.0 and
takes 3.1); `info.description` optional (moto fails without it); security schemes carrying
`x-amazon-apigateway-authorizer` become authorizers and `security` on an operation sets its
authorization type, authorizer and scopes; `parameters` become the method's request parameters;
`requestBody` schemas become models; `x-amazon-apigateway-request-validators` and
`-request-validator`; `x-amazon-apigateway-gateway-responses`; `x-amazon-apigateway-any-method`
is the method ANY; integration types and behaviours in any case (`http_proxy`, `when_no_match`);
MOCK integrations need no `uri` or `httpMethod`; `connectionId` of a VPC link is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HTTP_METHODS = {
    "get": "GET",
    "put": "PUT",
    "post": "POST",
    "delete": "DELETE",
    "options": "OPTIONS",
    "head": "HEAD",
    "patch": "PATCH",
    "x-amazon-apigateway-any-method": "ANY",
}
AUTHORIZER_TYPES = {
    "cognito_user_pools": "COGNITO_USER_POOLS",
    "token": "TOKEN",
    "request": "REQUEST",
}
_PARAMETER_PLACES = {"path": "path", "query": "querystring", "header": "header"}
_UPPERCASED = ("type", "passthroughBehavior", "connectionType", "httpMethod", "contentHandling")
DEFAULT_TTL_SECONDS = 300  # an authorizer's result cache, when the document sets none


class ImportProblem(ValueError):
    """The document cannot be imported; the message is what AWS answers (BadRequestException)."""


@dataclass
class MethodPlan:
    """One operation: the method request, its integration and its responses."""

    http_method: str
    authorization_type: str = "NONE"
    authorizer: str | None = None  # the security scheme's name
    scopes: list[str] | None = None
    api_key_required: bool = False
    request_parameters: dict[str, bool] = field(default_factory=dict)
    request_models: dict[str, str] = field(default_factory=dict)
    validator: str | None = None
    operation_name: str | None = None
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> params, models
    integration: dict[str, Any] | None = None
    integration_responses: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ApiPlan:
    """Everything an import creates, named as the document names it."""

    title: str
    description: str = ""
    version: str | None = None
    resources: dict[str, dict[str, MethodPlan]] = field(default_factory=dict)
    authorizers: dict[str, dict[str, Any]] = field(default_factory=dict)
    validators: dict[str, dict[str, bool]] = field(default_factory=dict)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    gateway_responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    binary_media_types: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _version(document: dict[str, Any]) -> str:
    if str(document.get("swagger", "")) == "2.0":
        return "2.0"
    openapi = str(document.get("openapi", ""))
    if openapi.startswith("3.0"):
        return "3.0"
    raise ImportProblem("Invalid OpenAPI input.")


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _schemes(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = document.get("securityDefinitions") or {}
    found = {**found, **((document.get("components") or {}).get("securitySchemes") or {})}
    return {str(k): v for k, v in found.items() if isinstance(v, dict)}


def _authorizer(name: str, scheme: dict[str, Any]) -> dict[str, Any] | None:
    """The authorizer a security scheme defines (None: an API key or a plain scheme)."""
    extension = scheme.get("x-amazon-apigateway-authorizer")
    if not isinstance(extension, dict):
        return None
    kind = AUTHORIZER_TYPES.get(str(extension.get("type", "")).lower())
    if kind is None:
        raise ImportProblem(
            f"Invalid authorizer definition: unsupported type {extension.get('type')!r} in {name}"
        )
    header = scheme.get("name") or "Authorization"
    return {
        "type": kind,
        "providerARNs": list(extension.get("providerARNs") or []),
        "authType": scheme.get("x-amazon-apigateway-authtype"),
        "authorizerUri": extension.get("authorizerUri"),
        "authorizerCredentials": extension.get("authorizerCredentials"),
        "identitySource": extension.get("identitySource") or f"method.request.header.{header}",
        "identityValidationExpression": extension.get("identityValidationExpression"),
        "authorizerResultTtlInSeconds": int(
            extension.get("authorizerResultTtlInSeconds", DEFAULT_TTL_SECONDS)
        ),
    }


def _apply_scheme(method: MethodPlan, name: str, scheme: dict[str, Any], scopes: Any) -> None:
    extension = scheme.get("x-amazon-apigateway-authorizer")
    if extension:
        kind = AUTHORIZER_TYPES[str(extension["type"]).lower()]
        method.authorization_type = (
            "COGNITO_USER_POOLS" if kind == "COGNITO_USER_POOLS" else "CUSTOM"
        )
        method.authorizer = name
        method.scopes = list(scopes or []) or None
    elif scheme.get("type") == "apiKey":
        method.api_key_required = True
    elif scheme.get("x-amazon-apigateway-authtype") == "awsSigv4":
        method.authorization_type = "AWS_IAM"


def _security(
    method: MethodPlan, requirements: list[Any] | None, schemes: dict[str, dict[str, Any]]
) -> None:
    for requirement in requirements or []:
        for name, scopes in (requirement or {}).items():
            scheme = schemes.get(name)
            if scheme is None:
                raise ImportProblem(f"Invalid security definition: {name} is not defined")
            _apply_scheme(method, name, scheme, scopes)


def _parameters(method: MethodPlan, parameters: list[Any]) -> None:
    for parameter in parameters or []:
        place = _PARAMETER_PLACES.get(str(parameter.get("in")))
        if place is not None:
            key = f"method.request.{place}.{parameter['name']}"
            method.request_parameters[key] = bool(parameter.get("required", place == "path"))
        elif parameter.get("in") == "body" and "$ref" in (parameter.get("schema") or {}):
            method.request_models["application/json"] = _ref_name(parameter["schema"]["$ref"])


def _request_body(method: MethodPlan, operation: dict[str, Any], plan: ApiPlan) -> None:
    content = (operation.get("requestBody") or {}).get("content") or {}
    for content_type, media in content.items():
        schema = (media or {}).get("schema") or {}
        if "$ref" in schema:
            method.request_models[content_type] = _ref_name(schema["$ref"])
        elif schema:
            name = f"{method.operation_name or method.http_method.title()}Body"
            plan.models[name] = schema
            method.request_models[content_type] = name


def _media_models(content: dict[str, Any]) -> dict[str, str]:
    """Content type -> the model its schema references."""
    models = {}
    for content_type, media in content.items():
        ref = ((media or {}).get("schema") or {}).get("$ref")
        if ref:
            models[content_type] = _ref_name(ref)
    return models


def _responses(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for code, response in (operation.get("responses") or {}).items():
        response = response or {}
        params = {f"method.response.header.{h}": False for h in response.get("headers") or {}}
        models = _media_models(response.get("content") or {})
        found[str(code)] = {"parameters": params or None, "models": models or None}
    return found


def _integration_response(pattern: str, response: dict[str, Any]) -> dict[str, Any]:
    return {
        "status_code": str(response.get("statusCode", "200")),
        "selection_pattern": "" if pattern == "default" else pattern,
        "response_templates": response.get("responseTemplates") or {},
        "response_parameters": response.get("responseParameters") or {},
        "content_handling": response.get("contentHandling"),
    }


def _check_integration(integration: dict[str, Any], given_type: Any) -> None:
    kind = integration.get("type")
    if kind not in {"HTTP", "HTTP_PROXY", "AWS", "AWS_PROXY", "MOCK"}:
        raise ImportProblem(f"Invalid integration type: {given_type!r}")
    if kind != "MOCK" and not integration.get("uri"):
        raise ImportProblem(f"Invalid integration: uri is required for type {kind}")
    if integration.get("connectionType") == "VPC_LINK" and not integration.get("connectionId"):
        raise ImportProblem("Invalid integration: connectionId is required for VPC_LINK")


def _integration(extension: dict[str, Any] | None) -> tuple[dict[str, Any] | None, list[Any]]:
    """The integration as PutIntegration takes it, and its integration responses."""
    if not extension:
        return None, []
    integration: dict[str, Any] = {
        key: value.upper() if key in _UPPERCASED and isinstance(value, str) else value
        for key, value in extension.items()
    }
    _check_integration(integration, extension.get("type"))
    responses = integration.pop("responses", None) or {}
    return integration, [_integration_response(p, r or {}) for p, r in responses.items()]


def _method(
    verb: str,
    operation: dict[str, Any],
    shared: dict[str, Any],
    plan: ApiPlan,
    schemes: dict[str, dict[str, Any]],
) -> MethodPlan:
    method = MethodPlan(HTTP_METHODS[verb], operation_name=operation.get("operationId"))
    _parameters(method, [*shared.get("parameters", []), *operation.get("parameters", [])])
    _security(method, operation.get("security", shared.get("security")), schemes)
    _request_body(method, operation, plan)
    method.validator = operation.get("x-amazon-apigateway-request-validator") or shared.get(
        "validator"
    )
    method.responses = _responses(operation)
    method.integration, method.integration_responses = _integration(
        operation.get("x-amazon-apigateway-integration")
    )
    return method


def _check_path(path: str) -> None:
    if not path.startswith("/"):
        raise ImportProblem(f"Invalid resource path: {path} (it must start with /)")
    parts = [p for p in path.split("/")[1:] if p]
    for index, part in enumerate(parts):
        if part.endswith("+}") and index != len(parts) - 1:
            raise ImportProblem(f"Invalid resource path: {path} (a greedy parameter ends it)")


def _authorizers(schemes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found = {name: _authorizer(name, scheme) for name, scheme in schemes.items()}
    return {name: authorizer for name, authorizer in found.items() if authorizer is not None}


def _validators(document: dict[str, Any]) -> dict[str, dict[str, bool]]:
    return {
        name: {
            "validateRequestBody": bool(v.get("validateRequestBody", False)),
            "validateRequestParameters": bool(v.get("validateRequestParameters", False)),
        }
        for name, v in (document.get("x-amazon-apigateway-request-validators") or {}).items()
    }


def _plan(document: dict[str, Any]) -> ApiPlan:
    """The API-level parts: name, authorizers, models, validators, gateway responses."""
    info = document.get("info") or {}
    if not info.get("title"):
        raise ImportProblem("Invalid OpenAPI input: info.title is required")
    plan = ApiPlan(str(info["title"]), str(info.get("description") or ""), info.get("version"))
    plan.authorizers = _authorizers(_schemes(document))
    components = document.get("components") or {}
    plan.models.update(components.get("schemas") or document.get("definitions") or {})
    plan.validators = _validators(document)
    plan.gateway_responses = dict(document.get("x-amazon-apigateway-gateway-responses") or {})
    plan.binary_media_types = list(document.get("x-amazon-apigateway-binary-media-types") or [])
    return plan


def read(document: Any) -> ApiPlan:
    """The import `document` describes, or ImportProblem with AWS's message."""
    if not isinstance(document, dict):
        raise ImportProblem("Invalid OpenAPI input.")
    version = _version(document)
    plan = _plan(document)
    schemes = _schemes(document)
    for path, item in (document.get("paths") or {}).items():
        _check_path(path)
        item = item or {}
        shared = {
            "parameters": item.get("parameters", []),
            "security": document.get("security"),
            "validator": document.get("x-amazon-apigateway-request-validator"),
        }
        methods = plan.resources.setdefault(path, {})
        for verb, operation in item.items():
            if verb.lower() in HTTP_METHODS:
                method = _method(verb.lower(), operation or {}, shared, plan, schemes)
                methods[method.http_method] = method
    _check_references(plan, version)
    return plan


def _check_references(plan: ApiPlan, version: str) -> None:
    """Every validator and model a method names exists (AWS refuses the import otherwise)."""
    for path, methods in plan.resources.items():
        for method in methods.values():
            if method.validator and method.validator not in plan.validators:
                raise ImportProblem(
                    f"Invalid request validator {method.validator!r} on {method.http_method} {path}"
                )
            for model in method.request_models.values():
                if model not in plan.models:
                    raise ImportProblem(f"Invalid model reference {model!r} in {path} ({version})")
