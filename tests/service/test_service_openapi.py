"""The published OpenAPI document matches what the service answers."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from .expectations import DATA_FIELDS

EXPECTED = {
    ("/", "get"): {"200"},
    ("/mysfits", "get"): {"200", "400", "500", "503"},
    ("/mysfits/{mysfitId}", "get"): {"200", "400", "404", "500", "503"},
    ("/mysfits/{mysfitId}/like", "post"): {"200", "400", "404", "500", "501", "503"},
    ("/mysfits/{mysfitId}/adopt", "post"): {"200", "400", "404", "409", "500", "501", "503"},
}


def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_document_is_valid_openapi(file_client: TestClient) -> None:
    validate(document(file_client))


def test_every_route_documents_its_statuses(file_client: TestClient) -> None:
    paths = document(file_client)["paths"]
    found = {
        (path, method): set(op["responses"])
        for path, item in paths.items()
        for method, op in item.items()
    }
    assert found == EXPECTED


def test_response_models(file_client: TestClient) -> None:
    doc = document(file_client)
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    mysfit = schemas["Mysfit"]
    assert set(mysfit["required"]) == DATA_FIELDS
    assert mysfit["properties"]["likes"]["type"] == "integer"
    assert mysfit["properties"]["adopted"]["type"] == "boolean"
    error = doc["paths"]["/mysfits/{mysfitId}/adopt"]["post"]["responses"]["409"]
    assert error["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    listing = doc["paths"]["/mysfits"]["get"]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/MysfitList"
    )
    params = {p["name"]: p["schema"] for p in listing["parameters"]}
    assert params["filter"] == {
        **params["filter"],
        "type": "string",
        "enum": ["GoodEvil", "LawChaos"],
    }
    assert "anyOf" not in params["value"]


def test_operation_ids(file_client: TestClient) -> None:
    paths = document(file_client)["paths"]
    ids = sorted(op["operationId"] for item in paths.values() for op in item.values())
    assert ids == ["adoptMysfit", "getMysfit", "healthCheck", "likeMysfit", "listMysfits"]
