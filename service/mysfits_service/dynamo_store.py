"""DynamoDB backend (low-level boto3 client)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from .errors import AlreadyAdopted, BackendFailure, BackendUnavailable, NotFound
from .filters import ListFilter
from .records import (
    ADOPTED_BY,
    KEY_ATTRIBUTE,
    LIKED_BY,
    InvalidRecord,
    Record,
    key_for,
    personal_view,
    projection,
    record_from_item,
)
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

# Each write is one conditional UpdateItem, which DynamoDB applies atomically: the service never
# reads a count and writes it back. Who liked a mysfit is a string set on its own item, so a
# like and its record are one write (see README, "Per-user likes", for the 400 KB item limit).
ANONYMOUS_LIKE: dict[str, Any] = {
    "UpdateExpression": "ADD Likes :one",
    "ConditionExpression": "attribute_exists(MysfitId)",
    "ExpressionAttributeValues": {":one": {"N": "1"}},
}


def user_like(sub: str) -> dict[str, Any]:
    """Add `sub` to the likers and one to the count, unless `sub` is a liker already."""
    return {
        "UpdateExpression": "ADD Likes :one, LikedBy :subs",
        "ConditionExpression": "attribute_exists(MysfitId) AND NOT contains(LikedBy, :sub)",
        "ExpressionAttributeValues": {
            ":one": {"N": "1"},
            ":subs": {"SS": [sub]},
            ":sub": {"S": sub},
        },
    }


def adoption(sub: str | None) -> dict[str, Any]:
    """Mark adopted (recording the adopter when known), unless it already is."""
    values: dict[str, Any] = {":true": {"BOOL": True}, ":false": {"BOOL": False}}
    update = "SET Adopted = :true"
    if sub is not None:
        update += ", AdoptedBy = :sub"
        values[":sub"] = {"S": sub}
    return {
        "UpdateExpression": update,
        "ConditionExpression": (
            "attribute_exists(MysfitId) AND (attribute_not_exists(Adopted) OR Adopted = :false)"
        ),
        "ExpressionAttributeValues": values,
    }


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
        # Only the record's attributes: a list never carries who liked what.
        request: dict[str, Any] = {"TableName": self.table, **projection()}
        if flt is None:
            items = self._pages("Scan", self.client.scan, request)
        else:
            request["IndexName"] = f"{flt.name}Index"
            request["KeyConditionExpression"] = "#attr = :value"
            request["ExpressionAttributeNames"]["#attr"] = flt.name
            request["ExpressionAttributeValues"] = {":value": {"S": flt.value}}
            items = self._pages("Query", self.client.query, request)
        records = []
        for item in items:
            try:
                records.append(record_from_item(item))
            except InvalidRecord as exc:
                self._skip_log.skipped(_item_id(item), str(exc))
        return records

    def get_mysfit(self, mysfit_id: str, viewer: str | None = None) -> Record:
        extra = (LIKED_BY, ADOPTED_BY) if viewer else ()
        request = {
            "TableName": self.table,
            "Key": key_for(mysfit_id),
            "ConsistentRead": True,
            **projection(*extra),
        }
        item = self._call("GetItem", self.client.get_item, request).get("Item")
        record = self._visible(mysfit_id, item)
        return record if viewer is None else personal_view(record, item or {}, viewer)

    # -- writes ----------------------------------------------------------

    def like(self, mysfit_id: str, user: str | None = None) -> Record:
        try:
            # Without sign-in (modules 2 and 3) anyone may like, as often as they like.
            return self._update(mysfit_id, user_like(user) if user else ANONYMOUS_LIKE, user)
        except ClientError as exc:  # the mysfit is missing, or this user liked it already
            if user is None or (item := self._current(mysfit_id, exc)) is None:
                raise NotFound(f"No mysfit with id {mysfit_id}") from None
            return personal_view(self._visible(mysfit_id, item), item, user)

    def adopt(self, mysfit_id: str, user: str | None = None) -> Record:
        try:
            return self._update(mysfit_id, adoption(user), user)
        except ClientError as exc:
            if self._current(mysfit_id, exc) is None:
                raise NotFound(f"No mysfit with id {mysfit_id}") from None
            raise AlreadyAdopted(f"Mysfit {mysfit_id} has already been adopted") from None

    # -- helpers ---------------------------------------------------------

    def _update(self, mysfit_id: str, update: dict[str, Any], user: str | None) -> Record:
        """One conditional UpdateItem; a failed condition propagates as ClientError."""
        request = {
            "TableName": self.table,
            "Key": key_for(mysfit_id),
            **update,
            "ReturnValues": "ALL_NEW",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        item = self._call("UpdateItem", self.client.update_item, request).get("Attributes")
        record = self._visible(mysfit_id, item)
        return record if user is None else personal_view(record, item or {}, user)

    def _current(self, mysfit_id: str, failed: ClientError) -> Mapping[str, Any] | None:
        """The item as it was when a condition failed; None if there is no such mysfit."""
        old = failed.response.get("Item")
        if old:
            return old
        # Some emulators ignore ReturnValuesOnConditionCheckFailure; ask directly.
        request = {
            "TableName": self.table,
            "Key": key_for(mysfit_id),
            "ConsistentRead": True,
            **projection(LIKED_BY, ADOPTED_BY),
        }
        return self._call("GetItem", self.client.get_item, request).get("Item")

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
