"""PutRecord per second through boto3 on loopback, against S3 PutObject in the same run.

Baseline, measured in the same run against the same local cloud: `s3.put_object` of the same
~200-byte body, a write through the same gateway and moto, so the ratio is what buffering a
record (instead of storing an object) costs or saves. Also measured:
- PutRecord with 16 concurrent clients, and PutRecordBatch of 500 records (records per second);
- delivery latency: PutRecord to the object in S3 with a 0 s interval, driven by the heartbeat
  (0.25 s ticks); with a 0 s processor interval too, the records pass two buffers;
- zero loss: every record put is counted back from S3 at the end.

Targets (reported, not asserted): PutRecord >= 0.8x PutObject; delivery p50 < 1 s at a 0 s
interval.

Run: .venv/bin/python benchmarks/firehose_ingest.py [--seconds 5] [--clients 16]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3

from owncloud import own_local_cloud

BODY = json.dumps({"clickId": str(uuid.uuid4()), "mysfitId": str(uuid.uuid4()), "n": 0}) + "\n"
ROLE = "arn:aws:iam::123456789012:role/firehose"


def _rate(
    call: Callable[[int], Any], seconds: float, clients: int, per_call: int = 1
) -> tuple[float, int]:
    """Items per second (`per_call` per call of `call`) from `clients` threads, and the count."""
    done = [0] * clients
    stop = time.monotonic() + seconds

    def worker(slot: int) -> None:
        while time.monotonic() < stop:
            call(slot)
            done[slot] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    items = sum(done) * per_call
    return items / (time.monotonic() - started), items


def _count_lines(s3: Any, bucket: str, prefix: str) -> int:
    total = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            total += len(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().splitlines())
    return total


def _stream(firehose: Any, bucket: str, prefix: str, interval: int = 0) -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    firehose.create_delivery_stream(
        DeliveryStreamName=name,
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE,
            "BucketARN": f"arn:aws:s3:::{bucket}",
            "Prefix": prefix,
            "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": interval},
        },
    )
    return name


def _latencies(firehose: Any, s3: Any, bucket: str, samples: int, interval: int = 0) -> list[float]:
    """Seconds from PutRecord to the object in S3, one record at a time."""
    prefix = f"latency-{interval}/"
    stream = _stream(firehose, bucket, prefix, interval)
    latencies = []
    for n in range(samples):
        started = time.monotonic()
        firehose.put_record(DeliveryStreamName=stream, Record={"Data": BODY.encode()})
        while s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0) <= n:
            time.sleep(0.01)
        latencies.append(time.monotonic() - started)
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--latency-samples", type=int, default=20)
    args = parser.parse_args()
    with own_local_cloud("bench-firehose-") as endpoint:
        return _run(endpoint, args)


def _run(endpoint: str, args: argparse.Namespace) -> int:
    session = boto3.session.Session(
        aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1"
    )
    s3 = session.client("s3", endpoint_url=endpoint)
    firehose = session.client("firehose", endpoint_url=endpoint)
    bucket = f"bench-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    stream = _stream(firehose, bucket, "ingest/", interval=1)
    record = {"Data": BODY.encode()}
    put_object, _ = _rate(
        lambda i: s3.put_object(Bucket=bucket, Key=f"baseline/{i}", Body=BODY), args.seconds, 1
    )
    put_record, singles = _rate(
        lambda i: firehose.put_record(DeliveryStreamName=stream, Record=record), args.seconds, 1
    )
    parallel, concurrent = _rate(
        lambda i: firehose.put_record(DeliveryStreamName=stream, Record=record),
        args.seconds,
        args.clients,
    )
    batch, batched = _rate(
        lambda i: firehose.put_record_batch(DeliveryStreamName=stream, Records=[record] * 500),
        args.seconds,
        1,
        per_call=500,
    )
    sent = singles + concurrent + batched
    latencies = _latencies(firehose, s3, bucket, args.latency_samples)
    one_second = _latencies(firehose, s3, bucket, 5, interval=1)
    print(f"S3 PutObject, 1 client        {put_object:9.0f} /s  (baseline)")
    print(
        f"PutRecord, 1 client           {put_record:9.0f} /s  ratio {put_record / put_object:.2f}x"
    )
    print(f"PutRecord, {args.clients} clients         {parallel:9.0f} /s")
    print(f"PutRecordBatch of 500         {batch:9.0f} records/s")
    ordered = sorted(latencies)
    print(
        f"delivery latency, 0 s interval p50 {statistics.median(ordered):.2f} s  "
        f"max {ordered[-1]:.2f} s  (n={len(ordered)})"
    )
    print(
        f"delivery latency, 1 s interval p50 {statistics.median(one_second):.2f} s  "
        f"max {max(one_second):.2f} s  (n={len(one_second)})"
    )
    time.sleep(3)  # the ingest stream's 1 s interval, plus a tick
    delivered = _count_lines(s3, bucket, "ingest/")
    print(
        f"put {sent} records, delivered {delivered}: {'no loss' if delivered == sent else 'LOSS'}"
    )
    return 0 if delivered == sent else 1


if __name__ == "__main__":
    sys.exit(main())
