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
    app.openapi_schema = document
    return document
