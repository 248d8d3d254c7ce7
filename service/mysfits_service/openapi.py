"""The published OpenAPI document, adjusted to match what the service really answers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi


def _drop_null_variant(schema: dict[str, Any]) -> None:
    """Turn ``anyOf: [X, null]`` (FastAPI's optional parameter) into plain ``X``."""
    variants = schema.get("anyOf")
    if not isinstance(variants, list):
        return
    rest = [variant for variant in variants if variant != {"type": "null"}]
    if len(rest) == 1 and len(rest) < len(variants):
        del schema["anyOf"]
        for name, value in rest[0].items():
            schema.setdefault(name, value)


SECURITY_SCHEME = "cognitoIdToken"
SIGNED_IN_OPERATIONS = ("likeMysfit", "adoptMysfit")


def _require_sign_in(document: dict[str, Any]) -> None:
    """Like and adopt need a Cognito ID token (only where the service is configured to check)."""
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "A Cognito user pool ID token, bare or after `Bearer `.",
    }
    unauthorized = {
        "description": "No valid Cognito ID token in the Authorization header",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if operation.get("operationId") in SIGNED_IN_OPERATIONS:
                operation["security"] = [{SECURITY_SCHEME: []}]
                operation["responses"]["401"] = unauthorized


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """Generate the document once; later calls return the cached copy."""
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            # Validation failures are answered with 400 (see handlers), never 422.
            operation.get("responses", {}).pop("422", None)
            for parameter in operation.get("parameters", []):
                _drop_null_variant(parameter.get("schema", {}))
    schemas = document.get("components", {}).get("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    if app.state.identity.enforced:
        _require_sign_in(document)
    app.openapi_schema = document
    return document
