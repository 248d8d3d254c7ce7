"""A Firehose buffer: records held until their size or their age reaches the buffering hints.

AWS delivers "when the specified buffering size or buffering interval is reached, whichever
happens first"; the interval counts from the first record the buffer holds. A batch taken for
delivery is at most the size hint (at least one record), so a Lambda request stays within the
hint however much arrived at once.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Hints:
    """Buffering hints: flush at `size_bytes` or after `interval_seconds`, whichever first."""

    size_bytes: int
    interval_seconds: float

    @classmethod
    def of(cls, size_mb: float, interval_seconds: float) -> Hints:
        return cls(int(size_mb * MIB), float(interval_seconds))


@dataclass(frozen=True)
class Record:
    """One record as Firehose holds it: data, arrival time (epoch ms) and the id it gives Lambda."""

    data: bytes
    arrival_ms: int
    record_id: str = ""


class Buffer:
    """Records waiting for delivery; thread-safe. `now` is a monotonic clock reading."""

    def __init__(self, hints: Hints):
        self.hints = hints
        self._lock = threading.Lock()
        self._records: deque[Record] = deque()
        self._size = 0
        self._opened_at: float | None = None

    def add(self, records: list[Record], now: float) -> None:
        with self._lock:
            if not self._records:
                self._opened_at = now
            self._records.extend(records)
            self._size += sum(len(r.data) for r in records)

    def __len__(self) -> int:
        return len(self._records)

    @property
    def size(self) -> int:
        return self._size

    def full(self) -> bool:
        return self._size >= self.hints.size_bytes

    def due(self, now: float) -> bool:
        """Whether the buffer is due: full enough, or its first record old enough."""
        with self._lock:
            if not self._records:
                return False
            assert self._opened_at is not None
            return self.full() or now - self._opened_at >= self.hints.interval_seconds

    def take(self) -> list[Record]:
        """The oldest records up to the size hint (at least one); [] when empty."""
        with self._lock:
            batch: list[Record] = []
            size = 0
            while self._records:
                length = len(self._records[0].data)
                if batch and size + length > self.hints.size_bytes:
                    break
                batch.append(self._records.popleft())
                size += length
            self._size -= size
            if not self._records:
                self._opened_at = None
            return batch

    def take_due(self, now: float) -> list[list[Record]]:
        """Every batch that is due now (a full buffer may give several)."""
        batches = []
        while self.due(now):
            batches.append(self.take())
        return batches

    def drain(self) -> list[list[Record]]:
        """Everything, in batches within the size hint (for a flush on stop or update)."""
        batches = []
        while len(self):
            batches.append(self.take())
        return batches
