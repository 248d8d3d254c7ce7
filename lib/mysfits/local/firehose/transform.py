"""Data transformation: the Lambda event Firehose sends, the reply it requires, its retries.

AWS behaviours reproduced (developer guide, "Data Transformation and Status Model" and
"Monitoring with CloudWatch Logs"):
- the event is `{invocationId, deliveryStreamArn, region, records: [{recordId,
  approximateArrivalTimestamp (epoch ms), data (base64)}]}`;
- the reply must be `{"records": [{recordId, result, data}]}` with `result` Ok, Dropped or
  ProcessingFailed and `data` base64 (needed for Ok); a reply that is not such JSON is
  `Lambda.JsonProcessingException`, a record id returned twice `Lambda.DuplicatedRecordId`, one
  not returned (or one never sent) `Lambda.MissingRecordId`: each fails the whole batch;
- a failed invocation (an error of the Invoke call, or the function's own error,
  `Lambda.FunctionError`) is retried NumberOfRetries times; then every record of the batch is a
  failure with the last error. A malformed reply counts as a failed attempt too (whether AWS
  retries it is not documented; retrying a deterministic function changes only attemptsMade);
- a record the function marks ProcessingFailed fails alone: `Lambda.ProcessingFailedStatus`,
  "ProcessingFailed status set for record".
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .buffering import Record
from .config import Processor

MESSAGES = {
    "Lambda.JsonProcessingException": "There was an error parsing returned records from the "
    "Lambda function. Ensure that the returned records follow the status model required by "
    "Kinesis Firehose.",
    "Lambda.DuplicatedRecordId": "Multiple records were returned with the same record ID. Ensure "
    "that the Lambda function returns unique record IDs for each record.",
    "Lambda.MissingRecordId": "One or more record IDs were not returned. Ensure that the Lambda "
    "function returns all received record IDs.",
    "Lambda.FunctionError": "The Lambda function was successfully invoked but it returned an "
    "error result.",
    "Lambda.ResourceNotFound": "The specified Lambda function does not exist. Use a different "
    "function that does exist.",
    "Lambda.InvokeAccessDenied": "Access was denied. Ensure that the access policy allows access "
    "to the Lambda function.",
    "Lambda.InvokeLimitExceeded": "The Lambda concurrent execution limit is exceeded. Increase "
    "the concurrent execution limit.",
    "Lambda.ProcessingFailedStatus": "ProcessingFailed status set for record",
}
RESULTS = ("Ok", "Dropped", "ProcessingFailed")


@dataclass(frozen=True)
class Invocation:
    """What Lambda's Invoke answered: the payload, and `FunctionError` if the function failed."""

    payload: bytes
    function_error: str | None = None


class InvocationFailed(Exception):
    """One attempt failed as a whole; `code` is the Firehose error code (`Lambda.*`)."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message or MESSAGES.get(code, '')}")
        self.code = code
        self.message = message or MESSAGES.get(code, code)


# (function ARN, event JSON) -> Invocation, or raises InvocationFailed
Invoker = Callable[[str, bytes], Invocation]


@dataclass(frozen=True)
class Failure:
    """A record that goes to the error prefix, and why."""

    record: Record
    code: str
    message: str


@dataclass
class Outcome:
    """What a batch became: records to deliver, records failed, and how many were dropped."""

    delivered: list[Record] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    dropped: int = 0
    attempts: int = 0
    ended_ms: int = 0


def event(records: list[Record], stream_arn: str, region: str) -> bytes:
    """The event Firehose sends to its processor for `records`."""
    return json.dumps(
        {
            "invocationId": str(uuid.uuid4()),
            "deliveryStreamArn": stream_arn,
            "region": region,
            "records": [
                {
                    "recordId": r.record_id,
                    "approximateArrivalTimestamp": r.arrival_ms,
                    "data": base64.b64encode(r.data).decode("ascii"),
                }
                for r in records
            ],
        }
    ).encode()


def judge(payload: bytes, records: list[Record]) -> Outcome:
    """The outcome of a reply to `records`; raises InvocationFailed if the reply fails the batch."""
    replies = _reply_records(payload)
    by_id: dict[str, dict[str, Any]] = {}
    for reply in replies:
        record_id = reply.get("recordId")
        if not isinstance(record_id, str):
            raise InvocationFailed("Lambda.JsonProcessingException")
        if record_id in by_id:
            raise InvocationFailed("Lambda.DuplicatedRecordId")
        by_id[record_id] = reply
    if set(by_id) != {r.record_id for r in records}:
        raise InvocationFailed("Lambda.MissingRecordId")
    outcome = Outcome()
    for record in records:
        _apply(outcome, record, by_id[record.record_id])
    return outcome


def _reply_records(payload: bytes) -> list[dict[str, Any]]:
    try:
        reply = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise InvocationFailed("Lambda.JsonProcessingException") from None
    replies = reply.get("records") if isinstance(reply, dict) else None
    if not isinstance(replies, list) or not all(isinstance(r, dict) for r in replies):
        raise InvocationFailed("Lambda.JsonProcessingException")
    return replies


def _apply(outcome: Outcome, record: Record, reply: dict[str, Any]) -> None:
    result = reply.get("result")
    if result not in RESULTS:
        raise InvocationFailed("Lambda.JsonProcessingException")
    if result == "Dropped":
        outcome.dropped += 1
    elif result == "ProcessingFailed":
        code = "Lambda.ProcessingFailedStatus"
        outcome.failed.append(Failure(record, code, MESSAGES[code]))
    else:
        outcome.delivered.append(Record(_decoded(reply.get("data")), record.arrival_ms))


def _decoded(data: Any) -> bytes:
    if not isinstance(data, str):
        raise InvocationFailed("Lambda.JsonProcessingException")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvocationFailed("Lambda.JsonProcessingException") from None


def backoff(attempt: int) -> float:
    """Seconds to wait before retry `attempt` (1-based): short, doubling, at most 2 s."""
    return min(0.1 * 2 ** (attempt - 1), 2.0)


def transform(
    records: list[Record],
    processor: Processor,
    stream_arn: str,
    invoke: Invoker,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Run `records` through the processor, retrying failed attempts; never raises."""
    request = event(records, stream_arn, stream_arn.split(":")[3])
    last = InvocationFailed("Lambda.FunctionError")
    for attempt in range(1, processor.retries + 2):
        if attempt > 1:
            sleep(backoff(attempt - 1))
        try:
            outcome = judge(_invoked(invoke, processor.lambda_arn, request), records)
        except InvocationFailed as failed:
            last = failed
            continue
        outcome.attempts, outcome.ended_ms = attempt, now_ms()
        return outcome
    failures = [Failure(r, last.code, last.message) for r in records]
    return Outcome(failed=failures, attempts=processor.retries + 1, ended_ms=now_ms())


def _invoked(invoke: Invoker, function_arn: str, request: bytes) -> bytes:
    try:
        invocation = invoke(function_arn, request)
    except InvocationFailed:
        raise
    except Exception as error:  # the invoker's own failure is an invocation failure too
        raise InvocationFailed("Lambda.InvokeFailed", str(error)) from error
    if invocation.function_error:
        raise InvocationFailed("Lambda.FunctionError")
    return invocation.payload


def now_ms() -> int:
    return int(time.time() * 1000)
