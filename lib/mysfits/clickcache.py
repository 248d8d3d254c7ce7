"""What the click loader has read already, on local disk, so reading again fetches only new objects.

Delivered objects never change in place (Firehose writes each under a new key), but a key could
be deleted or rewritten by hand, so entries are keyed by object key and ETag: a listing that
no longer shows an identity drops its rows, and a new identity is fetched. Everything is one
Parquet file (typed, compressed, read back in a fraction of a second): the clicks as its rows,
and the index (identities, error records and malformed lines, which are few) as JSON in its
metadata, so replacing the file replaces both at once.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .clickrecords import OBJECT_COLUMN, Malformed, empty_table

CACHE_FILE = "clicks.parquet"
INDEX_KEY = b"mysfits.index"
FORMAT = 2  # bump when what is stored changes shape; an older cache is then read afresh


def cache_root() -> Path:
    """`$MYSFITS_HOME/cache/clicks` (the workshop's home, ~/.mysfits by default)."""
    home = Path(os.environ.get("MYSFITS_HOME") or Path.home() / ".mysfits")
    return home / "cache" / "clicks"


def cache_dir(bucket: str, prefix: str, root: Path | None = None) -> Path:
    """The directory for one bucket and delivery prefix."""
    digest = hashlib.sha256(prefix.encode()).hexdigest()[:10]
    return (root or cache_root()) / f"{bucket}-{digest}"


@dataclass
class CachedRead:
    """Everything read so far: object identities, their clicks, error records, bad lines."""

    identities: set[str] = field(default_factory=set)
    clicks: pa.Table = field(default_factory=empty_table)
    failure_rows: list[dict[str, Any]] = field(default_factory=list)
    malformed: list[Malformed] = field(default_factory=list)

    def keep_only(self, identities: set[str]) -> int:
        """Forget what came from objects no longer listed; how many identities were dropped."""
        stale = self.identities - identities
        if not stale:
            return 0
        gone = {identity.rsplit("#", 1)[0] for identity in stale}
        keys = pc.cast(self.clicks[OBJECT_COLUMN], pa.string())
        self.clicks = self.clicks.filter(pc.invert(pc.is_in(keys, pa.array(sorted(gone)))))
        self.failure_rows = [r for r in self.failure_rows if r["objectKey"] not in gone]
        self.malformed = [m for m in self.malformed if m.object_key not in gone]
        self.identities -= stale
        return len(stale)


def load(directory: Path) -> CachedRead:
    """The cache in `directory`, or an empty one (missing, unreadable or of another format)."""
    try:
        clicks = pq.read_table(directory / CACHE_FILE)
        index = json.loads((clicks.schema.metadata or {}).get(INDEX_KEY, b"{}"))
    except (OSError, ValueError, pa.ArrowException):
        return CachedRead()
    if index.get("format") != FORMAT:
        return CachedRead()
    return CachedRead(
        set(index["identities"]),
        clicks.replace_schema_metadata(None),
        list(index["failures"]),
        [Malformed(**m) for m in index["malformed"]],
    )


def save(directory: Path, read: CachedRead) -> None:
    """Write the cache; the file is replaced whole, so a crash leaves the old cache or the new."""
    index = {
        "format": FORMAT,
        "identities": sorted(read.identities),
        "failures": read.failure_rows,
        "malformed": [asdict(m) for m in read.malformed],
    }
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / f"{CACHE_FILE}.partial"
    table = read.clicks.replace_schema_metadata({INDEX_KEY: json.dumps(index, default=str)})
    pq.write_table(table, partial)
    os.replace(partial, directory / CACHE_FILE)


def delete(directory: Path) -> bool:
    """Remove the cache in `directory`; False if there was none."""
    path = directory / CACHE_FILE
    if not path.exists():
        return False
    path.unlink()
    if not any(directory.iterdir()):
        directory.rmdir()
    return True
