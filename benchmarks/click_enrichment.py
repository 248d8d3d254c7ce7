"""Seconds to enrich a 500-record Firehose batch with the click processor, against one HTTP lookup
per record.

The processor (`streaming/click_processor/app.py`, run in this process) looks each distinct
mysfit of the batch up once, with one DynamoDB BatchGetItem on the module-3 table of a local
cloud. Baseline, measured in the same run on the same records and the same table: the original
workshop's design, one `GET /mysfits/{id}` per record to the service (`python -m mysfits_service`
on the table, as the local cloud runs a task), through one keep-alive `requests.Session`, then
the same enrichment code. The event is what Firehose delivers: 500 records in arrival order,
mysfits drawn with a popularity skew over the data set's 12. Lookups are counted on the wire
(botocore's `before-send` hook; the session's requests) and printed next to the distinct mysfits.

Target (reported, not asserted): the processor >= 20x faster than the baseline (medians), with
at most one lookup per distinct mysfit.

Run: .venv/bin/python benchmarks/click_enrichment.py [--records 500] [--runs 7]
     [--baseline-runs 3]
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import requests

import mysfits
from mysfits import database
from owncloud import own_local_cloud

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "streaming" / "click_processor" / "app.py"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
OUTPUT = ("name", "species", "goodEvil", "lawChaos", "age")  # what the processor adds


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def service(endpoint: str, table: str) -> Iterator[str]:
    """The API service on `table`, a process on loopback as the local cloud runs a task."""
    port = _free_port()
    env = {
        **os.environ,
        **CREDENTIALS,
        "PORT": str(port),
        "BIND_ADDRESS": "127.0.0.1",
        "AWS_ENDPOINT_URL": endpoint,
        "MYSFITS_TABLE": table,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "mysfits_service"],
        cwd=ROOT / "service",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url, timeout=1).raise_for_status()
                break
            except requests.RequestException:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the service did not answer on GET / within 30 s") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def processor(endpoint: str, table: str) -> ModuleType:
    """The click processor's module, configured as its Lambda environment configures it."""
    os.environ.update({**CREDENTIALS, "AWS_ENDPOINT_URL": endpoint, "MYSFITS_TABLE": table})
    spec = importlib.util.spec_from_file_location("click_processor_app", APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def firehose_event(mysfit_ids: list[str], count: int, seed: int = 5) -> dict[str, Any]:
    """`count` clicks as the API's mapping template writes them, in Firehose's event shape."""
    chooser = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(mysfit_ids))]  # a few favourites
    records = []
    for n, mysfit_id in enumerate(chooser.choices(mysfit_ids, weights, k=count)):
        click = {
            "clickId": str(uuid.UUID(int=chooser.getrandbits(128))),
            "mysfitId": mysfit_id,
            "requestTime": 1_700_000_000_000 + n,
        }
        if n % 3:
            click["userId"] = f"user-{n % 40}"
        records.append(
            {
                "recordId": f"{n:056d}",
                "approximateArrivalTimestamp": 1_700_000_000_000 + n,
                "data": base64.b64encode(json.dumps(click).encode()).decode(),
            }
        )
    return {
        "invocationId": str(uuid.uuid4()),
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/bench",
        "region": "us-east-1",
        "records": records,
    }


def per_record_http(app: ModuleType, http: requests.Session, url: str) -> Callable[..., Any]:
    """The baseline handler: the processor's own enrichment, one GET per record."""

    def find(ids: set[str]) -> dict[str, dict[str, Any]]:
        (mysfit_id,) = ids
        answer = http.get(f"{url}/mysfits/{mysfit_id}", timeout=10)
        if answer.status_code == 404:
            return {}
        answer.raise_for_status()
        body = answer.json()
        return {mysfit_id: {field: body.get(field) for field in OUTPUT}}

    def handler(event: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
        replies = [app.transform([record], find)["records"][0] for record in event["records"]]
        return {"records": replies}

    return handler


def timed(call: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """Seconds of each of `runs` calls, and the last call's answer."""
    seconds, answer = [], None
    for _ in range(runs):
        started = time.perf_counter()
        answer = call()
        seconds.append(time.perf_counter() - started)
    return seconds, answer


def _enriched(reply: dict[str, Any]) -> list[dict[str, Any]]:
    """The Ok records' clicks, without processedAt (the one field that differs between runs)."""
    records = [
        json.loads(base64.b64decode(r["data"])) for r in reply["records"] if r["result"] == "Ok"
    ]
    return [{k: v for k, v in record.items() if k != "processedAt"} for record in records]


def measure(endpoint: str, args: argparse.Namespace) -> int:
    ws = mysfits.connect("local", prefix=f"b{uuid.uuid4().hex[:8]}", endpoint_url=endpoint)
    table = database.ensure_table(ws)
    database.seed_table(ws, table)
    ids = [item["MysfitId"]["S"] for item in database.load_items()]
    event = firehose_event(ids, args.records)
    distinct = len({json.loads(base64.b64decode(r["data"]))["mysfitId"] for r in event["records"]})
    app = processor(endpoint, ws.names.table)
    calls = {"batch": 0, "http": 0}
    app.dynamodb().meta.events.register(
        "before-send.dynamodb.BatchGetItem",
        lambda **_: calls.__setitem__("batch", calls["batch"] + 1),
    )
    with service(endpoint, ws.names.table) as url, requests.Session() as http:
        http.hooks["response"].append(lambda r, **_: calls.__setitem__("http", calls["http"] + 1))
        baseline = per_record_http(app, http, url)
        app.handler(event)  # warm both paths: connections, first-call costs
        baseline({"records": event["records"][:20]})
        calls.update(batch=0, http=0)
        batch_seconds, batch_reply = timed(lambda: app.handler(event), args.runs)
        http_seconds, http_reply = timed(lambda: baseline(event), args.baseline_runs)
    if _enriched(batch_reply) != _enriched(http_reply):
        print("WARNING: the two paths enriched the batch differently")
    return report(args, distinct, calls, batch_seconds, http_seconds, len(_enriched(batch_reply)))


def report(
    args: argparse.Namespace,
    distinct: int,
    calls: dict[str, int],
    batch: list[float],
    http: list[float],
    enriched: int,
) -> int:
    per_run_batch = calls["batch"] / args.runs
    per_run_http = calls["http"] / args.baseline_runs
    ratio = statistics.median(http) / statistics.median(batch)
    print(
        f"{args.records} records, {distinct} distinct mysfits, {enriched} enriched; "
        f"{args.runs} and {args.baseline_runs} runs; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"{'path':<34} {'p50 ms':>9} {'min ms':>9} {'max ms':>9} {'lookups/batch':>14}")
    for name, seconds, lookups in (
        ("one GET per record (baseline)", http, per_run_http),
        ("processor, BatchGetItem", batch, per_run_batch),
    ):
        print(
            f"{name:<34} {statistics.median(seconds) * 1000:9.1f} {min(seconds) * 1000:9.1f} "
            f"{max(seconds) * 1000:9.1f} {lookups:14.1f}"
        )
    within = per_run_batch <= distinct
    print(f"speed-up (p50): {ratio:.1f}x  (target >= 20x)")
    print(f"lookups per batch {per_run_batch:.0f} <= {distinct} distinct mysfits: {within}")
    return 0 if within else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=500, help="records per batch")
    parser.add_argument("--runs", type=int, default=7, help="timed runs of the processor")
    parser.add_argument("--baseline-runs", type=int, default=3, help="timed runs of the baseline")
    args = parser.parse_args()
    with own_local_cloud("bench-enrich-") as endpoint:
        return measure(endpoint, args)


if __name__ == "__main__":
    sys.exit(main())
