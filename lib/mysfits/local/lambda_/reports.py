"""What the Lambda platform itself says about an invocation: log lines and error payloads (pure).

Formats, from AWS's documentation [1] and answers recorded against AWS (LocalStack's snapshot
tests, 2025 [2]):
- `START RequestId: <id> Version: $LATEST`, `END RequestId: <id>`, and
  `REPORT RequestId: <id>\\tDuration: 26.73 ms\\tBilled Duration: 27 ms\\tMemory Size: 128 MB\\t`
  `Max Memory Used: 75 MB\\t`, plus `Init Duration: <n> ms\\t` on a cold start;
- a timeout logs `<ISO time> <id> Task timed out after 3.00 seconds` and answers
  `{"errorType": "Sandbox.Timedout", "errorMessage": "RequestId: <id> Error: Task timed out after
  3.00 seconds"}`;
- a runtime that exits answers `Runtime.ExitError`, "Runtime exited without providing a reason"
  or "Runtime exited with error: exit status N";
- `LogType: Tail` returns the last 4 KB of the invocation's log, base64-encoded [3].

[1] https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html
[2] github.com/localstack/localstack tests/aws/services/lambda_/test_lambda.snapshot.json
[3] https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
"""

from __future__ import annotations

import base64
import math
import signal
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

TAIL_BYTES = 4096
MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100  # 6291556, the limit AWS names in its message


def start_line(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}"


@dataclass(frozen=True)
class Usage:
    """What one invocation used, for its REPORT line."""

    duration_ms: float
    memory_mb: int
    max_memory_used_mb: int
    init_ms: float | None = None  # set on a cold start
    status: str = ""  # "timeout" or "error" when the environment ended with the invocation


def report_line(request_id: str, usage: Usage) -> str:
    fields = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {usage.duration_ms:.2f} ms",
        f"Billed Duration: {math.ceil(usage.duration_ms)} ms",
        f"Memory Size: {usage.memory_mb} MB",
        f"Max Memory Used: {usage.max_memory_used_mb} MB",
    ]
    if usage.init_ms is not None:
        fields.append(f"Init Duration: {usage.init_ms:.2f} ms")
    if usage.status:
        fields.append(f"Status: {usage.status}")
    return "\t".join(fields) + "\t"


def iso_now(now: datetime | None = None) -> str:
    """`2025-01-31T12:00:00.123Z`, as Lambda stamps its own lines."""
    moment = now or datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def timed_out_text(timeout: float) -> str:
    return f"Task timed out after {timeout:.2f} seconds"


def timeout_line(request_id: str, timeout: float, now: datetime | None = None) -> str:
    return f"{iso_now(now)} {request_id} {timed_out_text(timeout)}"


def timeout_payload(request_id: str, timeout: float) -> dict[str, Any]:
    return {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: {timed_out_text(timeout)}",
    }


def exit_reason(returncode: int | None) -> str:
    """How the platform describes a runtime process that ended (Popen: -N is signal N)."""
    if not returncode:
        return "Runtime exited without providing a reason"
    if returncode < 0:
        name = signal.Signals(-returncode).name.removeprefix("SIG").lower()
        return f"Runtime exited with error: signal: {name}"
    return f"Runtime exited with error: exit status {returncode}"


def exit_payload(request_id: str, returncode: int | None) -> dict[str, Any]:
    return {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {request_id} Error: {exit_reason(returncode)}",
    }


def too_large_payload() -> dict[str, Any]:
    return {
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        f"({MAX_RESPONSE_BYTES} bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }


def tail(lines: list[str]) -> str:
    """`X-Amz-Log-Result`: the last 4 KB of the invocation's log, base64."""
    text = "".join(f"{line}\n" for line in lines).encode()
    return base64.b64encode(text[-TAIL_BYTES:]).decode()
