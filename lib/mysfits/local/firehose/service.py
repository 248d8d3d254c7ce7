"""The Firehose data plane: accepts records, and delivers each stream's batches when they are due.

The heartbeat ticks this reconciler every 0.25 s: a batch whose interval has passed leaves on the
next tick, one that fills its size hint leaves at once from the put that filled it. Batches run on
a small pool of worker threads, never on the heartbeat's own thread (a processor may take seconds).
A clean stop (`close`) delivers everything still buffered, processing first, before the control
plane closes; `reset` discards it all, as the control plane forgets every stream.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from itertools import count

from ..core.heartbeat import BaseReconciler
from ..core.loopback import LoopbackClients
from ..core.stores import Stores
from .buffering import Record
from .config import DeliveryConfig
from .pipeline import LoopbackInvoker, Pipeline
from .streams import PROCESS, StreamState, Work
from .transform import Invoker

log = logging.getLogger("mysfits.local.firehose")
WORKERS = 4
Clock = Callable[[], float]


class Stopping(RuntimeError):
    """The local cloud is stopping: no new records are accepted."""


class FirehoseService(BaseReconciler):
    """Every stream's buffers, in this local cloud's stores, and the workers that empty them."""

    name = "firehose"

    def __init__(self, stores: Stores, clients: LoopbackClients, invoker: Invoker | None = None):
        self._stores = stores
        self.pipeline = Pipeline(clients, invoker or LoopbackInvoker(clients))
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="firehose")
        self._futures: set[Future[None]] = set()
        self._lock = threading.Lock()
        self._sequence = count(1)
        self._epoch = secrets.randbits(64)
        self.clock: Clock = time.monotonic

    @property
    def invoker(self) -> Invoker:
        return self.pipeline.invoker

    @invoker.setter
    def invoker(self, invoker: Invoker) -> None:
        """The seam tests use to stand in for Lambda."""
        self.pipeline.invoker = invoker

    def _streams(self, account: str, region: str) -> dict[str, StreamState]:
        return self._stores.get("firehose", account, region, dict)

    def _all(self) -> Iterator[StreamState]:
        for _, _, streams in self._stores.of("firehose"):
            yield from list(streams.values())

    def accept(
        self,
        account: str,
        region: str,
        stream: tuple[str, str],
        configure: Callable[[], DeliveryConfig],
        data: list[bytes],
    ) -> None:
        """Buffer `data` as records arriving now on `stream` (name, version); `configure` reads
        its configuration when this cloud holds none for that version yet."""
        if self.pipeline.stopping.is_set():
            raise Stopping("the local cloud is stopping")
        arrival = int(time.time() * 1000)
        records = [Record(d, arrival, self._record_id(arrival)) for d in data]
        streams = self._streams(account, region)
        name, version = stream
        with self._lock:
            state = previous = streams.get(name)
            if state is None or state.config.version != version:
                state = streams[name] = StreamState(configure())
        if previous is not None and previous is not state:
            # changed without UpdateDestination's hook: finish the old version's batches
            self._submit(previous.drain(), previous)
        state.accept(records, self.clock())
        if state.intake.full():
            self._submit(state.due(self.clock()), state)

    def _record_id(self, arrival_ms: int) -> str:
        """A record id shaped like AWS's (a long decimal sequence number), unique in this cloud."""
        return f"{arrival_ms:013d}{self._epoch:020d}{next(self._sequence):023d}"

    def reconfigure(self, account: str, region: str, config: DeliveryConfig) -> None:
        """The stream was updated: finish what it holds under its old version, then use `config`."""
        state = self._streams(account, region).get(config.stream)
        if state is not None:
            self._submit(state.reconfigure(config), state)

    def discard(self, account: str, region: str, stream: str) -> int:
        """The stream was deleted: drop what it holds (AWS makes no delivery promise then)."""
        state = self._streams(account, region).pop(stream, None)
        return sum(len(w.records) for w in state.drain()) if state else 0

    def tick(self) -> None:
        now = self.clock()
        for state in self._all():
            self._submit(state.due(now), state)

    def _submit(self, work: list[Work], state: StreamState) -> None:
        for item in work:
            future = self._pool.submit(self._run, item, state)
            with self._lock:
                self._futures.add(future)
            future.add_done_callback(self._finished)

    def _finished(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def _run(self, work: Work, state: StreamState) -> None:
        try:
            if work.kind != PROCESS:
                self.pipeline.deliver(work.config, work.records)
                return
            delivered = self.pipeline.process(work.config, work.records).delivered
            if delivered and not state.add_ready(work.config, delivered, self.clock()):
                self.pipeline.deliver(work.config, delivered)  # the stream moved on meanwhile
            elif delivered:  # due now if full, or if the destination's interval is 0
                self._submit(state.due(self.clock()), state)
        except Exception:  # a bug must not take the worker down silently
            log.exception("stream %s: a %s batch failed", work.config.stream, work.kind)

    def _settle(self) -> None:
        """Wait until no batch is running (new ones may start while waiting: wait for those too)."""
        while True:
            with self._lock:
                running = list(self._futures)
            if not running:
                return
            wait(running)

    def flush(self) -> None:
        """Deliver everything buffered now, processing first; returns when it is written."""
        for _ in range(2):  # the second pass delivers what the first one's processing produced
            self._settle()
            for state in list(self._all()):
                self._submit(state.drain(), state)
        self._settle()

    def close(self) -> None:
        """A clean stop: refuse new records, deliver what is buffered, stop the workers."""
        self.pipeline.stopping.set()
        self.flush()
        self._pool.shutdown(wait=True)

    def reset(self) -> None:
        """The control plane forgets every stream: drop what they hold."""
        self._settle()
        for _, _, streams in self._stores.of("firehose"):
            streams.clear()
