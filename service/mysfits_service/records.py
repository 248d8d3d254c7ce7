"""The shape of a mysfit record and its DynamoDB form.

API records use the data file's camelCase names; DynamoDB items use
PascalCase attribute names. This module is the only place that maps one
to the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .filters import ALLOWED_VALUES

Record = dict[str, Any]
DynamoItem = dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Field:
    api: str
    dynamo: str
    kind: type  # str, int or bool


REQUIRED_FIELDS: tuple[Field, ...] = (
    Field("mysfitId", "MysfitId", str),
    Field("name", "Name", str),
    Field("species", "Species", str),
    Field("age", "Age", int),
    Field("goodEvil", "GoodEvil", str),
    Field("lawChaos", "LawChaos", str),
    Field("description", "Description", str),
    Field("thumbImageUri", "ThumbImageUri", str),
    Field("profileImageUri", "ProfileImageUri", str),
)
LIKES = Field("likes", "Likes", int)
ADOPTED = Field("adopted", "Adopted", bool)
OPTIONAL_FIELDS: tuple[Field, ...] = (LIKES, ADOPTED)

KEY_ATTRIBUTE = "MysfitId"
# Who liked (a string set of `sub`s) and who adopted: stored, never listed (see dynamo_store).
LIKED_BY = "LikedBy"
ADOPTED_BY = "AdoptedBy"
# Fields only the caller's own view of a mysfit has; a shared cache never holds them.
LIKED = "liked"
ADOPTED_BY_YOU = "adoptedByYou"
PERSONAL_FIELDS = (LIKED, ADOPTED_BY_YOU)
_ALIGNMENTS = {"goodEvil": ALLOWED_VALUES["GoodEvil"], "lawChaos": ALLOWED_VALUES["LawChaos"]}


class InvalidRecord(ValueError):
    """A stored record lacks a required field or holds a bad value."""


def _check(field: Field, value: Any) -> Any:
    # bool is a subclass of int, so test the exact type.
    if type(value) is not field.kind:
        raise InvalidRecord(f"{field.api} must be {field.kind.__name__}")
    allowed = _ALIGNMENTS.get(field.api)
    if allowed is not None and value not in allowed:
        raise InvalidRecord(f"{field.api} must be one of {', '.join(allowed)}")
    return value


def record_from_json(raw: Any) -> Record:
    """Validate one record of the data file; keeps likes/adopted if present."""
    if not isinstance(raw, Mapping):
        raise InvalidRecord("record is not an object")
    record: Record = {}
    for field in REQUIRED_FIELDS:
        if field.api not in raw:
            raise InvalidRecord(f"missing {field.api}")
        record[field.api] = _check(field, raw[field.api])
    for field in OPTIONAL_FIELDS:
        if field.api in raw:
            record[field.api] = _check(field, raw[field.api])
    return record


def _decode(field: Field, attr: Any) -> Any:
    if not isinstance(attr, Mapping):
        raise InvalidRecord(f"{field.dynamo} is not a typed attribute")
    if field.kind is str:
        value = attr.get("S")
    elif field.kind is bool:
        value = attr.get("BOOL")
    else:
        value = _decode_int(field, attr.get("N"))
    return _check(field, value)


def _decode_int(field: Field, raw: Any) -> int | None:
    if not isinstance(raw, str):
        return None
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise InvalidRecord(f"{field.dynamo} is not a number") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise InvalidRecord(f"{field.dynamo} is not an integer")
    return int(number)


def record_from_item(item: Mapping[str, Any]) -> Record:
    """Convert a DynamoDB item (low-level client form) to an API record."""
    record: Record = {}
    for field in REQUIRED_FIELDS:
        if field.dynamo not in item:
            raise InvalidRecord(f"missing {field.dynamo}")
        record[field.api] = _decode(field, item[field.dynamo])
    record[LIKES.api] = _decode(LIKES, item[LIKES.dynamo]) if LIKES.dynamo in item else 0
    record[ADOPTED.api] = (
        _decode(ADOPTED, item[ADOPTED.dynamo]) if ADOPTED.dynamo in item else False
    )
    return record


def item_from_record(record: Mapping[str, Any]) -> DynamoItem:
    """Convert an API record to a DynamoDB item (for seeding a table)."""
    item: DynamoItem = {}
    for field in REQUIRED_FIELDS + OPTIONAL_FIELDS:
        if field.api not in record:
            continue
        value = record[field.api]
        if field.kind is str:
            item[field.dynamo] = {"S": value}
        elif field.kind is bool:
            item[field.dynamo] = {"BOOL": bool(value)}
        else:
            item[field.dynamo] = {"N": str(int(value))}
    return item


def projection(*extra: str) -> dict[str, Any]:
    """ProjectionExpression arguments reading a record's attributes (and `extra` ones) only.

    Every name goes through a placeholder: `Name` is a DynamoDB reserved word.
    """
    attributes = [f.dynamo for f in REQUIRED_FIELDS + OPTIONAL_FIELDS] + list(extra)
    names = {f"#a{index}": name for index, name in enumerate(attributes)}
    return {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}


def personal_view(record: Record, item: Mapping[str, Any], sub: str) -> Record:
    """`record` with whether `sub` liked and adopted it, read from the stored `item`."""
    liked_by = item.get(LIKED_BY, {}).get("SS", ())
    adopter = item.get(ADOPTED_BY, {}).get("S")
    return {**record, LIKED: sub in liked_by, ADOPTED_BY_YOU: adopter == sub}


def public_view(record: Record) -> Record:
    """`record` without the caller's own fields: what every caller may see."""
    return {k: v for k, v in record.items() if k not in PERSONAL_FIELDS}


def key_for(mysfit_id: str) -> DynamoItem:
    """The primary key of the item with this id."""
    return {KEY_ATTRIBUTE: {"S": mysfit_id}}
