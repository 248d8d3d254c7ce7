"""Fixtures for the click stream's deployable (streaming/ is not installed: put it on sys.path)."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
STREAMING_DIR = REPO_ROOT / "streaming"
TEMPLATE = STREAMING_DIR / "template.yml"
DATA_FILE = REPO_ROOT / "data" / "mysfits.json"
TABLE = "unit-mysfits"

if str(STREAMING_DIR) not in sys.path:
    sys.path.insert(0, str(STREAMING_DIR))


@pytest.fixture(scope="session")
def mysfits() -> list[dict[str, Any]]:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))["mysfits"]


def record(record_id: str, body: Any, raw: bytes | None = None) -> dict[str, Any]:
    """One record of a Firehose transformation event (body as JSON, or raw bytes)."""
    data = raw if raw is not None else json.dumps(body).encode()
    return {
        "recordId": record_id,
        "approximateArrivalTimestamp": 1_700_000_000_000,
        "data": base64.b64encode(data).decode(),
    }


def click(mysfit_id: str, number: int = 0, user: str | None = None) -> dict[str, Any]:
    """A click as the API's mapping template writes it."""
    body: dict[str, Any] = {
        "clickId": f"click-{number}",
        "mysfitId": mysfit_id,
        "requestTime": 1_700_000_000_000 + number,
    }
    if user is not None:
        body["userId"] = user
    return body


def item(mysfit: dict[str, Any]) -> dict[str, Any]:
    """A mysfit as the module-3 table stores it (low-level DynamoDB form)."""
    return {
        "MysfitId": {"S": mysfit["mysfitId"]},
        "Name": {"S": mysfit["name"]},
        "Species": {"S": mysfit["species"]},
        "Age": {"N": str(mysfit["age"])},
        "GoodEvil": {"S": mysfit["goodEvil"]},
        "LawChaos": {"S": mysfit["lawChaos"]},
        "Description": {"S": mysfit["description"]},
    }


@pytest.fixture
def table(mysfits: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto DynamoDB table seeded with the data set; MYSFITS_TABLE names it."""
    import boto3
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "MYSFITS_TABLE": TABLE,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "MysfitId", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "MysfitId", "KeyType": "HASH"}],
        )
        for mysfit in mysfits:
            client.put_item(TableName=TABLE, Item=item(mysfit))
        yield client
