"""DynamoDB item operations are atomic, and batch writes keep AWS's size limit.

AWS behaviours restored (moto 5.2.5 differs on each):

- Every single-item write (PutItem, UpdateItem, DeleteItem) is atomic: its condition is
  evaluated and its update applied against the item as it is at that instant, so 200
  concurrent `ADD Likes :one` raise the count by exactly 200 and two concurrent adoptions
  guarded by a condition cannot both succeed. moto's request handlers read the item,
  evaluate the condition and write it back as separate Python steps, and the local
  cloud serves requests on many threads: concurrent updates of one item can interleave
  and lose writes.
- Reads never fail because of a concurrent write. moto's Scan and Query iterate over the
  table's dictionaries while other threads may insert into them (a RuntimeError, hence a
  500, under load).
- A BatchWriteItem request carries at most 25 put or delete requests; more is a
  ValidationException and nothing is written (moto accepts any number, which would hide a
  client that forgets to split its batches).

The fix wraps moto's DynamoDB request handlers, not just its backend, because the
handlers read the old item for `ReturnValues` and serialise the new one outside the
backend call: an item write holds an exclusive lock from parsing to response, reads
share the lock. TransactWriteItems and the PartiQL statements are writes too.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.responses import DynamoHandler

from ..core.patching import Patches

MAX_BATCH_WRITE = 25
WRITES = (
    "put_item",
    "update_item",
    "delete_item",
    "batch_write_item",
    "transact_write_items",
    "execute_statement",
    "batch_execute_statement",
    "execute_transaction",
)
READS = ("get_item", "batch_get_item", "transact_get_items", "query", "scan")


class ReadWriteLock:
    """Many readers or one writer; a waiting writer holds back new readers: likes never starve."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._condition:
            while self._writing or self._writers_waiting:
                self._condition.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers -= 1
                if not self._readers:
                    self._condition.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._condition:
            self._writers_waiting += 1
            try:
                while self._writing or self._readers:
                    self._condition.wait()
            finally:
                self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._condition:
                self._writing = False
                self._condition.notify_all()


def _guarded(
    handler: Callable[[DynamoHandler], Any], section: Callable[[], Any]
) -> Callable[[DynamoHandler], Any]:
    @functools.wraps(handler)
    def guarded(self: DynamoHandler) -> Any:
        with section():
            return handler(self)

    guarded.__mysfits_guarded__ = True  # type: ignore[attr-defined]
    return guarded


def check_batch_size(request_items: dict[str, list[Any]]) -> None:
    """Refuse a BatchWriteItem that AWS refuses for its size (nothing is written).

    Each table's list holds 1 to 25 requests (AWS names the constraint it checks), and
    the whole call at most 25 ("Too many items requested for the BatchWriteItem call").
    """
    for table, requests in request_items.items():
        if not 1 <= len(requests) <= MAX_BATCH_WRITE:
            raise MockValidationException(
                "1 validation error detected: "
                f"Value '{{{table}=[{len(requests)} write requests]}}' at "
                "'requestItems' failed to satisfy constraint: Map value must satisfy constraint: "
                f"[Member must have length less than or equal to {MAX_BATCH_WRITE}, "
                "Member must have length greater than or equal to 1]"
            )
    if sum(len(requests) for requests in request_items.values()) > MAX_BATCH_WRITE:
        raise MockValidationException("Too many items requested for the BatchWriteItem call")


def _limit_batch_size(handler: Callable[[DynamoHandler], Any]) -> Callable[[DynamoHandler], Any]:
    @functools.wraps(handler)
    def limited(self: DynamoHandler) -> Any:
        check_batch_size(self.body.get("RequestItems") or {})
        return handler(self)

    return limited


def apply(patches: Patches) -> None:
    """Serialise item writes against reads with this local cloud's one lock; limit batch writes."""
    lock = ReadWriteLock()
    patches.wrap("dynamodb.batch-write-limit", DynamoHandler, "batch_write_item", _limit_batch_size)
    for name in WRITES:
        patches.wrap(
            f"dynamodb.atomic.{name}", DynamoHandler, name, lambda h: _guarded(h, lock.writing)
        )
    for name in READS:
        patches.wrap(
            f"dynamodb.atomic.{name}", DynamoHandler, name, lambda h: _guarded(h, lock.reading)
        )
