"""One delivery stream's buffers: raw records before its processor, then records ready for S3.

With a Lambda processor Firehose buffers twice: incoming records by the processor's hints
(BufferSizeInMBs, BufferIntervalInSeconds) before each invocation, then transformed records by
the destination's BufferingHints before each S3 object. Without one, only the second buffer.
Every batch carries the configuration (and so the stream version) it was taken under.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .buffering import Buffer, Record
from .config import DeliveryConfig

PROCESS = "process"
DELIVER = "deliver"


@dataclass(frozen=True)
class Work:
    """A batch to process (invoke the processor) or deliver (write to S3), under `config`."""

    kind: str
    config: DeliveryConfig
    records: list[Record]


class StreamState:
    """The buffers of one stream at its current configuration."""

    def __init__(self, config: DeliveryConfig):
        self._lock = threading.Lock()
        self._set(config)

    def _set(self, config: DeliveryConfig) -> None:
        self.config = config
        self.raw = Buffer(config.processor.hints) if config.processor else None
        self.ready = Buffer(config.hints)

    @property
    def intake(self) -> Buffer:
        """Where new records go: before the processor if there is one, else straight to S3's."""
        return self.raw if self.raw is not None else self.ready

    def accept(self, records: list[Record], now: float) -> None:
        with self._lock:
            self.intake.add(records, now)

    def add_ready(self, config: DeliveryConfig, records: list[Record], now: float) -> bool:
        """Buffer transformed records taken under `config`; False if the stream moved on since."""
        with self._lock:
            if config is not self.config:
                return False
            self.ready.add(records, now)
            return True

    def due(self, now: float) -> list[Work]:
        """The batches whose size or interval is reached."""
        with self._lock:
            return self._work(self.config, now)

    def drain(self) -> list[Work]:
        """Every batch held, due or not (processing first, then delivery)."""
        with self._lock:
            return self._work(self.config, None)

    def reconfigure(self, config: DeliveryConfig) -> list[Work]:
        """Switch to `config`; the batches held under the old one, to finish under the old one."""
        with self._lock:
            held = self._work(self.config, None)
            self._set(config)
            return held

    def _work(self, config: DeliveryConfig, now: float | None) -> list[Work]:
        work = []
        for kind, buffer in ((PROCESS, self.raw), (DELIVER, self.ready)):
            if buffer is None:
                continue
            batches = buffer.drain() if now is None else buffer.take_due(now)
            work += [Work(kind, config, batch) for batch in batches]
        return work
