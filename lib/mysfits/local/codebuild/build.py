"""One CodeBuild build: its directory, its one bash shell, its phases and its log stream."""

from __future__ import annotations

import logging
import os
import select
import shutil
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from moto.core.utils import iso_8601_datetime_with_milliseconds
from moto.logs.models import logs_backends

from ..core.children import Children
from ..core.loopback import LoopbackClients
from ..core.stores import Stores
from ..ecs.tasks import LogDestination, open_stream
from . import api as codebuild

log = logging.getLogger("mysfits.local.codebuild")
COMMAND_PHASES = ("INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD")


class BuildFailed(Exception):
    """A phase failed; `status_code` and the message go into the phase's context."""

    def __init__(self, status_code: str, message: str):
        super().__init__(message)
        self.status_code = status_code


class BuildStopped(Exception):
    """StopBuild or the build's timeout ended it."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


def iso_now() -> str:
    return iso_8601_datetime_with_milliseconds()


def _clock() -> str:
    return datetime.now(UTC).strftime("%Y/%m/%d %H:%M:%S.%f")[:-3]


class Build:
    """One build: where it runs and what it reports."""

    def __init__(
        self,
        record: dict[str, Any],
        project: dict[str, Any],
        clients: LoopbackClients,
        stores: Stores,
        work_dir: Path,
        children: Children,
    ):
        self.id: str = record["id"]
        self.record, self.project = record, project
        self.region = record["arn"].split(":")[3]
        self.account = record["arn"].split(":")[4]
        self.book = codebuild.book(stores, self.account, self.region)
        self._clients = clients
        self.endpoint_url = clients.endpoint_url
        self.dir = work_dir / self.id.replace(":", "-")
        self.source_dir = self.dir / "src"
        self.deadline = time.monotonic() + 60 * int(record["timeoutInMinutes"])
        self.succeeding = True
        self._shell: subprocess.Popen[bytes] | None = None
        self._children = children
        self._status_read = self._status_fd_in_shell = -1
        self._environment: dict[str, str] = {}
        self._output: list[str] = []
        self._output_lock = threading.Lock()
        logs = record["logs"]
        self._logs = LogDestination(
            self.account, self.region, logs["groupName"], logs["streamName"]
        )
        self._logs_enabled = logs["cloudWatchLogs"]["status"] == "ENABLED"
        if self._logs_enabled:
            open_stream(self._logs, create_group=True)

    def client(self, service: str) -> Any:
        return self._clients.client(service, self.region)

    # -- reporting --------------------------------------------------------------------------

    def say(self, message: str) -> None:
        self._emit(f"[Container] {_clock()} {message}")

    def _emit(self, line: str) -> None:
        with self._output_lock:
            self._output.append(line)

    def flush_logs(self) -> None:
        with self._output_lock:
            lines, self._output = self._output, []
        if not lines or not self._logs_enabled:
            return
        timestamp = int(time.time() * 1000)
        try:
            logs_backends[self.account][self.region].put_log_events(
                self._logs.group,
                self._logs.stream,
                [{"timestamp": timestamp, "message": line} for line in lines],
            )
        except Exception:  # the group was deleted under a running build: AWS drops the lines too
            log.debug("log lines of %s dropped", self.id)

    def enter(self, phase: str) -> float:
        now = iso_now()
        phases = self.record["phases"]
        if phases and "endTime" not in phases[-1]:
            phases[-1].update(phaseStatus="SUCCEEDED", endTime=now, durationInSeconds=0)
        phases.append({"phaseType": phase, "startTime": now})
        self.book.update(self.id, currentPhase=phase, phases=phases)
        if phase in COMMAND_PHASES:
            self.say(f"Entering phase {phase}")
        return time.monotonic()

    def leave(
        self, phase: str, started: float, status: str, context: tuple[str, str] | None = None
    ) -> None:
        entry = self.record["phases"][-1]
        entry.update(
            phaseStatus=status, endTime=iso_now(), durationInSeconds=int(time.monotonic() - started)
        )
        if context:
            entry["contexts"] = [{"statusCode": context[0], "message": context[1]}]
        if phase in COMMAND_PHASES:
            self.say(f"Phase complete: {phase} State: {status}")
            self.say(
                f"Phase context status code: {context[0] if context else ''} "
                f"Message: {context[1] if context else ''}"
            )
        self.book.update(self.id, phases=self.record["phases"])
        self.flush_logs()

    # -- the shell --------------------------------------------------------------------------

    def start_shell(self, environment: dict[str, str]) -> None:
        self._environment = environment
        if self._status_read >= 0:
            os.close(self._status_read)
        status_read, status_write = os.pipe()
        self._shell = self._children.popen(
            ["bash", "--noprofile", "--norc"],
            cwd=self.source_dir,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(status_write,),
            start_new_session=True,
        )
        os.close(status_write)
        self._status_read, self._status_fd_in_shell = status_read, status_write
        threading.Thread(target=self._pump, name=f"build-output-{self.id}", daemon=True).start()

    def _pump(self) -> None:
        assert self._shell is not None and self._shell.stdout is not None
        for raw in iter(self._shell.stdout.readline, b""):
            self._emit(raw.decode("utf-8", "replace").rstrip("\n"))

    def run_command(self, command: str) -> int:
        """Run one buildspec command in the build's shell; its exit status."""
        self._revive_shell()
        assert self._shell is not None and self._shell.stdin is not None
        self.say(f"Running command {command}")
        # Braces keep a multi-line command whole; stdin from /dev/null keeps the script ours.
        script = f"{{\n{command}\n}} < /dev/null\necho $? >&{self._status_fd_in_shell}\n"
        try:
            self._shell.stdin.write(script.encode())
            self._shell.stdin.flush()
        except BrokenPipeError:
            return 255
        reply = b""
        while not reply.endswith(b"\n"):
            if self.book.stop_requested(self.id):
                raise BuildStopped("STOPPED")
            if time.monotonic() > self.deadline:
                raise BuildStopped("TIMED_OUT")
            ready, _, _ = select.select([self._status_read], [], [], 0.2)
            if ready:
                chunk = os.read(self._status_read, 64)
                if not chunk:  # a command ran `exit N`: that is its status, and the shell is gone
                    return self._shell.wait()
                reply += chunk
            self.flush_logs()
        return int(reply.strip() or 255)

    def _revive_shell(self) -> None:
        """A fresh shell after one ended by `exit` (its variables are lost, as on AWS)."""
        if self._shell is not None and self._shell.poll() is not None:
            self.start_shell(self._environment)

    def export(self, name: str, value: str) -> None:
        self._environment[name] = value
        self._revive_shell()
        assert self._shell is not None and self._shell.stdin is not None
        self._shell.stdin.write(f"export {name}={value}\n".encode())
        self._shell.stdin.flush()

    def close(self) -> None:
        if self._shell is not None and self._shell.poll() is None:
            try:
                os.killpg(self._shell.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._shell.wait(timeout=5)
        if self._status_read >= 0:
            os.close(self._status_read)
            self._status_read = -1
        self.flush_logs()
        shutil.rmtree(self.dir, ignore_errors=True)
