"""One warm worker: a local Python process that runs one function's handler, one request at a time.

The platform's part of AWS's invoke cycle [1]: the first invocation of a new environment waits
for its init phase (reported as `Init Duration`); each invocation is framed by START, END and
REPORT lines; the function's timeout ends the environment (the process is killed) with
"Task timed out after N.NN seconds"; an environment whose runtime exited or failed to init is
not reused.

[1] https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import psutil

from ..core.children import Children
from . import reports
from .bootstrap import read_frame, write_frame
from .logstream import LogStream, pipe_reader
from .settings import FunctionSettings, log_stream_name, trace_id, worker_environment

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
INIT_LIMIT_SECONDS = 10.0  # AWS's limit on an on-demand environment's init phase
_LOG_GRACE_SECONDS = 2.0  # for the log reader to catch up with what the worker printed
_KILL_GRACE_SECONDS = 0.5  # SIGTERM to SIGKILL (a Python worker dies of SIGTERM at once)


@dataclass(frozen=True)
class Outcome:
    """What one invocation produced."""

    failed: bool  # X-Amz-Function-Error: Unhandled
    payload: bytes
    log: list[str]  # this invocation's log lines, START to REPORT
    ended: bool = False  # the worker is gone: do not reuse it


class Worker:
    """A started bootstrap process for one function version (its settings never change)."""

    def __init__(
        self, settings: FunctionSettings, task_root: Path, children: Children, endpoint_url: str
    ):
        self.settings = settings
        self.log = LogStream(
            settings.account_id,
            settings.region,
            settings.log_group,
            log_stream_name(settings.version),
        )
        environment = worker_environment(
            settings, task_root, BOOTSTRAP.parent, self.log.stream, endpoint_url
        )
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        self._started = time.monotonic()
        try:
            self._process = children.popen(
                [sys.executable, str(BOOTSTRAP), str(request_read), str(response_write)],
                cwd=task_root,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(request_read, response_write),
            )
        finally:
            os.close(request_read)
            os.close(response_write)
        self.pid = self._process.pid
        self._requests: BinaryIO = os.fdopen(request_write, "wb")
        self._responses: BinaryIO = os.fdopen(response_read, "rb")
        self.log.follow(pipe_reader(self._process.stdout))
        self._initialised = False
        self._pending_init: float | None = None  # reported by the first REPORT only
        self.last_used = time.monotonic()

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def invoke(self, request_id: str, event: bytes) -> Outcome:
        """Run one invocation (starting with the init phase when this is a cold start)."""
        self.last_used = time.monotonic()
        if not self._initialised:
            failure = self._init(request_id)
            if failure is not None:
                return failure
        self.log.record()
        self.log.write([reports.start_line(request_id, self.settings.version)])
        started = time.monotonic()
        header = {
            "requestId": request_id,
            "functionArn": self.settings.arn,
            "deadlineMs": int(time.time() * 1000) + self.settings.timeout * 1000,
            "traceId": trace_id(),
        }
        try:
            write_frame(self._requests, json.dumps(header).encode())
            write_frame(self._requests, event)
        except BrokenPipeError:
            return self._exited(request_id, started)
        answer = self._receive(self.settings.timeout)
        if answer is None:
            return self._ended_early(request_id, started)
        head, payload = answer
        self.log.wait_for(f"done:{request_id}", _LOG_GRACE_SECONDS)
        usage = self._usage(started, head["maxMemoryMB"])
        return self._finish(request_id, usage, bool(head["failed"]), payload)

    def _init(self, request_id: str) -> Outcome | None:
        """Wait for the init phase; an Outcome if it failed (the worker is then gone)."""
        answer = self._receive(INIT_LIMIT_SECONDS, frames=1)
        self._initialised = True
        self._pending_init = (time.monotonic() - self._started) * 1000
        self.log.wait_for("init", _LOG_GRACE_SECONDS)
        if answer is not None and answer[0].get("init") == "ok":
            return None
        self.log.record()
        self.log.write([reports.start_line(request_id, self.settings.version)])
        if answer is None:
            return self._ended_early(request_id, time.monotonic())
        usage = self._usage(time.monotonic(), self._peak_mb(), status="error")
        document = json.dumps(answer[0]["error"]).encode()
        self.close()
        return self._ended(self._finish(request_id, usage, True, document))

    def _receive(self, timeout: float, frames: int = 2) -> tuple[dict[str, Any], bytes] | None:
        """The worker's next answer, or None if it did not come within `timeout` seconds."""
        ready, _, _ = select.select([self._responses], [], [], timeout)
        if not ready:
            return None
        head = read_frame(self._responses)
        body = read_frame(self._responses) if frames == 2 else b""
        if head is None or body is None:
            return None
        return json.loads(head), body

    def _ended_early(self, request_id: str, started: float) -> Outcome:
        """The worker timed out (it is killed) or exited before answering."""
        if self.alive:
            memory = self._peak_mb()
            self.close()
            self.log.wait_ended(_LOG_GRACE_SECONDS)
            timeout = float(self.settings.timeout)
            self.log.write([reports.timeout_line(request_id, timeout)])
            usage = reports.Usage(
                timeout * 1000, self.settings.memory_mb, memory, self._take_init(), "timeout"
            )
            payload = json.dumps(reports.timeout_payload(request_id, timeout)).encode()
            return self._ended(self._finish(request_id, usage, True, payload))
        return self._exited(request_id, started)

    def _exited(self, request_id: str, started: float) -> Outcome:
        returncode = self._process.wait()
        self.log.wait_ended(_LOG_GRACE_SECONDS)
        usage = self._usage(started, 0, status="error")
        payload = json.dumps(reports.exit_payload(request_id, returncode)).encode()
        return self._ended(self._finish(request_id, usage, True, payload))

    @staticmethod
    def _ended(outcome: Outcome) -> Outcome:
        return Outcome(outcome.failed, outcome.payload, outcome.log, ended=True)

    def _take_init(self) -> float | None:
        """The init duration, for the first invocation's REPORT only."""
        init, self._pending_init = self._pending_init, None
        return init

    def _usage(self, started: float, memory: int, status: str = "") -> reports.Usage:
        duration = (time.monotonic() - started) * 1000
        return reports.Usage(duration, self.settings.memory_mb, memory, self._take_init(), status)

    def _finish(
        self, request_id: str, usage: reports.Usage, failed: bool, payload: bytes
    ) -> Outcome:
        self.log.write([reports.end_line(request_id), reports.report_line(request_id, usage)])
        return Outcome(failed, payload, self.log.recorded())

    def _peak_mb(self) -> int:
        try:
            return int(psutil.Process(self.pid).memory_info().rss / (1024 * 1024))
        except psutil.Error:
            return 0

    def kill(self) -> None:
        """End the process now (an invocation it is running then fails with Runtime.ExitError).

        SIGTERM first: where children run under `core/lifeline.py` (not Linux) only a forwarded
        signal reaches the worker itself.
        """
        if self.alive:
            self._process.terminate()
            try:
                self._process.wait(_KILL_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self._process.kill()

    def close(self) -> None:
        """End the worker and release its pipes (it holds no state worth a graceful stop)."""
        self.kill()
        self._process.wait()
        for stream in (self._requests, self._responses):
            try:
                stream.close()
            except OSError:
                pass
