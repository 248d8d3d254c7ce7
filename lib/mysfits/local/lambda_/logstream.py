"""One worker's CloudWatch Logs stream: its output and the platform's lines, in the order written.

Lambda writes to `/aws/lambda/<function>` (creating the group when it is missing) and gives each
execution environment its own stream [1]. The worker's stdout is read by one thread; the
platform's own lines (START, END, REPORT, timeouts) are written between them by the invoker. The
worker prints a marker line after its init phase and after each invocation, so the invoker can
wait until all of an invocation's output is in the log before it writes END and answers.

[1] https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
"""

from __future__ import annotations

import io
import threading
import time
from typing import cast

from moto.logs.models import logs_backends

from .bootstrap import MARKER

_READ_SIZE = 64 * 1024
_MAX_BATCH = 10_000  # PutLogEvents takes at most 10,000 events per call


class LogStream:
    """Writes lines to one log stream and keeps what the current invocation wrote (for Tail)."""

    def __init__(self, account_id: str, region: str, group: str, stream: str):
        self._backend = logs_backends[account_id][region]
        self.group = group
        self.stream = stream
        if group not in self._backend.groups:
            self._backend.create_log_group(group, {})
        self._backend.ensure_log_stream(group, stream)
        self._changed = threading.Condition()
        self._markers: set[str] = set()
        self._ended = False
        self._recording: list[str] | None = None

    def follow(self, pipe: io.BufferedReader) -> threading.Thread:
        """Ship everything `pipe` (the worker's stdout) carries until it closes."""
        reader = threading.Thread(target=self._read, args=(pipe,), name="lambda-logs", daemon=True)
        reader.start()
        return reader

    def _read(self, pipe: io.BufferedReader) -> None:
        pending = b""
        try:
            while chunk := pipe.read1(_READ_SIZE):
                *lines, pending = (pending + chunk).split(b"\n")
                self._take([line.decode("utf-8", "replace") for line in lines])
            if pending:
                self._take([pending.decode("utf-8", "replace")])
        finally:
            with self._changed:
                self._ended = True
                self._changed.notify_all()

    def _take(self, lines: list[str]) -> None:
        output = [line for line in lines if not line.startswith(MARKER)]
        self.write(output)
        markers = {line.removeprefix(MARKER) for line in lines if line.startswith(MARKER)}
        if markers:
            with self._changed:
                self._markers |= markers
                self._changed.notify_all()

    def write(self, lines: list[str]) -> None:
        """Append `lines` to the stream (and to the current invocation's record)."""
        if not lines:
            return
        with self._changed:
            if self._recording is not None:
                self._recording.extend(lines)
            timestamp = int(time.time() * 1000)
            events = [{"timestamp": timestamp, "message": line} for line in lines]
            for start in range(0, len(events), _MAX_BATCH):
                try:
                    self._backend.put_log_events(
                        self.group, self.stream, events[start : start + _MAX_BATCH]
                    )
                except Exception:  # the group was deleted meanwhile: AWS drops the lines too
                    return

    def wait_for(self, marker: str, timeout: float) -> bool:
        """Wait until the worker has printed `marker` (False if it ended or `timeout` passed)."""
        with self._changed:
            found = self._changed.wait_for(lambda: marker in self._markers or self._ended, timeout)
            seen = marker in self._markers
            self._markers.discard(marker)
            return bool(found) and seen

    def wait_ended(self, timeout: float) -> None:
        """Wait until everything the (ended) worker printed has been shipped."""
        with self._changed:
            self._changed.wait_for(lambda: self._ended, timeout)

    def record(self) -> None:
        """Start keeping the lines written from now on."""
        with self._changed:
            self._recording = []

    def recorded(self) -> list[str]:
        """The lines written since `record()`; stops keeping them."""
        with self._changed:
            lines, self._recording = self._recording or [], None
            return lines


def pipe_reader(stream: object) -> io.BufferedReader:
    """A Popen stdout pipe, typed as what it is."""
    return cast(io.BufferedReader, stream)
