"""The click processor: Firehose's Lambda transformation for the Mythical Mysfits click stream.

Firehose hands the function a batch of click records; the function answers with every record,
enriched with the mysfit's attributes or marked as failed:

- Each distinct mysfit of the batch is looked up once, with DynamoDB BatchGetItem on the module-3
  table (env `MYSFITS_TABLE`), 100 keys per call, retrying UnprocessedKeys. The table rather than
  the service's HTTP API: one call answers a whole batch, it does not depend on the service being
  up, and the function's role can be held to `dynamodb:BatchGetItem` on that one table.
- A record that is not JSON, lacks a field, or names a mysfit the table does not hold is
  `ProcessingFailed` on its own (Firehose writes it under the error prefix); the batch goes on.
- A lookup DynamoDB cannot finish (throttling that outlasts the retries) raises, so Firehose
  retries the whole invocation (`NumberOfRetries`) instead of misreporting good clicks as bad.
- Each enriched record is one JSON object followed by "\\n": Firehose concatenates records with
  no delimiter, and newline-delimited JSON is what Athena, pandas and `jq` read line by line.

The reply is exactly what Firehose requires: `{"records": [{"recordId", "result", "data"}]}`,
one entry per record of the event, `data` base64-encoded.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3

KEY = "MysfitId"
BATCH_GET_LIMIT = 100  # keys per BatchGetItem call
MAX_ATTEMPTS = 6  # BatchGetItem calls per chunk before giving up on its unprocessed keys
# Output field -> table attribute. "Name" is a DynamoDB reserved word, hence the placeholders.
ATTRIBUTES = {
    "name": "Name",
    "species": "Species",
    "goodEvil": "GoodEvil",
    "lawChaos": "LawChaos",
    "age": "Age",
}
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

Item = dict[str, Any]
_clients: dict[str, Any] = {}  # one DynamoDB client per warm worker, made on first use


class BadClick(ValueError):
    """A record that cannot become an enriched click; its message says why."""


class LookupIncomplete(RuntimeError):
    """DynamoDB left keys unprocessed after every retry: the whole invocation should be retried."""


def handler(event: dict[str, Any], context: Any = None) -> dict[str, list[dict[str, str]]]:
    """Firehose's transformation entry point (`app.handler`)."""
    table = os.environ["MYSFITS_TABLE"]
    return transform(event["records"], lambda ids: lookup(dynamodb(), table, ids))


def dynamodb() -> Any:
    if "dynamodb" not in _clients:
        _clients["dynamodb"] = boto3.client("dynamodb")
    return _clients["dynamodb"]


def transform(
    records: list[dict[str, Any]],
    find: Callable[[set[str]], dict[str, Item]],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, list[dict[str, str]]]:
    """Firehose's reply for `records`; `find` maps a set of mysfit ids to their items."""
    clicks: dict[str, dict[str, Any] | BadClick] = {}
    for record in records:
        try:
            clicks[record["recordId"]] = parse(record["data"])
        except BadClick as bad:
            clicks[record["recordId"]] = bad
    wanted = {click["mysfitId"] for click in clicks.values() if isinstance(click, dict)}
    mysfits = find(wanted) if wanted else {}
    processed_at = iso(now())
    return {
        "records": [
            _reply(record, clicks[record["recordId"]], mysfits, processed_at) for record in records
        ]
    }


def _reply(
    record: dict[str, Any],
    click: dict[str, Any] | BadClick,
    mysfits: dict[str, Item],
    processed_at: str,
) -> dict[str, str]:
    if isinstance(click, dict) and click["mysfitId"] in mysfits:
        enriched = {**click, "processedAt": processed_at, **mysfits[click["mysfitId"]]}
        line = json.dumps(enriched, separators=(",", ":")) + "\n"
        data = base64.b64encode(line.encode()).decode()
        return {"recordId": record["recordId"], "result": "Ok", "data": data}
    # Firehose writes the original bytes under the error prefix; the reply carries them back.
    return {"recordId": record["recordId"], "result": "ProcessingFailed", "data": record["data"]}


def parse(data: str) -> dict[str, Any]:
    """The click a record's base64 `data` holds, in output order; BadClick saying what is wrong."""
    try:
        body = json.loads(base64.b64decode(data, validate=True))
    except ValueError as error:  # bad base64, bad UTF-8 and bad JSON are all ValueErrors
        raise BadClick(f"not a JSON click: {error}") from error
    if not isinstance(body, dict):
        raise BadClick("a click is a JSON object")
    return {
        "clickId": _text(body, "clickId"),
        "mysfitId": _mysfit_id(body),
        "userId": _user_id(body),
        "requestTime": iso(_request_time(body)),
    }


def _text(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value:
        raise BadClick(f"{field} is missing or not a string")
    return value


def _mysfit_id(body: dict[str, Any]) -> str:
    value = _text(body, "mysfitId")
    if not UUID.match(value):
        raise BadClick("mysfitId is not a UUID")
    return value.lower()


def _user_id(body: dict[str, Any]) -> str | None:
    value = body.get("userId")
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise BadClick("userId is not a string")
    return value


def _request_time(body: dict[str, Any]) -> datetime:
    """requestTime in epoch milliseconds ($context.requestTimeEpoch), as a number or digits."""
    value = body.get("requestTime")
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadClick("requestTime is missing or not epoch milliseconds")
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise BadClick(f"requestTime {value} is out of range") from error


def iso(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and a Z, as JavaScript's Date.toISOString writes it."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def lookup(
    client: Any,
    table: str,
    ids: Iterable[str],
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Item]:
    """Mysfit id -> its output attributes, for the ids the table holds (100 per BatchGetItem)."""
    found: dict[str, Item] = {}
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), BATCH_GET_LIMIT):
        keys = [{KEY: {"S": mysfit_id}} for mysfit_id in wanted[start : start + BATCH_GET_LIMIT]]
        for item in _get_chunk(client, table, keys, sleep):
            found[item[KEY]["S"]] = attributes(item)
    return found


def _get_chunk(
    client: Any, table: str, keys: list[dict[str, Any]], sleep: Callable[[float], None]
) -> list[dict[str, Any]]:
    """Every item of one chunk of keys, retrying the keys DynamoDB leaves unprocessed."""
    names = {f"#a{i}": name for i, name in enumerate([KEY, *ATTRIBUTES.values()])}
    request = {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}
    items: list[dict[str, Any]] = []
    pending: dict[str, Any] = {table: {"Keys": keys, **request}}
    for attempt in range(MAX_ATTEMPTS):
        if attempt:  # exponential backoff with full jitter, as AWS advises for BatchGetItem
            sleep(random.uniform(0, 0.05 * 2**attempt))
        answer = client.batch_get_item(RequestItems=pending)
        items.extend(answer.get("Responses", {}).get(table, []))
        pending = answer.get("UnprocessedKeys") or {}
        if not pending:
            return items
    left = len(pending[table]["Keys"])
    raise LookupIncomplete(f"{left} mysfit lookups still unprocessed after {MAX_ATTEMPTS} calls")


def attributes(item: dict[str, Any]) -> Item:
    """An item's output attributes (absent ones are null), numbers as int where whole."""
    return {field: _plain(item.get(name)) for field, name in ATTRIBUTES.items()}


def _plain(value: dict[str, Any] | None) -> Any:
    if value is None:
        return None
    if "N" in value:
        number = Decimal(value["N"])
        return int(number) if number == number.to_integral_value() else float(number)
    return value.get("S")
