"""The warm workers of one function version: one per concurrent invocation, up to a limit.

Lambda runs each concurrent invocation in its own execution environment and reuses an idle one
for the next invocation [1]. A function's reserved concurrency caps its concurrent invocations
(0 throttles every one); beyond the cap, and beyond the account's (here a local cap) Invoke
answers 429 TooManyRequestsException [2]. When the code or configuration changes, idle
environments are retired and busy ones end with their invocation.

[1] https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
[2] https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from .settings import FunctionSettings
from .worker import Worker

LOCAL_CONCURRENCY = 10  # the local cloud's cap per function without reserved concurrency
IDLE_SECONDS = 300.0  # an environment unused this long is shut down (AWS: minutes, undocumented)


class Retired(Exception):
    """The function was deleted (or the cloud reset) while this invocation waited."""


class Throttled(Exception):
    """No free slot: `reason` is the `Reason` AWS gives in TooManyRequestsException."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def concurrency_limit(settings: FunctionSettings, local_cap: int) -> tuple[int, str]:
    """The most concurrent invocations and the throttling reason beyond them."""
    if settings.reserved_concurrency is not None:
        return settings.reserved_concurrency, "ReservedFunctionConcurrentInvocationLimitExceeded"
    return local_cap, "ConcurrentInvocationLimitExceeded"


class FunctionPool:
    """Idle workers and the count of busy ones, for one function version."""

    def __init__(self, local_cap: int = LOCAL_CONCURRENCY):
        self._local_cap = local_cap
        self._changed = threading.Condition()
        self._idle: list[Worker] = []
        self._busy: list[Worker | None] = []  # None: a slot whose worker is still starting
        self._fingerprint = ""
        self._closed = False

    def lease(
        self, settings: FunctionSettings, start: Callable[[], Worker], wait: float = 0.0
    ) -> Worker:
        """An idle worker for `settings`, or a new one from `start()`; Throttled when none is
        free within `wait` seconds."""
        limit, reason = concurrency_limit(settings, self._local_cap)
        with self._changed:
            retired = self._adopt(settings.fingerprint)
            free = self._changed.wait_for(lambda: len(self._busy) < limit or self._closed, wait)
            if self._closed or not free:
                _close_all(retired)
                raise Retired() if self._closed else Throttled(reason)
            worker = self._idle.pop() if self._idle else None
            self._busy.append(worker)
        _close_all(retired)
        if worker is None:
            worker = self._start(start)
        return worker

    def _adopt(self, fingerprint: str) -> list[Worker]:
        """Switch to `fingerprint`; the idle workers of an older one are returned for closing."""
        if fingerprint == self._fingerprint:
            return []
        self._fingerprint = fingerprint
        retired, self._idle = self._idle, []
        return retired

    def _start(self, start: Callable[[], Worker]) -> Worker:
        try:
            worker = start()
        except BaseException:
            with self._changed:
                self._busy.remove(None)
                self._changed.notify_all()
            raise
        with self._changed:
            self._busy[self._busy.index(None)] = worker
        return worker

    def release(self, worker: Worker, ended: bool) -> None:
        """`worker` finished an invocation; keep it warm unless it ended or is out of date."""
        with self._changed:
            self._busy.remove(worker)
            keep = (
                not ended
                and not self._closed
                and worker.alive
                and worker.settings.fingerprint == self._fingerprint
            )
            if keep:
                self._idle.append(worker)
            self._changed.notify_all()
        if not keep:
            worker.close()

    def reap(self, now: float | None = None) -> None:
        """Shut down workers idle for IDLE_SECONDS."""
        moment = time.monotonic() if now is None else now
        with self._changed:
            stale = [w for w in self._idle if moment - w.last_used > IDLE_SECONDS]
            self._idle = [w for w in self._idle if w not in stale]
        _close_all(stale)

    def close(self) -> None:
        """Retire every worker: idle ones now; busy ones are killed (their invocation fails) and
        released by their invoker."""
        with self._changed:
            self._closed = True
            idle, self._idle = self._idle, []
            busy = [w for w in self._busy if w is not None]
            self._changed.notify_all()
        _close_all(idle)
        for worker in busy:
            worker.kill()

    def pids(self) -> list[int]:
        with self._changed:
            return [w.pid for w in self._idle + self._busy if w is not None]


def _close_all(workers: list[Worker]) -> None:
    for worker in workers:
        worker.close()
