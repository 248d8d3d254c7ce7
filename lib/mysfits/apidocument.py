"""Module 4: the REST API's OpenAPI 3.0 document, generated from the service's own routes.

Where the routes come from: the service publishes its OpenAPI document (FastAPI builds it from
the route functions, `service/mysfits_service/openapi.py`). The library builds it from the
service package in the checkout, in a child Python process, rather than fetching it from the
running service: the document is needed before the API exists and again on every re-run, when
module 4 has closed the load balancer's direct path and nothing outside the VPC can reach the
service except through the API being defined; building it needs no network and gives the same
bytes every time. The checkout is also what the pipeline releases (`releases.source_archive`), so
the routes are those the tasks run. A child process, because the service ships on its own: its
package is not importable from the library's (no `sys.path` changes in this process).

What the generated document adds for API Gateway, as AWS's OpenAPI extensions:

- every operation proxies to the same path on the load balancer (`http_proxy` over the VPC link,
  path parameters mapped through), so the service answers exactly as it does directly;
- like and adopt need a signed-in user: a `COGNITO_USER_POOLS` authorizer on the pool, reading
  the ID token from the `Authorization` header;
- every path answers CORS preflights itself (`OPTIONS`, a MOCK integration: no call reaches the
  service), and the gateway's own errors (401, 403, 429, 5xx) carry CORS headers too, so the site
  can read them;
- a request validator checks required parameters before anything is proxied.

Response bodies keep only their descriptions: the service's schemas are JSON Schema 2020-12
(OpenAPI 3.1), which API Gateway's models (draft 4) do not take, and a proxy passes the service's
answers through unchanged anyway.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from typing import Any

from . import paths
from .errors import WorkshopError

OPENAPI_VERSION = "3.0.1"  # API Gateway imports OpenAPI 2.0 and 3.0, not 3.1
AUTHORIZER = "MysfitsUserPool"
VALIDATOR = "params"
# The operations that need a signed-in user (the service's operationIds).
PROTECTED_OPERATIONS = ("likeMysfit", "adoptMysfit")
CORS_HEADERS = "Authorization,Content-Type"
ERROR_TEMPLATE = '{"message":$context.error.messageString}'
INTEGRATION_TIMEOUT_MS = 29000  # API Gateway's default (and, for most APIs, its maximum)
_METHODS = ("get", "put", "post", "delete", "patch", "head")
_PARAMETER_SCHEMA_KEYS = ("type", "enum", "pattern")

# Run in a child process with the service package on its path: prints the service's document.
_DUMP = (
    "import json, sys\n"
    "from mysfits_service.app import create_app\n"
    "from mysfits_service.config import Settings\n"
    "json.dump(create_app(Settings(data_file=sys.argv[1])).openapi(), sys.stdout)\n"
)


class ServiceDocumentUnavailable(WorkshopError):
    """The service's own OpenAPI document could not be built from the checkout."""


def service_document() -> dict[str, Any]:
    """The service's OpenAPI document, as its FastAPI app builds it from the checkout's routes."""
    root = paths.repo_root()
    env = {**os.environ, "PYTHONPATH": str(root / "service")}
    done = subprocess.run(
        [sys.executable, "-c", _DUMP, str(paths.data_file())],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise ServiceDocumentUnavailable(
            f"the service's OpenAPI document could not be built ({done.stderr.strip()[-300:]}): "
            f"install the service's requirements (pip install -r {root}/service/requirements.txt)"
        )
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def _parameter(parameter: dict[str, Any]) -> dict[str, Any]:
    schema = {k: v for k, v in parameter.get("schema", {}).items() if k in _PARAMETER_SCHEMA_KEYS}
    kept: dict[str, Any] = {
        k: parameter[k] for k in ("name", "in", "required", "description") if k in parameter
    }
    return {**kept, "schema": schema or {"type": "string"}}


def _path_parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def proxy_integration(
    method: str, path: str, balancer_dns: str, vpc_link_id: str
) -> dict[str, Any]:
    """`x-amazon-apigateway-integration` for one route: HTTP_PROXY to the same path on the NLB,
    through the VPC link, each path parameter mapped to the backend's."""
    return {
        "type": "http_proxy",
        "httpMethod": method.upper(),
        "uri": f"http://{balancer_dns}{path}",
        "connectionType": "VPC_LINK",
        "connectionId": vpc_link_id,
        "passthroughBehavior": "when_no_match",
        "timeoutInMillis": INTEGRATION_TIMEOUT_MS,
        "requestParameters": {
            f"integration.request.path.{name}": f"method.request.path.{name}"
            for name in _path_parameters(path)
        },
    }


def cors_preflight(methods: list[str], path: str) -> dict[str, Any]:
    """The `OPTIONS` operation of a path: a MOCK integration answering 200 with CORS headers."""
    allowed = ",".join(sorted({m.upper() for m in methods} | {"OPTIONS"}))
    headers = {
        "Access-Control-Allow-Origin": "'*'",
        "Access-Control-Allow-Methods": f"'{allowed}'",
        "Access-Control-Allow-Headers": f"'{CORS_HEADERS}'",
    }
    path_parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _path_parameters(path)
    ]
    return {
        "summary": "CORS preflight, answered by API Gateway",
        **({"parameters": path_parameters} if path_parameters else {}),
        "responses": {
            "200": {
                "description": "The CORS headers a browser asks for",
                "headers": {name: {"schema": {"type": "string"}} for name in headers},
            }
        },
        "x-amazon-apigateway-integration": {
            "type": "mock",
            "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "passthroughBehavior": "never",
            "responses": {
                "default": {
                    "statusCode": "200",
                    "responseParameters": {
                        f"method.response.header.{name}": value for name, value in headers.items()
                    },
                }
            },
        },
    }


def _operation(
    method: str, path: str, source: dict[str, Any], balancer_dns: str, vpc_link_id: str
) -> dict[str, Any]:
    """One proxied operation: the service's name, words and parameters, and the integration."""
    parameters = [
        _parameter(p)
        for p in source.get("parameters", [])
        if not (p.get("in") == "header" and p.get("name", "").lower() == "authorization")
    ]
    responses = {
        code: {"description": answer.get("description", "")}
        for code, answer in source.get("responses", {}).items()
    }
    operation: dict[str, Any] = {
        k: source[k] for k in ("operationId", "summary", "description", "tags") if k in source
    }
    if parameters:
        operation["parameters"] = parameters
    if source.get("operationId") in PROTECTED_OPERATIONS:
        operation["security"] = [{AUTHORIZER: []}]
        responses["401"] = {"description": "No valid ID token in Authorization (API Gateway)"}
    operation["responses"] = responses
    operation["x-amazon-apigateway-integration"] = proxy_integration(
        method, path, balancer_dns, vpc_link_id
    )
    return operation


def _paths(service: dict[str, Any], balancer_dns: str, vpc_link_id: str) -> dict[str, Any]:
    paths_out: dict[str, Any] = {}
    for path, item in sorted(service.get("paths", {}).items()):
        methods = [m for m in item if m in _METHODS]
        paths_out[path] = {
            m: _operation(m, path, item[m], balancer_dns, vpc_link_id) for m in methods
        }
        paths_out[path]["options"] = cors_preflight(methods, path)
    return paths_out


def _require_protected_routes(service: dict[str, Any]) -> None:
    found = {
        op.get("operationId")
        for item in service.get("paths", {}).values()
        for op in item.values()
        if isinstance(op, dict)
    }
    missing = [name for name in PROTECTED_OPERATIONS if name not in found]
    if missing:
        raise ServiceDocumentUnavailable(
            f"the service's document has no operation {', '.join(missing)}, which the API "
            "protects with sign-in: update PROTECTED_OPERATIONS to the service's operationIds"
        )


def gateway_responses() -> dict[str, Any]:
    """DEFAULT_4XX and DEFAULT_5XX with CORS headers, so a browser can read the gateway's errors."""
    headers = {
        "gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
        "gatewayresponse.header.Access-Control-Allow-Headers": f"'{CORS_HEADERS}'",
    }
    return {
        kind: {
            "responseParameters": headers,
            "responseTemplates": {"application/json": ERROR_TEMPLATE},
        }
        for kind in ("DEFAULT_4XX", "DEFAULT_5XX")
    }


def security_schemes(pool_arn: str) -> dict[str, Any]:
    """The COGNITO_USER_POOLS authorizer: the ID token from `Authorization`, checked on the pool."""
    return {
        AUTHORIZER: {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "cognito_user_pools",
            "x-amazon-apigateway-authorizer": {
                "type": "cognito_user_pools",
                "providerARNs": [pool_arn],
            },
        }
    }


def api_document(
    service: dict[str, Any], *, name: str, balancer_dns: str, vpc_link_id: str, pool_arn: str
) -> dict[str, Any]:
    """The REST API's OpenAPI 3.0 document: the service's routes, proxied through the VPC link,
    like and adopt behind the pool's authorizer, CORS, gateway responses and a validator."""
    _require_protected_routes(service)
    info = service.get("info", {})
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": name,
            "version": str(info.get("version", "1")),
            "description": f"{info.get('title', 'The service')} through API Gateway: "
            f"{info.get('description', '')}".strip(),
        },
        "paths": _paths(service, balancer_dns, vpc_link_id),
        "components": {"securitySchemes": security_schemes(pool_arn)},
        "x-amazon-apigateway-request-validators": {
            VALIDATOR: {"validateRequestParameters": True, "validateRequestBody": False}
        },
        "x-amazon-apigateway-request-validator": VALIDATOR,
        "x-amazon-apigateway-gateway-responses": gateway_responses(),
    }


def digest(document: dict[str, Any]) -> str:
    """A stable fingerprint of `document` (key order and spacing do not matter)."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def routes(document: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(method, path, needs sign-in) for every operation of `document`, preflights included."""
    return [
        (method.upper(), path, bool(operation.get("security")))
        for path, item in document.get("paths", {}).items()
        for method, operation in item.items()
    ]
