"""Synthetic deliveries in Firehose's layout, for tests and the loading benchmark.

Real deliveries come from module 5's stream; these are written straight to S3 with the same
key layout (`<prefix>yyyy/MM/dd/HH/<stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid>`, UTC), the
processor's record format (one JSON object and "\\n" per click) and Firehose's error-record
format under the error prefix, so the loader can be measured and tested without a stream.
"""

from __future__ import annotations

import base64
import json
import random
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from . import paths

STREAM = "mysfits-clicks"
FIELDS = ("name", "species", "goodEvil", "lawChaos", "age")


def catalogue() -> list[dict[str, Any]]:
    """The data set's mysfits (what the processor enriches clicks with)."""
    return list(json.loads(paths.data_file().read_text())["mysfits"])


def iso(at: datetime) -> str:
    """ISO-8601 UTC with milliseconds and a Z, as the processor writes times."""
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def click_record(mysfit: dict[str, Any], click_id: str, user: str | None, at: datetime) -> bytes:
    """One enriched click, framed as the processor frames it."""
    record = {
        "clickId": click_id,
        "mysfitId": mysfit["mysfitId"],
        "userId": user,
        "requestTime": iso(at),
        "processedAt": iso(at + timedelta(seconds=1)),
        **{k: mysfit[k] for k in FIELDS},
    }
    return (json.dumps(record, separators=(",", ":")) + "\n").encode()


def click_lines(count: int, seed: int, start: datetime | None = None) -> list[bytes]:
    """`count` clicks on random mysfits, 3 ms apart; 80% by one of 20,000 visitors."""
    rng, mysfits = random.Random(seed), catalogue()
    start = start or datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    return [
        click_record(
            mysfits[rng.randrange(len(mysfits))],
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            f"bench-{rng.randrange(20_000):05d}" if rng.random() < 0.8 else None,
            start + timedelta(milliseconds=n * 3),
        )
        for n in range(count)
    ]


def redelivered(lines: list[bytes], share: float, seed: int) -> list[bytes]:
    """`lines` plus a second delivery of `share` of them, later (Firehose: at least once)."""
    again = random.Random(seed).sample(range(len(lines)), int(len(lines) * share))
    return lines + [lines[i] for i in sorted(again)]


def objects(lines: Iterable[bytes], object_bytes: int) -> list[bytes]:
    """The records cut into objects of about `object_bytes`, as a buffering hint cuts them."""
    out: list[bytes] = []
    current: list[bytes] = []
    size = 0
    for line in lines:
        current.append(line)
        size += len(line)
        if size >= object_bytes:
            out.append(b"".join(current))
            current, size = [], 0
    return out + ([b"".join(current)] if current else [])


def firehose_key(prefix: str, at: datetime, version: int = 1, stream: str = STREAM) -> str:
    """An object key as Firehose makes it (the oldest record's arrival time, UTC)."""
    return f"{prefix}{at:%Y/%m/%d/%H}/{stream}-{version}-{at:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4()}"


def error_record(raw: bytes, code: str, message: str, at_ms: int) -> dict[str, Any]:
    """Firehose's error record for one record the processor failed."""
    return {
        "attemptsMade": 1,
        "arrivalTimestamp": at_ms,
        "errorCode": code,
        "errorMessage": message,
        "attemptEndingTimestamp": at_ms + 1000,
        "rawData": base64.b64encode(raw).decode(),
        "lambdaArn": f"arn:aws:lambda:us-east-1:123456789012:function:{STREAM}:$LATEST",
    }


def error_object(raws: list[bytes], code: str = "Lambda.ProcessingFailed") -> bytes:
    """An object of error records, one per line."""
    at = 1_795_942_800_000
    rows = [
        error_record(raw, code, "the processor refused it", at + n) for n, raw in enumerate(raws)
    ]
    return "".join(json.dumps(row) + "\n" for row in rows).encode()
