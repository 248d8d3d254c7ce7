"""Module 3's DynamoDB table: its shape, creation, readiness check and deletion."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .checks import Check
from .errors import WorkshopError
from .idioms import absent_is_none, create_if_absent, delete_if_present, retry_while
from .inventory import Family, Leftover
from .workshop import Workshop

KEY = "MysfitId"
# Index name -> the attribute it is keyed on (sorted by MysfitId inside each value).
INDEXES: dict[str, str] = {"GoodEvilIndex": "GoodEvil", "LawChaosIndex": "LawChaos"}
_WAIT = {"Delay": 2, "MaxAttempts": 150}


class TableMisconfigured(WorkshopError):
    """A table with the workshop's name exists but is not shaped as the workshop needs."""


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


def table_spec(ws: Workshop) -> dict[str, Any]:
    """The CreateTable request: key MysfitId, on demand, two indexes projecting every attribute."""
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
    """Turn point-in-time recovery on; AWS refuses for a while after creation, so retry then."""
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
    """ACTIVE, on demand, both indexes ACTIVE and projecting ALL, PITR on, the workshop's tags."""
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
    """The service's data settings: the table once module 3 has made it, else none (the data file).

    Module 2 deploys with this, so running notebook 02 again after 03 keeps the database.
    """
    return {"MYSFITS_TABLE": ws.names.table} if _describe(ws) is not None else {}


def leftovers(ws: Workshop) -> Iterator[Leftover]:
    """The table (on demand: it bills per request and GB stored, not per hour)."""
    if _describe(ws) is not None:
        yield Leftover("dynamodb table", ws.names.table)


CLEANUP = Family(leftovers, steps=(("DynamoDB table", delete_table),))
