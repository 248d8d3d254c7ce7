"""Service hardening: bind address, request body limit, repeated parameters, the image's pins."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mysfits_service.body_limit import MAX_BODY_BYTES
from mysfits_service.config import ConfigError, read_bind_address
from mysfits_service.healthcheck import health_url

REPO_ROOT = Path(__file__).resolve().parents[2]


def _error_code(response: Any) -> str:
    assert response.headers["content-type"].startswith("application/json")
    return str(response.json()["error"]["code"])


def test_bind_address_defaults_to_every_interface_and_is_validated() -> None:
    assert read_bind_address(None) == "0.0.0.0"
    assert read_bind_address(" 127.0.0.1 ") == "127.0.0.1"
    assert read_bind_address("::1") == "::1"
    for bad in ("localhost", "127.0.0.256", "0.0.0.0:80"):
        with pytest.raises(ConfigError, match="BIND_ADDRESS"):
            read_bind_address(bad)


def test_health_url_follows_the_servers_own_variables() -> None:
    assert health_url({}) == "http://127.0.0.1:8080/"
    assert health_url({"BIND_ADDRESS": "::", "PORT": "9000"}) == "http://[::1]:9000/"
    assert health_url({"BIND_ADDRESS": "10.1.2.3"}) == "http://10.1.2.3:8080/"


@pytest.mark.parametrize("action", ["like", "adopt"])
def test_a_body_over_the_limit_is_413(
    file_client: TestClient, records: list[dict[str, Any]], action: str
) -> None:
    path = f"/mysfits/{records[0]['mysfitId']}/{action}"
    response = file_client.post(path, content=b"x" * (MAX_BODY_BYTES + 1))
    assert response.status_code == 413 and _error_code(response) == "payload_too_large"
    assert str(MAX_BODY_BYTES) in response.json()["error"]["message"]
    # A body within the limit reaches the route (501: the file backend has no database).
    assert file_client.post(path, content=b"{}").status_code == 501


def test_a_chunked_body_over_the_limit_is_413(file_client: TestClient) -> None:
    def chunks() -> Any:
        for _ in range(4):
            yield b"y" * (MAX_BODY_BYTES // 2)

    response = file_client.post("/mysfits/x/like", content=chunks())
    assert response.status_code == 413 and _error_code(response) == "payload_too_large"
    small = file_client.post("/mysfits/x/like", content=iter([b"{", b"}"]))
    assert small.status_code == 501  # the route ran (the file backend has no database)


@pytest.mark.parametrize(
    "query",
    [
        "filter=GoodEvil&filter=LawChaos&value=Good",
        "filter=GoodEvil&value=Good&value=Evil",
        "filter=GoodEvil&value=Good&filter=GoodEvil&value=Good",
    ],
)
def test_repeated_filter_or_value_is_400(file_client: TestClient, query: str) -> None:
    response = file_client.get(f"/mysfits?{query}")
    assert response.status_code == 400 and _error_code(response) == "bad_request"
    assert "once only" in response.json()["error"]["message"]


def test_dockerfile_pins_the_base_image_by_tag_and_digest_and_has_a_healthcheck() -> None:
    text = (REPO_ROOT / "service" / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11\.14-slim-bookworm@sha256:[0-9a-f]{64}$", text, re.M)
    healthcheck = re.search(r"^HEALTHCHECK .*\\\n\s+CMD (\[.*\])$", text, re.M)
    assert healthcheck is not None
    assert '"-m", "mysfits_service.healthcheck"' in healthcheck.group(1)
    assert (REPO_ROOT / "service" / "mysfits_service" / "healthcheck.py").is_file()
