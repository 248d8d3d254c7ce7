"""Fixtures for the API service tests (the service is not installed: put it on sys.path)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICE_DIR = REPO_ROOT / "service"
DATA_FILE = REPO_ROOT / "data" / "mysfits.json"
TABLE = "MysfitsTable"

if str(SERVICE_DIR) not in sys.path:
    sys.path.insert(0, str(SERVICE_DIR))

from fastapi.testclient import TestClient  # noqa: E402

from mysfits_service.app import create_app  # noqa: E402
from mysfits_service.config import Settings  # noqa: E402
from mysfits_service.records import item_from_record  # noqa: E402

_SERVICE_ENV = (
    "PORT",
    "MYSFITS_TABLE",
    "MYSFITS_DATA_FILE",
    "MYSFITS_LIST_CACHE_SECONDS",
    "CORS_ALLOW_ORIGINS",
    "MYSFITS_RELEASE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_PROFILE",
)


@pytest.fixture(autouse=True)
def _clean_service_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's shell (e.g. a local-cloud endpoint) out of the tests."""
    for name in _SERVICE_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def records() -> list[dict[str, Any]]:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))["mysfits"]


@pytest.fixture
def file_client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data_file=str(DATA_FILE)))) as client:
        yield client


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")


def create_table(client: Any, table: str = TABLE) -> None:
    """The production table layout: MysfitId key, GoodEvil and LawChaos indexes."""

    def index(name: str) -> dict[str, Any]:
        return {
            "IndexName": f"{name}Index",
            "KeySchema": [
                {"AttributeName": name, "KeyType": "HASH"},
                {"AttributeName": "MysfitId", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }

    client.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "MysfitId", "AttributeType": "S"},
            {"AttributeName": "GoodEvil", "AttributeType": "S"},
            {"AttributeName": "LawChaos", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "MysfitId", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[index("GoodEvil"), index("LawChaos")],
    )


@pytest.fixture
def dynamodb(aws_credentials: None, records: list[dict[str, Any]]) -> Iterator[Any]:
    """A moto-backed DynamoDB client with the table created and seeded."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client)
        for record in records:
            client.put_item(TableName=TABLE, Item=item_from_record(record))
        yield client


@pytest.fixture
def table_count(dynamodb: Any) -> Any:
    """Function returning how many items the table holds."""
    return lambda: dynamodb.scan(TableName=TABLE, Select="COUNT")["Count"]


@pytest.fixture
def make_dynamo_client(dynamodb: Any) -> Iterator[Any]:
    """Factory: a TestClient on the DynamoDB backend, with optional settings overrides."""
    opened: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        settings = Settings(table=TABLE, **overrides)
        client = TestClient(create_app(settings), raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def dynamo_client(make_dynamo_client: Any) -> TestClient:
    return make_dynamo_client()
