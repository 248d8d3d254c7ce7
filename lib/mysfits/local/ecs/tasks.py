"""One ECS task as a local process: its environment, its port, its log stream."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, cast

from moto.logs.models import logs_backends

from ..core.children import Children
from ..core.endpoints import LOOPBACK
from ..ecr.images import LocalImage

# Variables a process needs to start at all; everything else comes from the task definition.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
_READ_SIZE = 64 * 1024
_FLUSH_SECONDS = 0.05
_MAX_BATCH = 10_000  # PutLogEvents takes at most 10,000 events per call
# The local cloud ignores credentials; these are placeholders, not secrets.
_PLACEHOLDER_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "mysfits-local-task",
    "AWS_SECRET_ACCESS_KEY": "mysfits-local-task",
}


@dataclass(frozen=True)
class LogDestination:
    """Where awslogs would send the container's output."""

    account_id: str
    region: str
    group: str
    stream: str


def log_destination(
    container: dict[str, Any], task_id: str, account_id: str, region: str
) -> LogDestination | None:
    """The awslogs stream `<prefix>/<container>/<task-id>`, or None without awslogs."""
    config = container.get("logConfiguration") or {}
    if config.get("logDriver") != "awslogs":
        return None
    options = config.get("options", {})
    prefix = options.get("awslogs-stream-prefix", "")
    stream = f"{prefix}/{container['name']}/{task_id}" if prefix else task_id
    return LogDestination(
        account_id, options.get("awslogs-region", region), options["awslogs-group"], stream
    )


class LogGroupMissing(Exception):
    """awslogs without awslogs-create-group needs the group to exist, as on AWS."""


def open_stream(destination: LogDestination, create_group: bool) -> None:
    backend = logs_backends[destination.account_id][destination.region]
    if destination.group not in backend.groups:
        if not create_group:
            raise LogGroupMissing(
                "ResourceInitializationError: failed to validate logger args: "
                f"The specified log group does not exist ({destination.group})"
            )
        backend.create_log_group(destination.group, {})
    backend.ensure_log_stream(destination.group, destination.stream)


def container_exit_code(returncode: int | None) -> int | None:
    """A process's return code as a container's exit code reads: 128 + N when signal N killed it."""
    if returncode is None or returncode >= 0:
        return returncode
    return 128 - returncode  # Popen reports death by signal N as -N; Docker (and so ECS) as 128 + N


class TaskProcess:
    """Runs an image's command with the task's environment; sends each output line to CloudWatch."""

    def __init__(
        self,
        image: LocalImage,
        container: dict[str, Any],
        port: int,
        endpoint_url: str,
        region: str,
        destination: LogDestination | None,
        children: Children,
    ):
        self.port = port
        self._destination = destination
        command = list(container.get("entryPoint") or []) + list(
            container.get("command") or image.recipe.cmd
        )
        if command and command[0] in {"python", "python3"}:
            command[0] = (
                sys.executable
            )  # the workshop's interpreter has the service's pinned requirements
        environment = {k: os.environ[k] for k in _INHERITED if k in os.environ}
        environment.update(image.recipe.env)
        environment.update({e["name"]: e["value"] for e in container.get("environment", [])})
        environment.update(_PLACEHOLDER_CREDENTIALS)
        # A container listens on its own network; a plain process here must keep to loopback.
        environment.update(
            {
                "PORT": str(port),
                "BIND_ADDRESS": LOOPBACK,
                "AWS_ENDPOINT_URL": endpoint_url,
                "AWS_REGION": region,
                "AWS_DEFAULT_REGION": region,
                "PYTHONUNBUFFERED": "1",
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        self._process = children.popen(
            command,
            cwd=image.workdir,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.pid = self._process.pid
        self._shipper = threading.Thread(target=self._ship, name=f"logs-{self.pid}", daemon=True)
        self._shipper.start()

    def _ship(self) -> None:
        """Ship output in batches, as awslogs does: one PutLogEvents for whatever the process wrote
        in the last `_FLUSH_SECONDS` (a call per line cost the local cloud ~80 us of CPU, under the
        GIL its load balancer relay needs, for every request the service logged)."""
        stdout = cast(io.BufferedReader, self._process.stdout)  # a pipe: Popen(stdout=PIPE)
        pending = b""
        while chunk := stdout.read1(_READ_SIZE):
            *lines, pending = (pending + chunk).split(b"\n")
            self._put(lines)
            time.sleep(
                _FLUSH_SECONDS
            )  # let lines gather; a full pipe blocks the writer, as awslogs' blocking mode
        if pending:
            self._put([pending])

    def _put(self, lines: list[bytes]) -> None:
        if self._destination is None or not lines:
            return
        timestamp = int(time.time() * 1000)
        events = [
            {"timestamp": timestamp, "message": line.decode("utf-8", "replace")} for line in lines
        ]
        backend = logs_backends[self._destination.account_id][self._destination.region]
        for start in range(0, len(events), _MAX_BATCH):
            try:
                backend.put_log_events(
                    self._destination.group,
                    self._destination.stream,
                    events[start : start + _MAX_BATCH],
                )
            except Exception:  # the group was deleted under a running task: AWS drops the lines too
                return

    @property
    def exit_code(self) -> int | None:
        return container_exit_code(self._process.poll())

    def stop(self, grace: float = 5.0) -> int:
        """SIGTERM, then SIGKILL after `grace` seconds, as ECS does (with a shorter grace)."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(grace)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._shipper.join(timeout=2)
        return int(container_exit_code(self._process.returncode))  # type: ignore[arg-type]
