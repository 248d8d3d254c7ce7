"""Lambda's data plane: invocations run in warm worker processes, synchronously or as events.

An asynchronous (`Event`) invocation is queued and run in the background; a function error is
retried up to `MaximumRetryAttempts` more times (default 2) [1], and a throttled one waits for a
free slot. AWS waits about a minute, then two, between retries; here the waits are
`EVENT_RETRY_DELAYS` seconds, so a test or a notebook sees the outcome promptly.

[1] https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from moto.awslambda.models import lambda_backends

from ..core.children import Children
from ..core.heartbeat import BaseReconciler
from .code import CodeCache
from .pool import LOCAL_CONCURRENCY, FunctionPool, Retired, Throttled
from .settings import FunctionSettings, check_runnable, settings_of
from .worker import Outcome, Worker

EVENT_RETRY_DELAYS = (1.0, 2.0)  # seconds before the first and the second retry
EVENT_SLOT_WAIT = 60.0  # how long a queued event waits for a free slot before it is dropped
log = logging.getLogger("mysfits.local.lambda")

PoolKey = tuple[str, str, str, str]  # account, region, function name, version


class LambdaService(BaseReconciler):
    """Every function's worker pool in one local cloud; the heartbeat's `lambda` reconciler."""

    name = "lambda"

    def __init__(
        self,
        children: Children,
        work_dir: Path,
        endpoint_url: str,
        local_cap: int = LOCAL_CONCURRENCY,
    ):
        self._children = children
        self._endpoint_url = endpoint_url
        self._local_cap = local_cap
        self.code = CodeCache(work_dir / "lambda-code")
        self._pools: dict[PoolKey, FunctionPool] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._generation = 0  # bumped by reset: queued events of a forgotten world are dropped
        self._events = ThreadPoolExecutor(max_workers=local_cap, thread_name_prefix="lambda-event")

    def invoke(self, function: Any, request_id: str, event: bytes, wait: float = 0.0) -> Outcome:
        """Run one invocation of moto's `function`; Throttled when no slot frees within `wait`."""
        settings = settings_of(function)
        check_runnable(settings, function.package_type)
        pool = self._pool(settings)
        worker = pool.lease(settings, lambda: self._start(settings, function.code_bytes), wait)
        outcome: Outcome | None = None
        try:
            outcome = worker.invoke(request_id, event)
            return outcome
        finally:
            pool.release(worker, ended=outcome is None or outcome.ended)

    def _start(self, settings: FunctionSettings, code: bytes) -> Worker:
        task_root = self.code.task_root(settings.code_sha256, code)
        return Worker(settings, task_root, self._children, self._endpoint_url)

    def _pool(self, settings: FunctionSettings) -> FunctionPool:
        key = (settings.account_id, settings.region, settings.name, settings.version)
        with self._lock:
            if key not in self._pools:
                self._pools[key] = FunctionPool(self._local_cap)
            return self._pools[key]

    def enqueue(self, function: Any, request_id: str, event: bytes) -> None:
        """Accept an `Event` invocation: it runs in the background."""
        check_runnable(settings_of(function), function.package_type)
        self._events.submit(self._run_event, function, request_id, event, self._generation)

    def _run_event(self, function: Any, request_id: str, event: bytes, generation: int) -> None:
        retries = _maximum_retries(function)
        for attempt in range(retries + 1):
            if attempt and self._stopping.wait(EVENT_RETRY_DELAYS[attempt - 1]):
                return
            if generation != self._generation:
                return
            try:
                outcome = self.invoke(function, request_id, event, wait=EVENT_SLOT_WAIT)
            except Throttled:
                log.warning("event %s for %s dropped: throttled", request_id, function.function_arn)
                return
            except Retired:
                return  # the function is gone
            except Exception:  # no caller to tell: the local cloud's log says what happened
                log.exception("event %s for %s failed to run", request_id, function.function_arn)
                return
            if not outcome.failed:
                return
        log.info("event %s failed %d times", request_id, retries + 1)

    def pids(self) -> list[int]:
        """Every worker process running now."""
        with self._lock:
            pools = list(self._pools.values())
        return [pid for pool in pools for pid in pool.pids()]

    def tick(self) -> None:
        """Retire the workers of deleted functions; shut down long-idle ones."""
        with self._lock:
            gone = [key for key in self._pools if not _exists(*key)]
            retired = [self._pools.pop(key) for key in gone]
            pools = list(self._pools.values())
        for pool in retired:
            pool.close()
        for pool in pools:
            pool.reap()

    def reset(self) -> None:
        with self._lock:
            self._generation += 1
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()

    def close(self) -> None:
        self._stopping.set()
        self._events.shutdown(wait=False, cancel_futures=True)
        self.reset()
        self.code.clear()


def _maximum_retries(function: Any) -> int:
    """MaximumRetryAttempts from the function's event invoke configuration (AWS default: 2)."""
    for config in function.event_invoke_config:
        if "MaximumRetryAttempts" in config.config:
            return int(config.config["MaximumRetryAttempts"])
    return 2


def _exists(account_id: str, region: str, name: str, version: str) -> bool:
    try:
        backend = lambda_backends[account_id][region]
        backend.get_function(name, None if version == "$LATEST" else version)
        return True
    except Exception:  # moto's UnknownFunctionException, or the whole backend reset
        return False
