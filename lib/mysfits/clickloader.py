"""Load every click Firehose delivered into one typed DataFrame, reporting what does not fit.

Reading is: list both prefixes (clicks and errors), keep what the cache already holds for
objects still listed, fetch and parse only the new objects on a thread pool (each thread
downloads, unzips and parses one object, so network waits and parsing overlap), then turn the
Arrow table into pandas once, with categoricals for the attributes.

Nothing is dropped without being counted: duplicates (same `clickId`), records Firehose put
under the error prefix, lines that are not JSON and records missing a field each come back in
their own table or list.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from botocore.client import BaseClient

from . import clickcache
from .clickfailures import error_rows, failures_frame
from .clickobjects import DEFAULT_WORKERS, StoredObject, fetch_each, list_objects
from .clickrecords import CATEGORICAL, Malformed, incomplete, parse_object

DEDUPE_KEY = "clickId"


@dataclass
class ClickLoad:
    """The clicks (one row per click), and every record that was set aside, with why."""

    clicks: pd.DataFrame
    duplicates: pd.DataFrame  # extra deliveries of a clickId already in `clicks`
    failed: pd.DataFrame  # Firehose's error records, rawData decoded
    incomplete: pd.DataFrame  # parsed, but missing clickId, mysfitId or requestTime
    malformed: list[Malformed] = field(default_factory=list)  # lines that are not records
    objects: int = 0  # delivered objects listed (clicks and errors)
    fetched: int = 0  # of which read from S3 this time (the rest came from the cache)
    seconds: float = 0.0

    @property
    def delivered(self) -> int:
        """Every click record found in S3, duplicates and incomplete ones included."""
        return len(self.clicks) + len(self.duplicates) + len(self.incomplete)

    def summary(self) -> dict[str, int | float]:
        return {
            "objects": self.objects,
            "fetched from S3": self.fetched,
            "from cache": self.objects - self.fetched,
            "clicks": len(self.clicks),
            "duplicates removed": len(self.duplicates),
            "processing failed": len(self.failed),
            "incomplete": len(self.incomplete),
            "malformed lines": len(self.malformed),
            "seconds": round(self.seconds, 2),
        }

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th>{k}</th><td>{v:,}</td></tr>" for k, v in self.summary().items())
        return f"<table><caption>Click load</caption>{rows}</table>"


def _add_clicks(
    read: clickcache.CachedRead, s3: BaseClient, bucket: str, new: list[StoredObject], workers: int
) -> None:
    parsed = list(fetch_each(s3, bucket, new, parse_object, workers))
    if parsed:
        read.clicks = pa.concat_tables([read.clicks, *(p.table for p in parsed)])
    read.malformed += [m for p in parsed for m in p.malformed]


def _add_failures(
    read: clickcache.CachedRead, s3: BaseClient, bucket: str, new: list[StoredObject], workers: int
) -> None:
    read.failure_rows += [
        row for rows in fetch_each(s3, bucket, new, error_rows, workers) for row in rows
    ]


def _unread(listed: list[StoredObject], read: clickcache.CachedRead) -> list[StoredObject]:
    return [o for o in listed if o.identity not in read.identities]


def read_delivered(
    s3: BaseClient,
    bucket: str,
    prefix: str,
    error_prefix: str,
    workers: int = DEFAULT_WORKERS,
    cache_dir: Path | None = None,
) -> tuple[clickcache.CachedRead, int, int]:
    """What is under both prefixes, the cache supplying what it holds: (read, listed, fetched)."""
    # With an empty Prefix, the error prefix lies inside the click prefix: list it apart.
    clicks = [o for o in list_objects(s3, bucket, prefix) if not o.key.startswith(error_prefix)]
    errors = list_objects(s3, bucket, error_prefix)
    read = clickcache.load(cache_dir) if cache_dir else clickcache.CachedRead()
    dropped = read.keep_only({o.identity for o in clicks + errors})
    new_clicks, new_errors = _unread(clicks, read), _unread(errors, read)
    _add_clicks(read, s3, bucket, new_clicks, workers)
    _add_failures(read, s3, bucket, new_errors, workers)
    read.identities |= {o.identity for o in new_clicks + new_errors}
    fetched = len(new_clicks) + len(new_errors)
    if cache_dir is not None and (fetched or dropped):
        clickcache.save(cache_dir, read)
    return read, len(clicks) + len(errors), fetched


def to_frame(table: pa.Table) -> pd.DataFrame:
    """The Arrow table as pandas: attributes as categoricals, ids as strings, UTC timestamps."""
    return encoded(table).to_pandas()


def encoded(table: pa.Table) -> pa.Table:
    """The attribute columns dictionary-encoded (pandas categoricals; filtering copies less)."""
    for name in (*CATEGORICAL, clickcache.OBJECT_COLUMN):
        column = table[name]
        if not pa.types.is_dictionary(column.type):
            table = table.set_column(
                table.schema.get_field_index(name), name, column.dictionary_encode()
            )
    return table


def first_deliveries(ids: pa.ChunkedArray) -> np.ndarray:
    """True where an id appears for the first time (in delivery order), False for its repeats.

    Dictionary encoding numbers distinct ids in order of first appearance (one dictionary for
    all chunks), so a row is a first delivery exactly when its number exceeds every number
    before it: one hash pass and a running maximum, no sort.
    """
    numbers = ids.dictionary_encode().combine_chunks().indices.to_numpy()
    first = np.ones(len(numbers), dtype=bool)
    if len(numbers) > 1:
        highest = np.maximum.accumulate(numbers)
        first[1:] = highest[1:] > highest[:-1]
    return first


def split(table: pa.Table) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(clicks, duplicates, incomplete): one row per clickId; later deliveries are duplicates.

    "Later" is in key order, which is delivery order: Firehose's keys carry the time.
    """
    table = encoded(table)
    missing = incomplete(table)
    if pc.any(missing).as_py():
        lacking, table = table.filter(missing), table.filter(pc.invert(missing))
    else:
        lacking = table.slice(0, 0)
    first = first_deliveries(table[DEDUPE_KEY])
    if first.all():
        return table.to_pandas(), table.slice(0, 0).to_pandas(), lacking.to_pandas()
    return (
        table.filter(first).to_pandas(),
        table.filter(~first).to_pandas(),
        lacking.to_pandas(),
    )


def load(
    s3: BaseClient,
    bucket: str,
    prefix: str,
    error_prefix: str,
    workers: int,
    cache_dir: Path | None,
) -> ClickLoad:
    """Every click under `prefix` in `bucket` and every error record under `error_prefix`.

    No defaults here: the notebook's (module 5's prefixes, a cache) are `analysis.load_clicks`'s.
    """
    started = time.perf_counter()
    read, listed, fetched = read_delivered(s3, bucket, prefix, error_prefix, workers, cache_dir)
    clicks, duplicates, missing = split(read.clicks)
    return ClickLoad(
        clicks,
        duplicates,
        failures_frame(read.failure_rows),
        missing,
        read.malformed,
        listed,
        fetched,
        time.perf_counter() - started,
    )
