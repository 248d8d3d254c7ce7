"""Module 4's OpenAPI document: the service's routes with API Gateway's extensions."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from mysfits import apidocument

DNS = "mysfits-nlb-0123456789abcdef.elb.us-east-1.amazonaws.com"
LINK = "a1b2c3"
POOL = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123xyZ"


@pytest.fixture(scope="module")
def service() -> dict[str, Any]:
    """The service's own document, built from the checkout (once: it starts a Python)."""
    return apidocument.service_document()


def _document(service: dict[str, Any]) -> dict[str, Any]:
    return apidocument.api_document(
        service, name="mysfits-api", balancer_dns=DNS, vpc_link_id=LINK, pool_arn=POOL
    )


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def test_the_service_document_names_the_services_routes(service: dict[str, Any]) -> None:
    found = {(method.upper(), path) for path, item in service["paths"].items() for method in item}
    assert found == {
        ("GET", "/"),
        ("GET", "/mysfits"),
        ("GET", "/mysfits/{mysfitId}"),
        ("POST", "/mysfits/{mysfitId}/like"),
        ("POST", "/mysfits/{mysfitId}/adopt"),
    }


def test_every_route_is_proxied_over_the_vpc_link_to_the_same_path(
    service: dict[str, Any],
) -> None:
    document = _document(service)
    proxied = {k: op for k, op in _operations(document).items() if k[0] != "OPTIONS"}
    assert len(proxied) == 5
    for (method, path), operation in proxied.items():
        integration = operation["x-amazon-apigateway-integration"]
        assert integration["type"] == "http_proxy"
        assert integration["httpMethod"] == method
        assert integration["uri"] == f"http://{DNS}{path}"
        assert (integration["connectionType"], integration["connectionId"]) == ("VPC_LINK", LINK)
    like = proxied[("POST", "/mysfits/{mysfitId}/like")]["x-amazon-apigateway-integration"]
    assert like["requestParameters"] == {
        "integration.request.path.mysfitId": "method.request.path.mysfitId"
    }
    assert (
        proxied[("GET", "/mysfits")]["x-amazon-apigateway-integration"]["requestParameters"] == {}
    )


def test_only_like_and_adopt_need_the_pools_authorizer(service: dict[str, Any]) -> None:
    document = _document(service)
    protected = sorted(path for method, path, signed in apidocument.routes(document) if signed)
    assert protected == ["/mysfits/{mysfitId}/adopt", "/mysfits/{mysfitId}/like"]
    scheme = document["components"]["securitySchemes"][apidocument.AUTHORIZER]
    assert (scheme["type"], scheme["name"], scheme["in"]) == ("apiKey", "Authorization", "header")
    assert scheme["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    assert scheme["x-amazon-apigateway-authorizer"] == {
        "type": "cognito_user_pools",
        "providerARNs": [POOL],
    }


def test_each_path_answers_preflights_itself_with_its_own_methods(
    service: dict[str, Any],
) -> None:
    document = _document(service)
    for path, item in document["paths"].items():
        options = item["options"]["x-amazon-apigateway-integration"]
        assert options["type"] == "mock" and options["passthroughBehavior"] == "never"
        headers = options["responses"]["default"]["responseParameters"]
        methods = {m.upper() for m in item if m != "options"} | {"OPTIONS"}
        allowed = headers["method.response.header.Access-Control-Allow-Methods"]
        assert set(allowed.strip("'").split(",")) == methods, path
        assert headers["method.response.header.Access-Control-Allow-Origin"] == "'*'"
        assert "Authorization" in headers["method.response.header.Access-Control-Allow-Headers"]


def test_gateway_errors_carry_cors_headers_and_parameters_are_validated(
    service: dict[str, Any],
) -> None:
    document = _document(service)
    responses = document["x-amazon-apigateway-gateway-responses"]
    assert set(responses) == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for response in responses.values():
        origin = response["responseParameters"][
            "gatewayresponse.header.Access-Control-Allow-Origin"
        ]
        assert origin == "'*'"
        assert response["responseTemplates"]["application/json"] == apidocument.ERROR_TEMPLATE
    validator = document["x-amazon-apigateway-request-validator"]
    assert document["x-amazon-apigateway-request-validators"][validator] == {
        "validateRequestParameters": True,
        "validateRequestBody": False,
    }


def test_the_document_is_openapi_3_0_without_31_schemas(service: dict[str, Any]) -> None:
    document = _document(service)
    assert service["openapi"].startswith("3.1") and document["openapi"] == "3.0.1"
    assert document["info"]["title"] == "mysfits-api"
    text = json.dumps(document)
    assert "$ref" not in text and "anyOf" not in text  # no 3.1 schemas API Gateway cannot model


def test_a_service_without_like_or_adopt_is_refused_with_the_fix(service: dict[str, Any]) -> None:
    renamed = copy.deepcopy(service)
    renamed["paths"]["/mysfits/{mysfitId}/like"]["post"]["operationId"] = "likeIt"
    with pytest.raises(apidocument.ServiceDocumentUnavailable, match="likeMysfit.*PROTECTED"):
        _document(renamed)


def test_an_authorization_parameter_of_the_service_is_left_to_the_authorizer(
    service: dict[str, Any],
) -> None:
    declared = copy.deepcopy(service)
    like = declared["paths"]["/mysfits/{mysfitId}/like"]["post"]
    like["parameters"].append({"name": "authorization", "in": "header", "required": True})
    parameters = _document(declared)["paths"]["/mysfits/{mysfitId}/like"]["post"]["parameters"]
    assert [p["name"] for p in parameters] == ["mysfitId"]


def test_the_digest_ignores_key_order_and_changes_with_content(service: dict[str, Any]) -> None:
    document = _document(service)
    reordered = json.loads(json.dumps(document, sort_keys=True))
    assert apidocument.digest(reordered) == apidocument.digest(document)
    moved = apidocument.api_document(
        service, name="mysfits-api", balancer_dns=DNS, vpc_link_id="other", pool_arn=POOL
    )
    assert apidocument.digest(moved) != apidocument.digest(document)


def test_a_service_that_cannot_start_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "index.html").write_text("")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "mysfits.json").write_text("[]")
    monkeypatch.setenv("MYSFITS_REPO", str(tmp_path))  # a checkout without service/
    with pytest.raises(apidocument.ServiceDocumentUnavailable, match="pip install -r"):
        apidocument.service_document()
