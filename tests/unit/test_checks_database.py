"""Module 3's checks fail on a broken table and pass on a good one (DynamoDB in-process, moto)."""

from __future__ import annotations

import dataclasses

import pytest

from mysfits import database
from mysfits.workshop import Workshop

EVANGELINE = "b39d22c8-5f5b-5740-a7c9-1ec82d3f43dd"  # Evil and Lawful in data/mysfits.json


@pytest.fixture
def table(ws: Workshop) -> database.Table:
    return database.ensure_table(ws)


@pytest.fixture
def seeded(ws: Workshop, table: database.Table) -> database.Table:
    database.seed_table(ws, table)
    return table


# -- the table's shape -----------------------------------------------------------------------------


def test_table_passes_when_made_by_ensure_table(ws: Workshop, table: database.Table) -> None:
    check = database.check_table(ws, table)
    assert check.ok, check
    assert check.evidence == (
        "ACTIVE, PAY_PER_REQUEST, indexes ['GoodEvilIndex', 'LawChaosIndex'] ALL: True, "
        "point-in-time recovery: on, tagged: True"
    )


def test_table_fails_when_point_in_time_recovery_was_turned_off(
    ws: Workshop, table: database.Table
) -> None:
    ws.client("dynamodb").update_continuous_backups(
        TableName=table.name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}
    )
    check = database.check_table(ws, table)
    assert not check.ok and "point-in-time recovery: off" in check.evidence


def test_table_fails_when_it_lost_the_workshop_tags(ws: Workshop, table: database.Table) -> None:
    ws.client("dynamodb").untag_resource(ResourceArn=table.arn, TagKeys=["workshop-prefix"])
    check = database.check_table(ws, table)
    assert not check.ok and "tagged: False" in check.evidence


def test_table_fails_when_it_was_deleted(ws: Workshop, table: database.Table) -> None:
    database.delete_table(ws)
    check = database.check_table(ws, table)
    assert not check.ok and check.evidence == "no such table"


# -- empty before seeding --------------------------------------------------------------------------


def test_table_empty_passes_on_a_new_table(ws: Workshop, table: database.Table) -> None:
    assert table.created
    check = database.check_table_empty(ws, table)
    assert check.ok and check.evidence == "0 items"


def test_table_empty_fails_when_a_new_table_already_holds_items(
    ws: Workshop, table: database.Table
) -> None:
    ws.client("dynamodb").put_item(
        TableName=table.name, Item={"MysfitId": {"S": "written-by-someone-else"}}
    )
    check = database.check_table_empty(ws, table)
    assert not check.ok and check.evidence == "1 items"


def test_table_empty_passes_on_a_kept_table_of_workshop_mysfits(
    ws: Workshop, seeded: database.Table
) -> None:
    kept = database.ensure_table(ws)  # the second run finds the table
    assert not kept.created
    check = database.check_table_empty(ws, kept)
    assert check.ok, check
    assert check.evidence.startswith("12 items kept, 0 not in the data set")


def test_table_empty_fails_on_a_kept_table_holding_foreign_items(
    ws: Workshop, seeded: database.Table
) -> None:
    # Seeding writes only what is missing, so these would stay and the count would never be 12.
    for key in ("test-item", "copy-of-gretta"):
        ws.client("dynamodb").put_item(TableName=seeded.name, Item={"MysfitId": {"S": key}})
    check = database.check_table_empty(ws, dataclasses.replace(seeded, created=False))
    assert not check.ok
    assert check.evidence.startswith(
        "14 items kept, 2 not in the data set: copy-of-gretta, test-item"
    )


# -- seeded ----------------------------------------------------------------------------------------


def test_item_count_passes_after_seeding(ws: Workshop, seeded: database.Table) -> None:
    check = database.check_item_count(ws, seeded, expect=12)
    assert check.ok and check.evidence == "12 items"


def test_item_count_fails_when_a_mysfit_is_missing(ws: Workshop, seeded: database.Table) -> None:
    ws.client("dynamodb").delete_item(TableName=seeded.name, Key={"MysfitId": {"S": EVANGELINE}})
    check = database.check_item_count(ws, seeded, expect=12)
    assert not check.ok and check.evidence == "11 items"


def test_index_query_passes_on_the_seeded_data(ws: Workshop, seeded: database.Table) -> None:
    check = database.check_index_query(ws, seeded, "GoodEvilIndex", "Evil", expect=4)
    assert check.ok and check.evidence == "4 items, all GoodEvil=Evil: True"


def test_index_query_fails_when_an_item_was_changed(ws: Workshop, seeded: database.Table) -> None:
    ws.client("dynamodb").update_item(
        TableName=seeded.name,
        Key={"MysfitId": {"S": EVANGELINE}},
        UpdateExpression="SET GoodEvil = :v",
        ExpressionAttributeValues={":v": {"S": "Good"}},
    )
    check = database.check_index_query(ws, seeded, "GoodEvilIndex", "Evil", expect=4, settle=0.1)
    assert not check.ok and check.evidence == "3 items, all GoodEvil=Evil: True"
