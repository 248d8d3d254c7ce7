"""Records Firehose could not deliver, from its error prefix, decoded for reading.

When the processor answers `ProcessingFailed` for a record (bad JSON, unknown mysfit, missing
field) or cannot be invoked after its retries, Firehose writes the record to the error prefix
(module 5: `!{firehose:error-output-type}/yyyy/MM/dd/HH/`, so `processing-failed/...` for the
processor's failures) in its error-record format:
`{attemptsMade, arrivalTimestamp, errorCode, errorMessage, attemptEndingTimestamp, rawData,
lambdaArn}`, where `rawData` is the original record, base64-encoded. The timestamps are epoch
milliseconds. Whether Firehose separates these records by newlines is not documented, so both
framings are read.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import pandas as pd

from .clickrecords import record_lines

COLUMNS = (
    "objectKey",
    "errorOutputType",
    "errorCode",
    "errorMessage",
    "attemptsMade",
    "arrivalTimestamp",
    "attemptEndingTimestamp",
    "lambdaArn",
    "rawData",
    "mysfitId",
    "userId",
)


def output_type(key: str) -> str:
    """`!{firehose:error-output-type}` as it was expanded in the key (e.g. processing-failed).

    Every error output type ends in `-failed` (processing-failed, format-conversion-failed,
    ...), and ErrorOutputPrefix must contain the expression, wherever it puts it.
    """
    return next((part for part in key.split("/") if part.endswith("-failed")), "")


def raw_bytes(raw: str) -> bytes:
    """The original record's bytes from `rawData` (base64); binascii.Error if it is not base64."""
    return base64.b64decode(raw, validate=True)


def decode_raw(raw: str) -> str:
    """The original record from `rawData` (base64), as text; undecodable bytes are replaced."""
    try:
        return raw_bytes(raw).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return f"<rawData is not base64: {raw[:60]!r}>"


def _fields_of(original: str) -> dict[str, str | None]:
    """mysfitId and userId of the original record, where it is a JSON object that has them."""
    try:
        record = json.loads(original)
    except ValueError:
        record = None
    found = record if isinstance(record, dict) else {}
    return {k: v if isinstance(v := found.get(k), str) else None for k in ("mysfitId", "userId")}


def error_rows(key: str, data: bytes) -> list[dict[str, Any]]:
    """One row per error record in an object under the error prefix."""
    rows = []
    for line in record_lines(data):
        try:
            record = json.loads(line)
        except ValueError:
            record = {
                "errorCode": "Unreadable",
                "errorMessage": line[:200].decode("utf-8", "replace"),
            }
        original = decode_raw(str(record.get("rawData", "")))
        rows.append(
            {
                "objectKey": key,
                "errorOutputType": output_type(key),
                "errorCode": record.get("errorCode"),
                "errorMessage": record.get("errorMessage"),
                "attemptsMade": record.get("attemptsMade"),
                "arrivalTimestamp": record.get("arrivalTimestamp"),
                "attemptEndingTimestamp": record.get("attemptEndingTimestamp"),
                "lambdaArn": record.get("lambdaArn"),
                "rawData": original,
                **_fields_of(original),
            }
        )
    return rows


def failures_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The error records as a typed DataFrame (UTC timestamps, codes as categories)."""
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in ("arrivalTimestamp", "attemptEndingTimestamp"):
        frame[column] = pd.to_datetime(
            pd.to_numeric(frame[column], errors="coerce"), unit="ms", utc=True
        )
    frame["attemptsMade"] = pd.to_numeric(frame["attemptsMade"], errors="coerce").astype("Int64")
    for column in ("errorOutputType", "errorCode"):
        frame[column] = frame[column].astype("category")
    return frame
