"""Round trip of a warm `lambda.invoke` through boto3 on loopback, against S3 HeadBucket.

Baseline, measured in the same run against the same local cloud: `s3.head_bucket`, the cheapest
call through the same gateway and moto, so the ratio is what running a handler in a warm worker
adds. Also prints the cold start (the first invocation: a new worker process and its init) and
a Firehose-sized invocation (500 records of ~200 bytes, base64, echoed back), the call other
local services make (Firehose's processor invocation).

Target (reported, not asserted): warm invoke within 3x of HeadBucket.

Run: .venv/bin/python benchmarks/lambda_invoke.py [--calls 300]
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import statistics
import time
import zipfile
from collections.abc import Callable
from typing import Any

import boto3

from owncloud import own_local_cloud

HANDLER = "def handler(event, context):\n    return event\n"
ROLE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _timings_ms(call: Callable[[], Any], count: int) -> list[float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _summary(name: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"{name:<28} n={len(timings):<4} mean {statistics.fmean(timings):7.2f} ms  "
        f"p50 {statistics.median(timings):7.2f} ms  p99 {p99:7.2f} ms"
    )


def _firehose_event() -> bytes:
    records = [
        {
            "recordId": f"{n:056d}",
            "approximateArrivalTimestamp": 1_700_000_000_000,
            "data": base64.b64encode(json.dumps({"mysfitId": "x" * 36, "n": n}).encode()).decode(),
        }
        for n in range(500)
    ]
    return json.dumps({"invocationId": "bench", "records": records}).encode()


def measure(endpoint_url: str, calls: int) -> None:
    session = boto3.Session(
        region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench"
    )
    s3 = session.client("s3", endpoint_url=endpoint_url)
    lam = session.client("lambda", endpoint_url=endpoint_url)
    iam = session.client("iam", endpoint_url=endpoint_url)
    s3.create_bucket(Bucket="bench-baseline")
    role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(ROLE_TRUST))
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", HANDLER)
    lam.create_function(
        FunctionName="bench",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="app.handler",
        Code={"ZipFile": code.getvalue()},
    )
    cold = _timings_ms(lambda: lam.invoke(FunctionName="bench", Payload=b"{}"), 1)
    for _ in range(20):  # warm both paths (connections, moto's first-call costs)
        s3.head_bucket(Bucket="bench-baseline")
        lam.invoke(FunctionName="bench", Payload=b"{}")
    head = _timings_ms(lambda: s3.head_bucket(Bucket="bench-baseline"), calls)
    warm = _timings_ms(lambda: lam.invoke(FunctionName="bench", Payload=b'{"n": 1}'), calls)
    batch = _firehose_event()
    firehose = _timings_ms(lambda: lam.invoke(FunctionName="bench", Payload=batch), calls // 10)
    print(_summary("s3.head_bucket (baseline)", head))
    print(_summary("lambda.invoke warm", warm))
    print(_summary(f"lambda.invoke {len(batch) // 1024} KB", firehose))
    print(f"lambda.invoke cold start       {cold[0]:7.2f} ms")
    ratio = statistics.median(warm) / statistics.median(head)
    print(f"warm invoke / head_bucket (p50): {ratio:.2f}x  (target <= 3x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    with own_local_cloud("bench-lambda-") as endpoint:
        measure(endpoint, args.calls)


if __name__ == "__main__":
    main()
