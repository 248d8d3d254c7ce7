"""The API on the file backend (no MYSFITS_TABLE)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mysfits_service.app import create_app
from mysfits_service.config import ConfigError, Settings, read_port
from mysfits_service.models import MysfitList

from .expectations import DATA_FIELDS, FILTER_COUNTS

DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "mysfits.json"


def assert_error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    return body["error"]["message"]


def test_health_is_cheap_json(file_client: TestClient) -> None:
    response = file_client.get("/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_list_returns_every_mysfit_with_data_file_fields(
    file_client: TestClient, records: list[dict[str, Any]]
) -> None:
    response = file_client.get("/mysfits")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    mysfits = response.json()["mysfits"]
    assert len(mysfits) == 12
    assert mysfits == records
    assert all(set(m) == DATA_FIELDS for m in mysfits)
    MysfitList.model_validate(response.json())


@pytest.mark.parametrize(
    ("name", "value", "count"),
    FILTER_COUNTS,
)
def test_filter_counts(file_client: TestClient, name: str, value: str, count: int) -> None:
    response = file_client.get("/mysfits", params={"filter": name, "value": value})
    assert response.status_code == 200
    mysfits = response.json()["mysfits"]
    assert len(mysfits) == count
    field = name[0].lower() + name[1:]
    assert all(m[field] == value for m in mysfits)


def test_unknown_filter_is_400_naming_allowed_values(file_client: TestClient) -> None:
    message = assert_error(
        file_client.get("/mysfits", params={"filter": "Species", "value": "Dragon"}),
        400,
        "bad_request",
    )
    for word in ("GoodEvil", "LawChaos", "Good", "Evil", "Lawful", "Chaotic", "Neutral"):
        assert word in message


def test_unknown_value_is_400_naming_allowed_values(file_client: TestClient) -> None:
    message = assert_error(
        file_client.get("/mysfits", params={"filter": "GoodEvil", "value": "Lawful"}),
        400,
        "bad_request",
    )
    assert "Good, Neutral, Evil" in message


@pytest.mark.parametrize("params", [{"filter": "GoodEvil"}, {"value": "Good"}, {"filter": ""}])
def test_filter_and_value_go_together(file_client: TestClient, params: dict[str, str]) -> None:
    assert_error(file_client.get("/mysfits", params=params), 400, "bad_request")


def test_get_one(file_client: TestClient, records: list[dict[str, Any]]) -> None:
    record = records[3]
    response = file_client.get(f"/mysfits/{record['mysfitId']}")
    assert response.status_code == 200
    assert response.json() == record


def test_unknown_id_is_404(file_client: TestClient) -> None:
    assert_error(file_client.get("/mysfits/00000000-0000-0000-0000-000000000000"), 404, "not_found")


@pytest.mark.parametrize("path", ["/mysfits/a%20b", "/mysfits/%00", "/mysfits/" + "a" * 129])
def test_malformed_id_is_400(file_client: TestClient, path: str) -> None:
    assert_error(file_client.get(path), 400, "bad_request")


@pytest.mark.parametrize("action", ["like", "adopt"])
def test_writes_answer_501_without_a_database(
    file_client: TestClient, records: list[dict[str, Any]], action: str
) -> None:
    message = assert_error(
        file_client.post(f"/mysfits/{records[0]['mysfitId']}/{action}"), 501, "not_implemented"
    )
    assert "no database yet" in message


def test_unknown_route_and_method_are_json(file_client: TestClient) -> None:
    assert_error(file_client.get("/nope"), 404, "not_found")
    assert_error(file_client.get("/mysfits/"), 404, "not_found")  # no slash redirect
    response = file_client.delete("/mysfits")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


def test_cors_defaults_to_any_origin(file_client: TestClient) -> None:
    response = file_client.options(
        "/mysfits",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers
    simple = file_client.get("/mysfits", headers={"Origin": "https://example.org"})
    assert simple.headers["access-control-allow-origin"] == "*"


def test_cors_origins_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("MYSFITS_DATA_FILE", str(DATA_FILE))
    with TestClient(create_app()) as client:
        allowed = client.get("/", headers={"Origin": "https://b.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://b.example"
        denied = client.get("/", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in denied.headers


def test_access_log_line_per_request(
    file_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="mysfits_service.access"):
        file_client.get("/mysfits", params={"filter": "GoodEvil", "value": "Good"})
        file_client.get("/mysfits/nope%0Aforged")
    lines = [r.getMessage() for r in caplog.records if r.name == "mysfits_service.access"]
    assert len(lines) == 2
    method, path, status, elapsed = lines[0].split(" ")
    assert (method, path, status) == ("GET", "/mysfits", "200")
    assert elapsed.endswith("ms")
    assert "\n" not in lines[1] and lines[1].split(" ")[2] == "400"


def test_malformed_records_in_data_file_are_skipped_and_logged(
    tmp_path: Path, records: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    broken = [dict(records[0]), {"mysfitId": "half", "name": "Half"}, dict(records[1], age="old")]
    data_file = tmp_path / "mysfits.json"
    data_file.write_text(json.dumps({"mysfits": broken}), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        client = TestClient(create_app(Settings(data_file=str(data_file))))
    assert [m["mysfitId"] for m in client.get("/mysfits").json()["mysfits"]] == [
        records[0]["mysfitId"]
    ]
    assert "half" in caplog.text and records[1]["mysfitId"] in caplog.text


def test_settings_from_env() -> None:
    settings = Settings.from_env({})
    assert settings == Settings(data_file="data/mysfits.json", table=None, list_cache_seconds=2.0)
    assert settings.cors_allow_origins == ("*",)
    settings = Settings.from_env(
        {
            "MYSFITS_TABLE": " Mysfits ",
            "MYSFITS_DATA_FILE": "x.json",
            "MYSFITS_LIST_CACHE_SECONDS": "0.5",
            "CORS_ALLOW_ORIGINS": "https://a.example,,",
        }
    )
    assert settings.table == "Mysfits"
    assert settings.data_file == "x.json"
    assert settings.list_cache_seconds == 0.5
    assert settings.cors_allow_origins == ("https://a.example",)
    assert Settings.from_env({"MYSFITS_TABLE": ""}).table is None
    with pytest.raises(ConfigError):
        Settings.from_env({"MYSFITS_LIST_CACHE_SECONDS": "soon"})


def test_read_port() -> None:
    assert read_port(None) == 8080
    assert read_port("18080") == 18080
    for bad in ("http", "0", "70000"):
        with pytest.raises(ConfigError):
            read_port(bad)
