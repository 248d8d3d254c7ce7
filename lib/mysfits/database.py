"""Module 3: the DynamoDB table of mysfits, its two indexes, and its seed data.

The table itself is made, checked and deleted in `dynamotable`; this module fills it from the
data file and reads it back. The notebooks reach both through `database`.
"""

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
from .dynamotable import (
    CLEANUP,
    INDEXES,
    KEY,
    Table,
    TableMisconfigured,
    check_table,
    delete_table,
    ensure_table,
    service_environment,
    table_spec,
)
from .errors import ResourceNotFound, WorkshopError
from .idioms import translated
from .waiting import WaitTimedOut, wait_until
from .workshop import Workshop

__all__ = [
    "ATTRIBUTES",
    "BATCH_SIZE",
    "CLEANUP",
    "INDEXES",
    "KEY",
    "SeedFailed",
    "SeedResult",
    "Table",
    "TableMisconfigured",
    "batch_write",
    "check_index_query",
    "check_item_count",
    "check_table",
    "check_table_empty",
    "delete_table",
    "ensure_table",
    "item_count",
    "load_items",
    "query_index",
    "scan_items",
    "seed_table",
    "service_environment",
    "table_spec",
]

BATCH_SIZE = 25  # BatchWriteItem's limit per call
# Data-file field -> item attribute. The service maps them the same way
# (service/mysfits_service/records.py).
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


class SeedFailed(WorkshopError):
    """Seeding could not write every item (throttling outlasted the retries, a bad data file)."""


@dataclass(frozen=True)
class SeedResult:
    """What one seeding run did: re-seeding writes only the mysfits that are missing."""

    table: str
    in_data_file: int
    already_present: int
    written: int
    batches: int
    retries: int


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
    """Put `items` in calls of 25; resend what comes back unprocessed after growing jittered pauses.

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
                f"{left} item(s) still unprocessed after {attempts} attempts "
                "(the table is throttled): "
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
    """Write the data file's mysfits that the table lacks; those there keep likes and adoption.

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
    """Every item, page by page (a Scan reads the whole table: fine for 12, costly for millions)."""
    items = [_plain(i) for page in _pages(ws, "scan", TableName=table.name) for i in page["Items"]]
    return sorted(items, key=lambda i: str(i.get("Name", "")))


def query_index(ws: Workshop, table: Table, index: str, value: str) -> list[dict[str, Any]]:
    """The items whose index attribute equals `value`, by a Query of the index (reads only them)."""
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
