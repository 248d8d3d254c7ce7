"""Module 3's table through `mysfits.database` on a local cloud, and the DynamoDB fidelity fix."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from mysfits import cleanup, database, paths
from mysfits.errors import ResourceNotFound
from mysfits.workshop import Workshop

pytestmark = pytest.mark.integration

COUNTS = [
    ("GoodEvilIndex", "Good", 4),
    ("GoodEvilIndex", "Neutral", 4),
    ("GoodEvilIndex", "Evil", 4),
    ("LawChaosIndex", "Lawful", 3),
    ("LawChaosIndex", "Neutral", 5),
    ("LawChaosIndex", "Chaotic", 4),
]
GRETTA = "a90780e4-7dd7-515e-baba-52b2038f1870"


@pytest.fixture
def table(ws: Workshop) -> Iterator[database.Table]:
    """A created, seeded table of the test's own prefix; deleted afterwards."""
    created = database.ensure_table(ws)
    database.seed_table(ws, created)
    yield created
    database.delete_table(ws)


def _item(ws: Workshop, mysfit_id: str) -> dict[str, Any]:
    return ws.client("dynamodb").get_item(
        TableName=ws.names.table, Key={"MysfitId": {"S": mysfit_id}}, ConsistentRead=True
    )["Item"]


def _like(ws: Workshop, mysfit_id: str) -> int:
    """What the service does for a like: an atomic, conditional counter update."""
    updated = ws.client("dynamodb").update_item(
        TableName=ws.names.table,
        Key={"MysfitId": {"S": mysfit_id}},
        UpdateExpression="ADD Likes :one",
        ConditionExpression="attribute_exists(MysfitId)",
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="ALL_NEW",
    )
    return int(updated["Attributes"]["Likes"]["N"])


# -- the table --------------------------------------------------------------------------------


def test_ensure_twice_gives_one_table_with_the_same_configuration(ws: Workshop) -> None:
    first = database.ensure_table(ws)
    try:
        second = database.ensure_table(ws)
        assert first.created and not second.created
        assert {**first.__dict__, "created": None} == {**second.__dict__, "created": None}
        names = ws.client("dynamodb").list_tables()["TableNames"]
        assert [n for n in names if n.startswith(f"{ws.prefix}-")] == [ws.names.table]
        check = database.check_table(ws, second)
        assert check.ok, check.evidence
        assert second.billing_mode == "PAY_PER_REQUEST" and second.point_in_time_recovery
        assert second.indexes == ("GoodEvilIndex", "LawChaosIndex")
        described = ws.client("dynamodb").describe_table(TableName=ws.names.table)["Table"]
        key_schemas = {i["IndexName"]: i["KeySchema"] for i in described["GlobalSecondaryIndexes"]}
        assert key_schemas["LawChaosIndex"] == [
            {"AttributeName": "LawChaos", "KeyType": "HASH"},
            {"AttributeName": "MysfitId", "KeyType": "RANGE"},
        ]
        assert database.check_table_empty(ws, first).ok
    finally:
        database.delete_table(ws)


def test_point_in_time_recovery_is_reported_on(ws: Workshop, table: database.Table) -> None:
    described = ws.client("dynamodb").describe_continuous_backups(TableName=table.name)[
        "ContinuousBackupsDescription"
    ]
    assert described["ContinuousBackupsStatus"] == "ENABLED"
    assert described["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_a_table_of_another_shape_is_refused_with_advice(ws: Workshop) -> None:
    ws.client("dynamodb").create_table(
        TableName=ws.names.table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    try:
        with pytest.raises(database.TableMisconfigured, match="delete it"):
            database.ensure_table(ws)
    finally:
        database.delete_table(ws)


# -- seeding ----------------------------------------------------------------------------------


def test_seed_writes_the_twelve_mysfits_with_no_likes_and_not_adopted(
    ws: Workshop, table: database.Table
) -> None:
    assert database.check_item_count(ws, table, expect=12).ok
    items = database.scan_items(ws, table)
    assert {i["Likes"] for i in items} == {0} and {i["Adopted"] for i in items} == {False}
    records = {r["mysfitId"]: r for r in json.loads(paths.data_file().read_text())["mysfits"]}
    for item in items:
        record = records[item["MysfitId"]]
        assert (
            item["Name"],
            item["Age"],
            item["GoodEvil"],
            item["LawChaos"],
            item["Description"],
        ) == (
            record["name"],
            record["age"],
            record["goodEvil"],
            record["lawChaos"],
            record["description"],
        )


def test_seeding_again_keeps_likes_and_adoptions(ws: Workshop, table: database.Table) -> None:
    _like(ws, GRETTA)
    ws.client("dynamodb").update_item(
        TableName=table.name,
        Key={"MysfitId": {"S": GRETTA}},
        UpdateExpression="SET Adopted = :t",
        ExpressionAttributeValues={":t": {"BOOL": True}},
    )
    again = database.seed_table(ws, table)
    assert (again.written, again.already_present, again.batches) == (0, 12, 0)
    item = _item(ws, GRETTA)
    assert item["Likes"] == {"N": "1"} and item["Adopted"] == {"BOOL": True}


def test_seeding_again_fills_in_a_missing_mysfit_only(ws: Workshop, table: database.Table) -> None:
    _like(ws, GRETTA)
    ws.client("dynamodb").delete_item(
        TableName=table.name, Key={"MysfitId": {"S": "b39d22c8-5f5b-5740-a7c9-1ec82d3f43dd"}}
    )
    again = database.seed_table(ws, table)
    assert (again.written, again.already_present) == (1, 11)
    assert database.check_item_count(ws, table, expect=12).ok
    assert _item(ws, GRETTA)["Likes"] == {"N": "1"}


def test_seeding_a_missing_table_says_what_to_run(ws: Workshop) -> None:
    absent = database.Table(
        ws.names.table, "arn:none", "ACTIVE", "PAY_PER_REQUEST", (), False, False
    )
    with pytest.raises(ResourceNotFound, match=r"no table .*ensure_table"):
        database.seed_table(ws, absent)


def test_a_broken_data_file_is_named_in_the_error(ws: Workshop, tmp_path: Path) -> None:
    broken = tmp_path / "mysfits.json"
    broken.write_text(json.dumps({"mysfits": [{"mysfitId": "x", "name": "Nameless"}]}))
    with pytest.raises(database.SeedFailed, match="lacks species"):
        database.load_items(broken)
    (tmp_path / "not-json.json").write_text("{")
    with pytest.raises(database.SeedFailed, match="cannot read"):
        database.load_items(tmp_path / "not-json.json")


class _ThrottledClient:
    """Accepts only the first item of each BatchWriteItem call, as a busy table may."""

    def __init__(self, always_refuse: bool = False) -> None:
        self.calls: list[int] = []
        self.always_refuse = always_refuse

    def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        ((table, requests),) = RequestItems.items()
        self.calls.append(len(requests))
        rest = requests if self.always_refuse else requests[1:]
        return {"UnprocessedItems": {table: rest} if rest else {}}


def test_batch_write_resends_unprocessed_items_with_growing_pauses() -> None:
    client, pauses = _ThrottledClient(), []
    items = [{"MysfitId": {"S": str(n)}} for n in range(30)]
    calls, retries = database.batch_write(client, "t", items, attempts=30, sleep=pauses.append)
    assert (
        client.calls[0] == 25 and max(client.calls) <= 25
    )  # never more than DynamoDB's limit per call
    assert calls == len(client.calls) and retries == len(pauses) == 24 + 4
    assert (
        pauses[0] < pauses[2] < pauses[4]
    )  # the pause doubles per attempt; jitter cannot undo two doublings
    assert max(pauses) <= 2.0


def test_batch_write_gives_up_with_a_clear_error() -> None:
    with pytest.raises(database.SeedFailed, match="unprocessed after 3 attempts"):
        database.batch_write(
            _ThrottledClient(always_refuse=True),
            "t",
            [{"MysfitId": {"S": "1"}}],
            attempts=3,
            sleep=lambda _: None,
        )


# -- reading ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "value", "expect"), COUNTS)
def test_index_queries_give_the_workshop_counts(
    ws: Workshop, table: database.Table, index: str, value: str, expect: int
) -> None:
    check = database.check_index_query(ws, table, index, value, expect)
    assert check.ok, check.evidence
    ids = [i["MysfitId"] for i in database.query_index(ws, table, index, value)]
    assert ids == sorted(ids)  # each index is sorted by MysfitId within a value


def test_a_wrong_count_fails_the_check_after_its_settling_time(
    ws: Workshop, table: database.Table
) -> None:
    check = database.check_index_query(ws, table, "GoodEvilIndex", "Good", expect=5, settle=1)
    assert not check.ok and check.evidence.startswith("4 items")


def test_an_unknown_index_is_refused(ws: Workshop, table: database.Table) -> None:
    with pytest.raises(ValueError, match="GoodEvilIndex"):
        database.query_index(ws, table, "ColourIndex", "Red")


# -- deleting ---------------------------------------------------------------------------------


def test_delete_is_idempotent_and_cleanup_finds_nothing(ws: Workshop) -> None:
    database.ensure_table(ws)
    assert any(leftover.kind == "dynamodb table" for leftover in cleanup.inventory(ws))
    assert database.delete_table(ws) is True
    assert database.delete_table(ws) is False
    assert not any(leftover.kind == "dynamodb table" for leftover in cleanup.inventory(ws))


def test_cleanup_deletes_the_table_before_the_core_stack() -> None:
    labels = [label for label, _ in cleanup.STEPS]
    assert labels.index("DynamoDB table") < labels.index("core stack")


# -- fidelity: what moto 5.2.5 gets wrong -----------------------------------------------------


def test_concurrent_likes_on_the_local_cloud_all_count(ws: Workshop, table: database.Table) -> None:
    with ThreadPoolExecutor(32) as pool:
        returned = list(pool.map(lambda _: _like(ws, GRETTA), range(200)))
    assert int(_item(ws, GRETTA)["Likes"]["N"]) == 200
    assert sorted(returned) == list(range(1, 201))  # each update saw every earlier one


def test_a_batch_of_more_than_25_is_refused_and_writes_nothing(
    ws: Workshop, table: database.Table
) -> None:
    requests = [{"PutRequest": {"Item": {"MysfitId": {"S": f"extra-{n}"}}}} for n in range(26)]
    with pytest.raises(ClientError, match="length less than or equal to 25") as raised:
        ws.client("dynamodb").batch_write_item(RequestItems={table.name: requests})
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert database.check_item_count(ws, table, expect=12).ok


@pytest.fixture
def racy_moto() -> Iterator[str]:
    """An in-process moto server whose threads switch all the time, to expose lost updates."""
    from moto.server import ThreadedMotoServer

    from mysfits.local.core.patching import Patches
    from mysfits.local.dynamodb import patches as dynamodb_fix

    patches = Patches()
    dynamodb_fix.apply(patches)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        sys.setswitchinterval(previous)
        server.stop()
        patches.undo_all()


def test_updates_of_one_item_are_atomic_even_under_forced_thread_switching(racy_moto: str) -> None:
    # Without local/dynamodb/patches.py this loses 1 to 7 of 200 increments (seen: 199, 196, 193).
    client = boto3.client(
        "dynamodb",
        endpoint_url=racy_moto,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(max_pool_connections=32),
    )
    name = f"race-{uuid.uuid4().hex[:8]}"  # moto's state is per process: never reuse a name
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "MysfitId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "MysfitId", "KeyType": "HASH"}],
    )
    client.put_item(TableName=name, Item={"MysfitId": {"S": "m"}, "Likes": {"N": "0"}})

    def like(_: int) -> int:
        return int(
            client.update_item(
                TableName=name,
                Key={"MysfitId": {"S": "m"}},
                UpdateExpression="ADD Likes :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
                ReturnValues="UPDATED_NEW",
            )["Attributes"]["Likes"]["N"]
        )

    with ThreadPoolExecutor(16) as pool:
        returned = list(pool.map(like, range(200)))
    assert client.get_item(TableName=name, Key={"MysfitId": {"S": "m"}})["Item"]["Likes"] == {
        "N": "200"
    }
    assert sorted(returned) == list(range(1, 201))
