"""Request body validation against the method's model, as a request validator asks.

AWS: with `validateRequestBody`, a body that fails the JSON Schema (draft 4) of the model for
its content type is answered 400 `Invalid request body` (BAD_REQUEST_BODY); a content type
without a model is not validated. A model may refer to other models of the API
(`#/components/schemas/X` or `#/definitions/X` as imported, or the model's URL
`https://apigateway.amazonaws.com/restapis/{id}/models/X`).
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import jsonschema

from .gatewayresponses import GatewayError

_REF = re.compile(
    r'"\$ref"\s*:\s*"(?:#/components/schemas/|#/definitions/|'
    r'https://apigateway\.amazonaws\.com/restapis/[^/"]+/models/)([^"]+)"'
)


@functools.lru_cache(maxsize=256)
def _validator(name: str, models: tuple[tuple[str, str], ...]) -> jsonschema.Draft4Validator:
    """A validator for model `name`, with every model of the API reachable as a definition."""
    definitions = {
        model: json.loads(_REF.sub(r'"$ref": "#/definitions/\1"', schema))
        for model, schema in models
    }
    root = dict(definitions[name])
    root["definitions"] = {**definitions, **root.get("definitions", {})}
    return jsonschema.Draft4Validator(root)


def validate_body(
    body: bytes, content_type: str, request_models: dict[str, str], models: dict[str, str]
) -> None:
    """Raise BAD_REQUEST_BODY unless `body` fits the model for `content_type` (if there is one)."""
    name = request_models.get(content_type.split(";")[0].strip() or "application/json")
    if name is None or name not in models:
        return
    try:
        document: Any = json.loads(body or b"null")
    except ValueError:
        raise GatewayError("BAD_REQUEST_BODY") from None
    validator = _validator(name, tuple(sorted(models.items())))
    if not validator.is_valid(document):
        raise GatewayError("BAD_REQUEST_BODY")
