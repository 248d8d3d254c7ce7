"""CodePipeline executions run locally: each on a thread of its own; S3 sources polled for changes.

Every call to S3, CodeBuild and ECS goes through the local cloud's own API, so its fixes apply.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from botocore.exceptions import ClientError
from moto.codepipeline.models import CodePipeline

from ..core.loopback import LoopbackClients
from ..core.stores import Stores
from . import book as books
from .book import Execution, PipelineBook
from .execution import Lanes, Run
from .steps import polls

log = logging.getLogger("mysfits.local.pipelines")

POLL_SECONDS = 1.0  # AWS polls S3 sources less often; locally a push should release quickly


class PipelineRunner:
    """Runs every execution the control plane starts, and polls S3 sources for changes."""

    def __init__(self, clients: LoopbackClients, stores: Stores, book: PipelineBook):
        self.clients = clients
        self.stores = stores
        self.book = book
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self._threads: list[threading.Thread] = []
        self._poller: threading.Thread | None = None
        self._next_poll = 0.0
        book.listen(self.start)

    @property
    def halted(self) -> bool:
        return self._halt.is_set()

    def wait_halt(self, seconds: float) -> bool:
        return self._halt.wait(seconds)

    def lanes(self, pipeline: CodePipeline) -> Lanes:
        return self.book.lanes(pipeline, lambda: Lanes(self.book))

    def start(self, pipeline: CodePipeline, execution: Execution) -> None:
        """Run the execution on a thread of its own."""
        thread = threading.Thread(
            target=self._run,
            args=(pipeline, execution),
            daemon=True,
            name=f"pipeline-{execution.pipeline}-{execution.id[:8]}",
        )
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _run(self, pipeline: CodePipeline, execution: Execution) -> None:
        try:
            status = Run(self, pipeline, execution).execute()
        except Exception:  # a bug here must still end the execution
            log.exception("pipeline execution %s of %s faulted", execution.id, execution.pipeline)
            status = "Failed"
        self.book.update_execution(execution, status=status)

    def tick(self) -> None:
        """Start a poll of the S3 sources when one is due and none is running (never blocks)."""
        with self._lock:
            if self._halt.is_set() or time.monotonic() < self._next_poll:
                return
            if self._poller is not None and self._poller.is_alive():
                return
            self._next_poll = time.monotonic() + POLL_SECONDS
            self._poller = threading.Thread(
                target=self._poll, name="pipeline-source-poller", daemon=True
            )
            self._poller.start()

    def _poll(self) -> None:
        for pipeline in books.pipelines():
            for stage in pipeline.pipeline["stages"]:
                for action in stage["actions"]:
                    if self._halt.is_set():
                        return
                    if polls(action):
                        self._check_source(pipeline, stage["name"], action)

    def _check_source(self, pipeline: CodePipeline, stage: str, action: dict[str, Any]) -> None:
        configuration, region = action.get("configuration") or {}, books.region_of(pipeline)
        s3 = self.clients.client("s3", region)
        try:
            version = s3.head_object(
                Bucket=configuration.get("S3Bucket", ""), Key=configuration.get("S3ObjectKey", "")
            ).get("VersionId")
        except ClientError:
            version = None  # no bucket or object yet: its first version will be a change
        if version == "null":
            version = None  # an unversioned bucket has no revisions to detect
        if self.book.source_changed(pipeline, f"{stage}/{action['name']}", version):
            log.info(
                "new revision %s of s3://%s/%s: starting pipeline %s",
                version,
                configuration.get("S3Bucket"),
                configuration.get("S3ObjectKey"),
                pipeline.pipeline["name"],
            )
            self.book.start_execution(
                pipeline,
                "PollForSourceChanges",
                action["name"],
                source_versions={action["name"]: version},
            )

    def close(self) -> None:
        """Abandon each execution, stop polling, wait for the threads; the runner stays usable."""
        self._halt.set()
        with self._lock:
            threads = [t for t in [*self._threads, self._poller] if t is not None]
            self._threads, self._poller = [], None
        for thread in threads:
            thread.join(timeout=10)
        self._halt.clear()
