"""The objects Firehose delivered to S3: listed page by page, read in parallel, unzipped.

Firehose writes one object per buffer flush (a few MB, as its buffering hints say), so a day of
clicks is hundreds of objects. Reading them one after another waits on each round trip in turn;
a pool of threads overlaps them (boto3 clients are thread-safe, and the waits release the GIL).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from botocore.client import BaseClient

GZIP_MAGIC = b"\x1f\x8b"
# Module 5's stream: Prefix and ErrorOutputPrefix (its `!{firehose:error-output-type}` expanded
# for the processor's failures).
DELIVERED_PREFIX = "clicks/"
ERROR_PREFIX = "processing-failed/"
# Measured by benchmarks/click_loading.py (--workers 1,2,4,8,16) on 2 cores: 2 to 4 threads used
# the least CPU and memory and were fastest; 8 and 16 only added contention.
DEFAULT_WORKERS = 4
T = TypeVar("T")


@dataclass(frozen=True)
class StoredObject:
    """One delivered object, as ListObjectsV2 describes it."""

    key: str
    etag: str
    size: int
    last_modified: datetime

    @property
    def identity(self) -> str:
        """Key and ETag: an object rewritten under the same key is a different object."""
        return f"{self.key}#{self.etag}"


def list_objects(
    s3: BaseClient, bucket: str, prefix: str, page_size: int = 1000
) -> list[StoredObject]:
    """Every object under `prefix`, in key order (ListObjectsV2 pages hold at most 1,000)."""
    found = []
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": page_size}
    )
    for page in pages:
        for item in page.get("Contents", []):
            found.append(
                StoredObject(
                    item["Key"], item["ETag"].strip('"'), item["Size"], item["LastModified"]
                )
            )
    return sorted(found, key=lambda o: o.key)


def unzip(data: bytes) -> bytes:
    """The object's bytes, gunzipped when Firehose compressed them (GZIP: a `.gz` key).

    Decided by the gzip magic number rather than the key, so a renamed object still reads.
    """
    return gzip.decompress(data) if data[:2] == GZIP_MAGIC else data


def read_object(s3: BaseClient, bucket: str, key: str) -> bytes:
    """One object's content, unzipped."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        return unzip(body.read())
    finally:
        body.close()


def in_parallel(work: Callable[[Any], T], items: Iterable[Any], workers: int) -> Iterator[T]:
    """`work(item)` for each item on a pool of `workers` threads, results in item order."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="clicks") as pool:
        yield from pool.map(work, items)


def fetch_each(
    s3: BaseClient,
    bucket: str,
    objects: Iterable[StoredObject],
    use: Callable[[str, bytes], T],
    workers: int = DEFAULT_WORKERS,
) -> Iterator[T]:
    """`use(key, content)` for each object, in order; each thread downloads, unzips and uses
    one object, so network waits and the work on what arrived overlap."""
    return in_parallel(lambda o: use(o.key, read_object(s3, bucket, o.key)), objects, workers)
