"""Short-lived cache of encoded list responses, refreshed single-flight.

Each key (no filter, or one filter/value pair) keeps the last records read
from the backend and their pre-encoded JSON body. When an entry is stale,
one caller reloads it while concurrent callers keep getting the previous
body, so the backend sees at most one list read per key per TTL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .encoding import encode
from .filters import ListFilter
from .records import Record

Key = ListFilter | None
Loader = Callable[[Key], list[Record]]


def encode_list(records: tuple[Record, ...] | list[Record]) -> bytes:
    """The JSON body of a list response."""
    return encode({"mysfits": list(records)})


@dataclass(frozen=True, slots=True)
class _Snapshot:
    records: tuple[Record, ...]
    body: bytes
    expires: float


class _Slot:
    __slots__ = ("refreshing", "snapshot", "version")

    def __init__(self) -> None:
        self.refreshing = threading.Lock()
        self.snapshot: _Snapshot | None = None
        self.version = 0  # bumped by every patch


class ListCache:
    """Thread-safe TTL cache in front of ``loader``; a TTL of 0 disables it."""

    def __init__(
        self,
        loader: Loader,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loader = loader
        self._ttl = ttl_seconds
        self._clock = clock
        self._slots: dict[Key, _Slot] = {}
        self._lock = threading.Lock()  # guards slot creation, snapshots and versions

    def fresh(self, key: Key) -> bytes | None:
        """The cached body if it is still fresh; never blocks or loads."""
        slot = self._slots.get(key)
        snapshot = slot.snapshot if slot is not None else None
        if snapshot is not None and snapshot.expires > self._clock():
            return snapshot.body
        return None

    def get(self, key: Key) -> bytes:
        """The body for ``key``, loading it if needed (may block on the backend)."""
        if self._ttl <= 0:
            return encode_list(self._loader(key))
        slot = self._slot(key)
        snapshot = slot.snapshot
        if snapshot is not None and snapshot.expires > self._clock():
            return snapshot.body
        if slot.refreshing.acquire(blocking=False):
            try:
                snapshot = slot.snapshot
                if snapshot is not None and snapshot.expires > self._clock():
                    return snapshot.body
                return self._refresh(key, slot).body
            finally:
                slot.refreshing.release()
        if snapshot is not None:
            return snapshot.body  # another caller is refreshing: serve the previous body
        with slot.refreshing:  # nothing cached yet: wait for the load in flight
            snapshot = slot.snapshot
            if snapshot is not None:
                return snapshot.body
            # The load we waited for failed; try once more ourselves.
            return self._refresh(key, slot).body

    def patch(self, record: Record) -> None:
        """Replace the cached copy of ``record`` (after a like or adoption here)."""
        mysfit_id = record["mysfitId"]
        with self._lock:
            for slot in self._slots.values():
                slot.version += 1
                snapshot = slot.snapshot
                if snapshot is None:
                    continue
                for index, cached in enumerate(snapshot.records):
                    if cached["mysfitId"] == mysfit_id:
                        records = (
                            *snapshot.records[:index],
                            record,
                            *snapshot.records[index + 1 :],
                        )
                        slot.snapshot = _Snapshot(records, encode_list(records), snapshot.expires)
                        break

    def _slot(self, key: Key) -> _Slot:
        slot = self._slots.get(key)
        if slot is None:
            with self._lock:
                slot = self._slots.setdefault(key, _Slot())
        return slot

    def _refresh(self, key: Key, slot: _Slot) -> _Snapshot:
        version = slot.version
        records = tuple(self._loader(key))
        body = encode_list(records)
        with self._lock:
            # A write was patched in while we were reading, and our copy may
            # predate it: use it once, but let the next request reload.
            fresh = slot.version == version
            expires = self._clock() + self._ttl if fresh else 0.0
            slot.snapshot = _Snapshot(records, body, expires)
            return slot.snapshot
