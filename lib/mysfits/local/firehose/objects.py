"""The S3 objects Firehose writes: their keys, their bodies and the error-record lines.

AWS behaviours reproduced (developer guide, "Amazon S3 Object Name Format", "Data Transformation
Failure Handling"):
- key `<evaluated prefix><stream>-<version>-YYYY-MM-dd-HH-mm-ss-<uuid><extension>`, evaluated in
  UTC at the approximate arrival time of the oldest record in the object;
- the body is the records' data concatenated, with no delimiter added, GZIP-compressed when the
  destination says GZIP (failed records too, under the error prefix);
- a failed record is one JSON document per line: `attemptsMade`, `arrivalTimestamp`,
  `errorCode`, `errorMessage`, `attemptEndingTimestamp`, `rawData` (the original data in
  base64) and `lambdaArn`.
"""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from datetime import UTC, datetime

from .buffering import Record
from .config import DeliveryConfig
from .prefixes import evaluate
from .transform import Failure

ERROR_OUTPUT_TYPE = "processing-failed"


def object_key(config: DeliveryConfig, records: list[Record], failed: bool = False) -> str:
    """Where `records` go: the (error) prefix evaluated at the oldest arrival, then the name."""
    when = datetime.fromtimestamp(min(r.arrival_ms for r in records) / 1000, UTC)
    template = config.error_prefix if failed else config.prefix
    prefix = evaluate(template, when, ERROR_OUTPUT_TYPE)
    stamp = when.strftime("%Y-%m-%d-%H-%M-%S")
    return f"{prefix}{config.stream}-{config.version}-{stamp}-{uuid.uuid4()}{config.extension}"


def object_body(config: DeliveryConfig, data: list[bytes]) -> bytes:
    """The records' data end to end, compressed as the destination says."""
    body = b"".join(data)
    return gzip.compress(body) if config.compression == "GZIP" else body


def error_lines(
    failures: list[Failure], lambda_arn: str, attempts: int, ended_ms: int
) -> list[bytes]:
    """One JSON line per failed record, in AWS's processing-failed format."""
    return [
        json.dumps(
            {
                "attemptsMade": attempts,
                "arrivalTimestamp": f.record.arrival_ms,
                "errorCode": f.code,
                "errorMessage": f.message,
                "attemptEndingTimestamp": ended_ms,
                "rawData": base64.b64encode(f.record.data).decode("ascii"),
                "lambdaArn": lambda_arn,
            }
        ).encode()
        + b"\n"
        for f in failures
    ]
