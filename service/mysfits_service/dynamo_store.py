"""DynamoDB backend (low-level boto3 client)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from .errors import AlreadyAdopted, BackendFailure, BackendUnavailable, NotFound
from .filters import ListFilter
from .records import KEY_ATTRIBUTE, InvalidRecord, Record, key_for, record_from_item
from .store import SkipLog

log = logging.getLogger(__name__)

RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
    }
)
CONDITION_FAILED = "ConditionalCheckFailedException"


def make_client() -> Any:
    """A DynamoDB client; region, credentials and AWS_ENDPOINT_URL come from the environment."""
    import boto3
    from botocore.config import Config

    config = Config(
        # Few, short retries: a throttled request should become a quick 503
        # rather than hold a worker thread for seconds.
        retries={"mode": "legacy", "total_max_attempts": 3},
        # More than the 40 request threads, so none of them queues for a socket.
        max_pool_connections=48,
        connect_timeout=2,
        read_timeout=5,
    )
    return boto3.client("dynamodb", config=config)


def _item_id(item: Mapping[str, Any]) -> object:
    attr = item.get(KEY_ATTRIBUTE)
    return attr.get("S") if isinstance(attr, Mapping) else None


class DynamoStore:
    """Mysfits in a DynamoDB table keyed by ``MysfitId`` with GoodEvil/LawChaos GSIs."""

    def __init__(self, client: Any, table: str, page_size: int | None = None) -> None:
        self.client = client
        self.table = table
        self.page_size = page_size
        self._skip_log = SkipLog(log)

    # -- reads -----------------------------------------------------------

    def list_mysfits(self, flt: ListFilter | None) -> list[Record]:
        if flt is None:
            items = self._pages("Scan", self.client.scan, {"TableName": self.table})
        else:
            request = {
                "TableName": self.table,
                "IndexName": f"{flt.name}Index",
                "KeyConditionExpression": "#attr = :value",
                "ExpressionAttributeNames": {"#attr": flt.name},
                "ExpressionAttributeValues": {":value": {"S": flt.value}},
            }
            items = self._pages("Query", self.client.query, request)
        records = []
        for item in items:
            try:
                records.append(record_from_item(item))
            except InvalidRecord as exc:
                self._skip_log.skipped(_item_id(item), str(exc))
        return records

    def get_mysfit(self, mysfit_id: str) -> Record:
        response = self._call(
            "GetItem",
            self.client.get_item,
            {"TableName": self.table, "Key": key_for(mysfit_id), "ConsistentRead": True},
        )
        return self._visible(mysfit_id, response.get("Item"))

    # -- writes ----------------------------------------------------------

    def like(self, mysfit_id: str) -> Record:
        request = {
            "TableName": self.table,
            "Key": key_for(mysfit_id),
            "UpdateExpression": "ADD Likes :one",
            "ConditionExpression": "attribute_exists(MysfitId)",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
            "ReturnValues": "ALL_NEW",
        }
        try:
            response = self._call("UpdateItem", self.client.update_item, request)
        except ClientError:  # only a failed condition gets through _call
            raise NotFound(f"No mysfit with id {mysfit_id}") from None
        return self._visible(mysfit_id, response.get("Attributes"))

    def adopt(self, mysfit_id: str) -> Record:
        request = {
            "TableName": self.table,
            "Key": key_for(mysfit_id),
            "UpdateExpression": "SET Adopted = :true",
            "ConditionExpression": (
                "attribute_exists(MysfitId) AND (attribute_not_exists(Adopted) OR Adopted = :false)"
            ),
            "ExpressionAttributeValues": {":true": {"BOOL": True}, ":false": {"BOOL": False}},
            "ReturnValues": "ALL_NEW",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        try:
            response = self._call("UpdateItem", self.client.update_item, request)
        except ClientError as exc:
            if not self._exists(mysfit_id, exc):
                raise NotFound(f"No mysfit with id {mysfit_id}") from None
            raise AlreadyAdopted(f"Mysfit {mysfit_id} has already been adopted") from None
        return self._visible(mysfit_id, response.get("Attributes"))

    # -- helpers ---------------------------------------------------------

    def _exists(self, mysfit_id: str, failed: ClientError) -> bool:
        if failed.response.get("Item"):
            return True
        # Some emulators ignore ReturnValuesOnConditionCheckFailure; ask directly.
        response = self._call(
            "GetItem",
            self.client.get_item,
            {
                "TableName": self.table,
                "Key": key_for(mysfit_id),
                "ConsistentRead": True,
                "ProjectionExpression": KEY_ATTRIBUTE,
            },
        )
        return "Item" in response

    def _visible(self, mysfit_id: str, item: Mapping[str, Any] | None) -> Record:
        """Convert an item; a missing or malformed one is reported as not found."""
        if item is None:
            raise NotFound(f"No mysfit with id {mysfit_id}")
        try:
            return record_from_item(item)
        except InvalidRecord as exc:
            self._skip_log.skipped(mysfit_id, str(exc))
            raise NotFound(f"No mysfit with id {mysfit_id}") from None

    def _pages(
        self, operation: str, call: Callable[..., dict[str, Any]], request: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """Yield every item of a Scan or Query, following LastEvaluatedKey."""
        request = dict(request)
        if self.page_size:
            request["Limit"] = self.page_size
        while True:
            page = self._call(operation, call, request)
            yield from page.get("Items", ())
            last_key = page.get("LastEvaluatedKey")
            if not last_key:
                return
            request["ExclusiveStartKey"] = last_key

    def _call(
        self, operation: str, call: Callable[..., dict[str, Any]], request: dict[str, Any]
    ) -> dict[str, Any]:
        """Run one API call, turning AWS failures into service errors.

        A failed condition is re-raised unchanged for the caller to interpret.
        """
        try:
            return call(**request)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "Unknown")
            if code == CONDITION_FAILED:
                raise
            request_id = exc.response.get("ResponseMetadata", {}).get("RequestId", "-")
            if code in RETRYABLE_CODES:
                log.warning(
                    "DynamoDB %s on %s refused: code=%s request_id=%s",
                    operation,
                    self.table,
                    code,
                    request_id,
                )
                raise BackendUnavailable("The database is busy. Please retry shortly.") from None
            log.error(
                "DynamoDB %s on %s failed: code=%s request_id=%s message=%s",
                operation,
                self.table,
                code,
                request_id,
                error.get("Message", ""),
            )
            raise BackendFailure("The request could not be completed.") from None
        except (BotoConnectionError, HTTPClientError) as exc:  # timeouts, refused, reset
            log.warning("DynamoDB %s on %s unreachable: %s", operation, self.table, exc)
            raise BackendUnavailable("The database is unreachable. Please retry shortly.") from None
        except BotoCoreError as exc:
            log.error("DynamoDB %s on %s failed: %s", operation, self.table, type(exc).__name__)
            raise BackendFailure("The request could not be completed.") from None
