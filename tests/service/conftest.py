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
from mysfits_service.auth import Identity  # noqa: E402
from mysfits_service.config import Settings  # noqa: E402
from mysfits_service.records import item_from_record  # noqa: E402

from . import tokens  # noqa: E402

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
    "MYSFITS_COGNITO_POOL_ID",
    "MYSFITS_COGNITO_REGION",
    "MYSFITS_COGNITO_CLIENT_ID",
    "MYSFITS_COGNITO_JWKS_URL",
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

    def make(identity: Identity | None = None, **overrides: Any) -> TestClient:
        settings = Settings(table=TABLE, **overrides)
        client = TestClient(create_app(settings, identity=identity), raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def dynamo_client(make_dynamo_client: Any) -> TestClient:
    return make_dynamo_client()


@pytest.fixture
def dynamodb_as_served(dynamodb: Any) -> Iterator[Any]:
    """moto with the local cloud's DynamoDB fidelity fix: every item write atomic, as on AWS.

    moto alone applies an UpdateItem as unlocked Python steps (parse, read, evaluate, write,
    serialise the answer), so concurrent writes to one item can be lost, or one request's
    answer can be serialised while another mutates the item ("dictionary changed size during
    iteration"). DynamoDB applies each write atomically; the local cloud restores that in
    `mysfits.local.dynamodb.patches`, the backend the service meets in the workshop.
    """
    from mysfits.local.core.patching import Patches
    from mysfits.local.dynamodb import patches as dynamodb_fix

    patches = Patches()
    dynamodb_fix.apply(patches)
    try:
        yield dynamodb
    finally:
        patches.undo_all()


@pytest.fixture
def frequent_thread_switches() -> Iterator[None]:
    """Switch threads as often as the interpreter allows, so races show on every run."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


@pytest.fixture(scope="session")
def pool_key() -> tokens.PoolKey:
    """The test user pool's signing key."""
    return tokens.PoolKey()


@pytest.fixture(scope="session")
def stranger_key() -> tokens.PoolKey:
    """A key of some other pool (or an attacker's)."""
    return tokens.PoolKey()


@pytest.fixture
def endpoint(pool_key: tokens.PoolKey) -> tokens.FakeJwksEndpoint:
    """The pool's JWKS URL, in process."""
    return tokens.FakeJwksEndpoint(tokens.jwks(pool_key))
