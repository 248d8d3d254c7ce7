"""Module 3: the DynamoDB table of mysfits, its two indexes, and its seed data."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from . import paths
from .checks import Check
from .errors import ResourceNotFound, WorkshopError
from .idioms import absent_is_none, create_if_absent, delete_if_present, retry_while, translated
from .inventory import Family, Leftover
from .waiting import WaitTimedOut, wait_until
from .workshop import Workshop

KEY = "MysfitId"
# Index name -> the attribute it is keyed on (sorted by MysfitId inside each value).
INDEXES: dict[str, str] = {"GoodEvilIndex": "GoodEvil", "LawChaosIndex": "LawChaos"}
BATCH_SIZE = 25  # BatchWriteItem's limit per call
# Data-file field -> item attribute. The service maps them the same way (service/mysfits_service/records.py).
ATTRIBUTES: dict[str, str] = {
    "mysfitId": "MysfitId",
    "name": "Name",
    "species": "Species",
    "age": "Age",
    "goodEvil": "GoodEvil",
    "lawChaos": "LawChaos",
    "description": "Description",
    "thumbImageUri": "ThumbImageUri",
    "profileImageUri": "ProfileImageUri",
}
_WAIT = {"Delay": 2, "MaxAttempts": 150}


class TableMisconfigured(WorkshopError):
    """A table with the workshop's name exists but is not shaped as the workshop needs."""


class SeedFailed(WorkshopError):
    """Seeding could not write every item (throttling that outlasted the retries, a bad data file)."""


@dataclass(frozen=True)
class Table:
    """The mysfits table as DynamoDB describes it."""

    name: str
    arn: str
    status: str
    billing_mode: str
    indexes: tuple[str, ...]
    point_in_time_recovery: bool
    created: bool  # True when this call created it; False when it was found from an earlier run


@dataclass(frozen=True)
class SeedResult:
    """What one seeding run did: re-seeding writes only the mysfits that are missing."""

    table: str
    in_data_file: int
    already_present: int
    written: int
    batches: int
    retries: int


def table_spec(ws: Workshop) -> dict[str, Any]:
    """The CreateTable request: key MysfitId, on-demand billing, two indexes projecting every attribute."""
    indexes = [
        {
            "IndexName": name,
            "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [
                {"AttributeName": attribute, "KeyType": "HASH"},
                {"AttributeName": KEY, "KeyType": "RANGE"},
            ],
        }
        for name, attribute in INDEXES.items()
    ]
    return {
        "TableName": ws.names.table,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": KEY, "KeyType": "HASH"}],
        "AttributeDefinitions": [
            {"AttributeName": a, "AttributeType": "S"} for a in (KEY, *INDEXES.values())
        ],
        "GlobalSecondaryIndexes": indexes,
        "Tags": ws.tag_list(),
    }


def _describe(ws: Workshop) -> dict[str, Any] | None:
    dynamodb = ws.client("dynamodb")
    return absent_is_none(
        lambda: dynamodb.describe_table(TableName=ws.names.table)["Table"],
        "ResourceNotFoundException",
    )


def _pitr_enabled(ws: Workshop) -> bool:
    described = ws.client("dynamodb").describe_continuous_backups(TableName=ws.names.table)
    recovery = described["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {})
    return recovery.get("PointInTimeRecoveryStatus") == "ENABLED"


def _enable_pitr(ws: Workshop) -> None:
    """Turn point-in-time recovery on; AWS refuses for a short while after creation, so retry then."""
    if _pitr_enabled(ws):
        return
    enable = {"PointInTimeRecoveryEnabled": True}
    retry_while(
        lambda: ws.client("dynamodb").update_continuous_backups(
            TableName=ws.names.table, PointInTimeRecoverySpecification=enable
        ),
        "ContinuousBackupsUnavailableException",
        what=f"point-in-time recovery on {ws.names.table}",
        timeout=300,
        interval=5,
    )


def _as_table(ws: Workshop, described: dict[str, Any], created: bool) -> Table:
    billing = described.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    indexes = tuple(sorted(i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])))
    return Table(
        described["TableName"],
        described["TableArn"],
        described["TableStatus"],
        billing,
        indexes,
        _pitr_enabled(ws),
        created,
    )


def _create_unless_present(ws: Workshop) -> bool:
    """Create the table unless it exists (waiting out a deletion first); True if this call did."""
    dynamodb, existing = ws.client("dynamodb"), _describe(ws)
    if existing is not None and existing["TableStatus"] == "DELETING":
        # A cleanup is still removing it: let it finish, then start afresh.
        dynamodb.get_waiter("table_not_exists").wait(TableName=ws.names.table, WaiterConfig=_WAIT)
        existing = None
    # ResourceInUseException: someone else created it meanwhile.
    return existing is None and create_if_absent(
        lambda: dynamodb.create_table(**table_spec(ws)), "ResourceInUseException"
    )


def _require_workshop_shape(described: dict[str, Any]) -> None:
    missing = sorted(
        set(INDEXES) - {i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])}
    )
    if described["KeySchema"] != [{"AttributeName": KEY, "KeyType": "HASH"}] or missing:
        raise TableMisconfigured(
            f"table {described['TableName']} exists but is keyed {described['KeySchema']} and "
            f"lacks {missing or 'nothing'}: it was not made by this workshop; delete it "
            "(99_cleanup.ipynb or database.delete_table) or choose another prefix"
        )


def ensure_table(ws: Workshop) -> Table:
    """Create the table if it is missing (else check its shape), wait until ACTIVE, turn PITR on."""
    dynamodb = ws.client("dynamodb")
    created = _create_unless_present(ws)
    dynamodb.get_waiter("table_exists").wait(TableName=ws.names.table, WaiterConfig=_WAIT)
    described = _describe(ws)
    assert described is not None  # the waiter just saw it
    _require_workshop_shape(described)
    if not created:
        dynamodb.tag_resource(
            ResourceArn=described["TableArn"], Tags=ws.tag_list()
        )  # adopt an untagged table
    _enable_pitr(ws)
    return _as_table(ws, described, created)


def check_table(ws: Workshop, table: Table) -> Check:
    """The table is ACTIVE, on demand, has both indexes ACTIVE projecting ALL, PITR on, and the workshop's tags."""
    described = _describe(ws)
    if described is None:
        return Check(f"table {table.name} is ready", False, "no such table")
    indexes = {i["IndexName"]: i for i in described.get("GlobalSecondaryIndexes", [])}
    indexes_ok = all(
        indexes.get(name, {}).get("IndexStatus") == "ACTIVE"
        and indexes[name]["Projection"]["ProjectionType"] == "ALL"
        for name in INDEXES
    )
    billing = described.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    tags = {
        t["Key"]: t["Value"]
        for t in ws.client("dynamodb")
        .list_tags_of_resource(ResourceArn=described["TableArn"])
        .get("Tags", [])
    }
    tagged = all(tags.get(k) == v for k, v in ws.tags.items())
    pitr = _pitr_enabled(ws)
    ok = (
        described["TableStatus"] == "ACTIVE"
        and billing == "PAY_PER_REQUEST"
        and indexes_ok
        and pitr
        and tagged
    )
    evidence = (
        f"{described['TableStatus']}, {billing}, indexes {sorted(indexes)} ALL: {indexes_ok}, "
        f"point-in-time recovery: {'on' if pitr else 'off'}, tagged: {tagged}"
    )
    return Check(f"table {table.name} is ready", ok, evidence)


def _pages(ws: Workshop, operation: str, **request: Any) -> Iterator[dict[str, Any]]:
    """Every page of a Scan or Query (a page stops at 1 MB; follow LastEvaluatedKey)."""
    missing = ResourceNotFound(
        f"no table {request.get('TableName')}: run the table step "
        "(database.ensure_table, notebook 03 step 1) first"
    )
    with translated("ResourceNotFoundException", into=missing):
        yield from ws.client("dynamodb").get_paginator(operation).paginate(**request)


def item_count(ws: Workshop, table: Table) -> int:
    """How many items the table holds now (a consistent, counting scan)."""
    return sum(
        page["Count"]
        for page in _pages(ws, "scan", TableName=table.name, Select="COUNT", ConsistentRead=True)
    )


def check_table_empty(ws: Workshop, table: Table) -> Check:
    """A new table holds nothing; one kept from an earlier run holds only the data set's mysfits.

    Seeding writes only the mysfits that are missing, so a kept table ends up with exactly the
    data set only when every item it already holds is one of them.
    """
    if table.created:
        count = item_count(ws, table)
        return Check(f"new table {table.name} is empty", count == 0, f"{count} items")
    kept = _existing_keys(ws, table)
    foreign = sorted(kept - {item[KEY]["S"] for item in load_items()})
    shown = f": {', '.join(foreign[:3])}{' …' if len(foreign) > 3 else ''}" if foreign else ""
    return Check(
        f"table {table.name} kept from an earlier run holds only workshop mysfits",
        not foreign,
        f"{len(kept)} items kept, {len(foreign)} not in the data set{shown}; "
        "seeding below writes only the mysfits that are missing",
    )


def check_item_count(ws: Workshop, table: Table, expect: int) -> Check:
    """The table holds exactly `expect` items."""
    count = item_count(ws, table)
    return Check(f"table {table.name} holds {expect} items", count == expect, f"{count} items")


def load_items(path: Path | None = None) -> list[dict[str, Any]]:
    """The data file's mysfits as DynamoDB items (PascalCase attributes, Likes 0, Adopted false)."""
    source = path or paths.data_file()
    try:
        records = json.loads(source.read_text(encoding="utf-8"))["mysfits"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SeedFailed(f"cannot read the mysfits from {source}: {error}") from None
    items = []
    for number, record in enumerate(records, 1):
        missing = [f for f in ATTRIBUTES if f not in record]
        if missing:
            raise SeedFailed(
                f"mysfit #{number} in {source} lacks {', '.join(missing)}: fix the data file"
            )
        item: dict[str, Any] = {
            attribute: {"S": str(record[f])} for f, attribute in ATTRIBUTES.items()
        }
        item["Age"] = {"N": str(int(record["age"]))}
        item["Likes"], item["Adopted"] = {"N": "0"}, {"BOOL": False}
        items.append(item)
    return items


def batch_write(
    client: Any,
    table_name: str,
    items: list[dict[str, Any]],
    *,
    attempts: int = 8,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[int, int]:
    """Put `items` in calls of 25, resending what DynamoDB returns unprocessed with growing, jittered pauses.

    Returns (calls made, retries). DynamoDB may accept only part of a batch when a partition
    is busy; the rest comes back in UnprocessedItems and must be sent again, later.
    """
    calls = retries = 0
    for start in range(0, len(items), BATCH_SIZE):
        pending = {
            table_name: [
                {"PutRequest": {"Item": item}} for item in items[start : start + BATCH_SIZE]
            ]
        }
        for attempt in range(attempts):
            calls += 1
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not pending:
                break
            retries += 1
            sleep(min(0.05 * 2**attempt, 2.0) * random.uniform(0.5, 1.0))
        if pending:
            left = sum(len(requests) for requests in pending.values())
            raise SeedFailed(
                f"{left} item(s) still unprocessed after {attempts} attempts (the table is throttled): "
                "wait a minute and seed again; it writes only what is missing"
            )
    return calls, retries


def _existing_keys(ws: Workshop, table: Table) -> set[str]:
    pages = _pages(ws, "scan", TableName=table.name, ProjectionExpression=KEY, ConsistentRead=True)
    return {item[KEY]["S"] for page in pages for item in page["Items"]}


def seed_table(
    ws: Workshop,
    table: Table,
    path: Path | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SeedResult:
    """Write the data file's mysfits that the table lacks; mysfits already there keep their likes and adoption.

    Re-seeding never overwrites: a mysfit is written only when its MysfitId is not in the
    table yet, so what visitors did (likes, adoptions) survives running the notebook again.
    """
    items = load_items(path)
    present = _existing_keys(ws, table)
    missing = [item for item in items if item[KEY]["S"] not in present]
    missing_table = ResourceNotFound(f"no table {table.name}: run database.ensure_table first")
    with translated("ResourceNotFoundException", into=missing_table):
        calls, retries = batch_write(ws.client("dynamodb"), table.name, missing, sleep=sleep)
    return SeedResult(
        table.name, len(items), len(items) - len(missing), len(missing), calls, retries
    )


_deserializer = TypeDeserializer()


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """A typed DynamoDB item as plain Python values (whole numbers as int)."""
    values = {k: _deserializer.deserialize(v) for k, v in item.items()}
    return {
        k: int(v) if isinstance(v, Decimal) and v == v.to_integral_value() else v
        for k, v in values.items()
    }


def scan_items(ws: Workshop, table: Table) -> list[dict[str, Any]]:
    """Every item, read page by page (a Scan reads the whole table: fine for 12, costly for millions)."""
    items = [_plain(i) for page in _pages(ws, "scan", TableName=table.name) for i in page["Items"]]
    return sorted(items, key=lambda i: str(i.get("Name", "")))


def query_index(ws: Workshop, table: Table, index: str, value: str) -> list[dict[str, Any]]:
    """The items whose index attribute equals `value`, read through that index (a Query: only matching items)."""
    if index not in INDEXES:
        raise ValueError(f"unknown index {index!r}: use one of {', '.join(INDEXES)}")
    pages = _pages(
        ws,
        "query",
        TableName=table.name,
        IndexName=index,
        KeyConditionExpression="#a = :v",
        ExpressionAttributeNames={"#a": INDEXES[index]},
        ExpressionAttributeValues={":v": {"S": value}},
    )
    return [_plain(i) for page in pages for i in page["Items"]]


def check_index_query(
    ws: Workshop, table: Table, index: str, value: str, expect: int, settle: float = 30.0
) -> Check:
    """Querying `index` for `value` gives `expect` items, each of which has that value.

    An index is updated shortly after the table (its reads are eventually consistent), so
    right after seeding the count is given up to `settle` seconds to reach `expect`.
    """

    def settled() -> (
        tuple[list[dict[str, Any]]] | None
    ):  # a tuple, so that zero items still counts as an answer
        found = query_index(ws, table, index, value)
        return (found,) if len(found) == expect else None

    answer = settled()
    if answer is None:  # only then show a progress bar
        try:
            answer = wait_until(settled, what=f"{index} to show {expect} items", timeout=settle)
        except WaitTimedOut:
            answer = (query_index(ws, table, index, value),)
    items = answer[0]
    attribute = INDEXES[index]
    all_match = all(i.get(attribute) == value for i in items)
    return Check(
        f"{index} {attribute}={value} gives {expect}",
        len(items) == expect and all_match,
        f"{len(items)} items, all {attribute}={value}: {all_match}",
    )


def delete_table(ws: Workshop) -> bool:
    """Delete the table and wait until it is gone; False if there was none.

    With point-in-time recovery on, AWS keeps a system backup of a deleted table for 35 days.
    """
    dynamodb, name = ws.client("dynamodb"), ws.names.table
    existing = _describe(ws)
    if existing is None:
        return False
    if existing["TableStatus"] in {"CREATING", "UPDATING"}:  # it cannot be deleted until it settles
        dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=_WAIT)
    # ResourceNotFoundException: someone else was quicker.
    if existing["TableStatus"] != "DELETING" and not delete_if_present(
        lambda: dynamodb.delete_table(TableName=name), "ResourceNotFoundException"
    ):
        return False
    dynamodb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig=_WAIT)
    return True


def service_environment(ws: Workshop) -> dict[str, str]:
    """The service's data-tier settings: the table once module 3 has made it, else none (the data file).

    Module 2 deploys with this, so running notebook 02 again after 03 keeps the database.
    """
    return {"MYSFITS_TABLE": ws.names.table} if _describe(ws) is not None else {}


def leftovers(ws: Workshop) -> Iterator[Leftover]:
    """The table (on demand: it bills per request and GB stored, not per hour)."""
    if _describe(ws) is not None:
        yield Leftover("dynamodb table", ws.names.table)


CLEANUP = Family(leftovers, steps=(("DynamoDB table", delete_table),))
