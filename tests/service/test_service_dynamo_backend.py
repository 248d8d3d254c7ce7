"""The API on the DynamoDB backend, against moto's in-process mock."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from fastapi.testclient import TestClient

from mysfits_service.dynamo_store import DynamoStore
from mysfits_service.models import Mysfit, MysfitList

from .expectations import FILTER_COUNTS

TABLE = "MysfitsTable"
UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"


def client_error(code: str, operation: str, request_id: str = "REQ-1234") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": f"simulated {code}"},
            "ResponseMetadata": {"RequestId": request_id, "HTTPStatusCode": 400},
        },
        operation,
    )


def store_of(client: TestClient) -> DynamoStore:
    store = client.app.state.store  # type: ignore[attr-defined]
    assert isinstance(store, DynamoStore)
    return store


def test_list_reads_the_table(dynamo_client: TestClient, records: list[dict[str, Any]]) -> None:
    response = dynamo_client.get("/mysfits")
    assert response.status_code == 200
    mysfits = response.json()["mysfits"]
    assert len(mysfits) == 12
    MysfitList.model_validate(response.json())
    by_id = {m["mysfitId"]: m for m in mysfits}
    for record in records:
        assert by_id[record["mysfitId"]] == {**record, "likes": 0, "adopted": False}


@pytest.mark.parametrize(
    ("name", "value", "count"),
    FILTER_COUNTS,
)
def test_filters_query_the_indexes(
    make_dynamo_client: Any, name: str, value: str, count: int
) -> None:
    client = make_dynamo_client()
    store = store_of(client)
    index_queries: list[str] = []
    real_query = store.client.query

    def spy(**request: Any) -> Any:
        index_queries.append(request["IndexName"])
        return real_query(**request)

    store.client.query = spy
    response = client.get("/mysfits", params={"filter": name, "value": value})
    assert response.status_code == 200
    mysfits = response.json()["mysfits"]
    assert len(mysfits) == count
    assert index_queries == [f"{name}Index"]
    field = name[0].lower() + name[1:]
    assert all(m[field] == value for m in mysfits)


def test_bad_filter_is_400(dynamo_client: TestClient) -> None:
    response = dynamo_client.get("/mysfits", params={"filter": "GoodEvil", "value": "Chaotic"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_get_one_and_unknown(dynamo_client: TestClient, records: list[dict[str, Any]]) -> None:
    response = dynamo_client.get(f"/mysfits/{records[0]['mysfitId']}")
    assert response.status_code == 200
    Mysfit.model_validate(response.json())
    assert response.json()["name"] == records[0]["name"]
    missing = dynamo_client.get(f"/mysfits/{UNKNOWN_ID}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_like_increments(dynamo_client: TestClient, records: list[dict[str, Any]]) -> None:
    mysfit_id = records[2]["mysfitId"]
    first = dynamo_client.post(f"/mysfits/{mysfit_id}/like")
    second = dynamo_client.post(f"/mysfits/{mysfit_id}/like")
    assert first.status_code == second.status_code == 200
    assert first.json()["likes"] == 1
    assert second.json()["likes"] == 2
    Mysfit.model_validate(second.json())
    assert dynamo_client.get(f"/mysfits/{mysfit_id}").json()["likes"] == 2


@pytest.mark.parametrize("action", ["like", "adopt"])
def test_write_to_unknown_id_is_404_and_writes_nothing(
    dynamo_client: TestClient, table_count: Any, action: str
) -> None:
    response = dynamo_client.post(f"/mysfits/{UNKNOWN_ID}/{action}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert table_count() == 12


def test_adopt_once_then_409(dynamo_client: TestClient, records: list[dict[str, Any]]) -> None:
    mysfit_id = records[5]["mysfitId"]
    first = dynamo_client.post(f"/mysfits/{mysfit_id}/adopt")
    assert first.status_code == 200
    assert first.json()["adopted"] is True
    second = dynamo_client.post(f"/mysfits/{mysfit_id}/adopt")
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "already_adopted"
    assert dynamo_client.get(f"/mysfits/{mysfit_id}").json()["adopted"] is True


def test_adopt_409_without_return_values_on_failure(
    dynamo_client: TestClient, records: list[dict[str, Any]]
) -> None:
    """Emulators that ignore ReturnValuesOnConditionCheckFailure still get 404 vs 409 right."""
    store = store_of(dynamo_client)
    real_update = store.client.update_item

    def update_without_old_item(**request: Any) -> Any:
        try:
            return real_update(**request)
        except ClientError as exc:
            exc.response.pop("Item", None)
            raise

    store.client.update_item = update_without_old_item
    mysfit_id = records[6]["mysfitId"]
    assert dynamo_client.post(f"/mysfits/{mysfit_id}/adopt").status_code == 200
    assert dynamo_client.post(f"/mysfits/{mysfit_id}/adopt").status_code == 409
    assert dynamo_client.post(f"/mysfits/{UNKNOWN_ID}/adopt").status_code == 404


def test_item_missing_attributes_is_skipped_and_logged(
    dynamodb: Any, dynamo_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    dynamodb.put_item(
        TableName=TABLE,
        Item={"MysfitId": {"S": "broken-1"}, "Name": {"S": "Half"}, "GoodEvil": {"S": "Good"}},
    )
    dynamodb.put_item(
        TableName=TABLE,
        Item={
            "MysfitId": {"S": "broken-2"},
            "Name": {"S": "Odd"},
            "Species": {"S": "?"},
            "Age": {"S": "old"},
            "GoodEvil": {"S": "Good"},
            "LawChaos": {"S": "Lawful"},
            "Description": {"S": ""},
            "ThumbImageUri": {"S": ""},
            "ProfileImageUri": {"S": ""},
        },
    )
    with caplog.at_level(logging.WARNING):
        everything = dynamo_client.get("/mysfits")
        good = dynamo_client.get("/mysfits", params={"filter": "GoodEvil", "value": "Good"})
        one = dynamo_client.get("/mysfits/broken-1")
    assert everything.status_code == 200 and len(everything.json()["mysfits"]) == 12
    assert good.status_code == 200 and len(good.json()["mysfits"]) == 4
    assert one.status_code == 404
    assert "broken-1" in caplog.text and "broken-2" in caplog.text
    assert "skipping malformed mysfit" in caplog.text


@pytest.mark.parametrize(
    "code",
    ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"],
)
def test_throttling_is_503_json(
    dynamo_client: TestClient, caplog: pytest.LogCaptureFixture, code: str
) -> None:
    store = store_of(dynamo_client)

    def throttled(**request: Any) -> Any:
        raise client_error(code, "Scan", request_id="REQ-THROTTLED")

    store.client.scan = throttled
    with caplog.at_level(logging.WARNING):
        response = dynamo_client.get("/mysfits")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["code"] == "service_unavailable"
    assert "Traceback" not in response.text and code not in response.text
    assert "REQ-THROTTLED" in caplog.text and code in caplog.text


def test_access_denied_is_generic_500(
    dynamo_client: TestClient, records: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    store = store_of(dynamo_client)

    def denied(**request: Any) -> Any:
        raise client_error("AccessDeniedException", "GetItem", request_id="REQ-DENIED")

    store.client.get_item = denied
    with caplog.at_level(logging.WARNING):
        response = dynamo_client.get(f"/mysfits/{records[0]['mysfitId']}")
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "The request could not be completed."}
    }
    assert "REQ-DENIED" in caplog.text and "AccessDeniedException" in caplog.text


def test_unreachable_database_is_503(dynamo_client: TestClient) -> None:
    store = store_of(dynamo_client)

    def unreachable(**request: Any) -> Any:
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

    store.client.update_item = unreachable
    response = dynamo_client.post(f"/mysfits/{UNKNOWN_ID}/like")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"


def test_list_pages_through_scan_and_query(
    dynamodb: Any, make_dynamo_client: Any, records: list[dict[str, Any]]
) -> None:
    from mysfits_service.records import item_from_record

    for number in range(30):
        extra = dict(records[0], mysfitId=f"extra-{number:02d}", goodEvil="Good")
        dynamodb.put_item(TableName=TABLE, Item=item_from_record(extra))
    client = make_dynamo_client(page_size=5)
    store = store_of(client)
    calls: list[str] = []
    real_scan, real_query = store.client.scan, store.client.query

    def scan(**request: Any) -> Any:
        calls.append("scan")
        assert request["Limit"] == 5
        return real_scan(**request)

    def query(**request: Any) -> Any:
        calls.append("query")
        return real_query(**request)

    store.client.scan, store.client.query = scan, query
    everything = client.get("/mysfits").json()["mysfits"]
    assert len(everything) == 42
    assert len({m["mysfitId"] for m in everything}) == 42
    assert calls.count("scan") >= 9
    good = client.get("/mysfits", params={"filter": "GoodEvil", "value": "Good"}).json()["mysfits"]
    assert len(good) == 34
    assert calls.count("query") >= 7


def test_list_is_cached_but_profile_reads_are_not(
    make_dynamo_client: Any, records: list[dict[str, Any]]
) -> None:
    client = make_dynamo_client(list_cache_seconds=60)
    store = store_of(client)
    scans: list[int] = []
    real_scan = store.client.scan

    def scan(**request: Any) -> Any:
        scans.append(1)
        return real_scan(**request)

    store.client.scan = scan
    mysfit_id = records[0]["mysfitId"]
    for _ in range(5):
        assert client.get("/mysfits").status_code == 200
    assert len(scans) == 1

    assert client.post(f"/mysfits/{mysfit_id}/like").json()["likes"] == 1
    assert client.get(f"/mysfits/{mysfit_id}").json()["likes"] == 1
    # The cached list was patched in place, without another scan.
    listed = {m["mysfitId"]: m for m in client.get("/mysfits").json()["mysfits"]}
    assert listed[mysfit_id]["likes"] == 1
    assert client.post(f"/mysfits/{mysfit_id}/adopt").status_code == 200
    assert client.get(f"/mysfits/{mysfit_id}").json()["adopted"] is True
    listed = {m["mysfitId"]: m for m in client.get("/mysfits").json()["mysfits"]}
    assert listed[mysfit_id]["adopted"] is True
    assert len(scans) == 1


def test_concurrent_likes_are_all_counted(
    dynamodb_as_served: Any,
    dynamo_client: TestClient,
    records: list[dict[str, Any]],
    frequent_thread_switches: None,
) -> None:
    # The service's part of atomicity: each like is one conditional `ADD` that DynamoDB
    # applies atomically; it never reads the count and writes it back.
    store = store_of(dynamo_client)
    operations: list[str] = []
    real_update, real_get = store.client.update_item, store.client.get_item

    def update(**request: Any) -> Any:
        operations.append(request["UpdateExpression"])
        return real_update(**request)

    def get(**request: Any) -> Any:
        operations.append("GetItem")
        return real_get(**request)

    store.client.update_item, store.client.get_item = update, get
    mysfit_id = records[1]["mysfitId"]
    before = store.get_mysfit(mysfit_id)["likes"]
    operations.clear()
    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(lambda _: store.like(mysfit_id)["likes"], range(200)))
    assert operations == ["ADD Likes :one"] * 200  # no read-modify-write on our side
    assert store.get_mysfit(mysfit_id)["likes"] == before + 200
    # Each answer is the count right after that like: none lost, none repeated.
    assert sorted(results) == list(range(before + 1, before + 201))
