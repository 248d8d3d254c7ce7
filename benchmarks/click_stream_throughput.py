"""Clicks per second sustained through the click API into S3 on the local cloud, with zero loss.

The click stream is deployed as notebook 05 deploys it (`mysfits.streaming`: package, change
set, execute), with 1 s buffer intervals, on a seeded module-3 table. `--clicks` clicks are
POSTed to the stage's `/clicks` by `--clients` concurrent keep-alive connections (asyncio raw
streams: the client must cost less than the server); 1% name a mysfit the table does not hold,
so the processor sends them to the error prefix. The rate is accepted clicks / seconds from the
first request to the last answer. Then the benchmark waits for delivery and counts the records
in S3 (`mysfits.clicks`): in (accepted) must equal delivered plus failed.

Baselines, measured in the same run with the same client and concurrency:
- the stage's MOCK route (`OPTIONS /clicks`, CORS): the stage server without the integration;
- Firehose PutRecord straight to the local cloud's API (signed beforehand, one click each), the
  call the integration used to make over HTTP; these records are counted into "in" too.

Target (reported, not asserted): >= 1,000 clicks/s through the API, and nothing lost.

Run: .venv/bin/python benchmarks/click_stream_throughput.py [--clicks 20000] [--clients 32]
     [--baseline-requests 5000] [--timeout 120]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import io
import json
import os
import random
import re
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import mysfits
from mysfits import clicks, database, streaming
from mysfits.local.apigateway.awsintegration import Target, signed_request
from mysfits.streaming import ClickStream
from mysfits.workshop import Workshop
from owncloud import own_local_cloud

UNKNOWN_SHARE = 0.01  # clicks naming a mysfit the table does not hold
_LENGTH = re.compile(rb"(?im)^content-length:\s*(\d+)")
_CLOSE = re.compile(rb"(?im)^connection:\s*close")
ANSWER_SECONDS = 30  # an answer slower than this counts as a failed request


@dataclass(frozen=True)
class Load:
    """What one load run did: answers by status, and the seconds it took."""

    statuses: Counter[int]
    seconds: float

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


# -- the load generator -------------------------------------------------------------------------


async def _exchange(
    address: tuple[str, int],
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None,
    request: bytes,
) -> tuple[int, tuple[asyncio.StreamReader, asyncio.StreamWriter] | None]:
    """Send one request (connecting first if needed); its status, and the connection if kept."""
    reader, writer = connection or await asyncio.open_connection(*address)
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = _LENGTH.search(head)
    await reader.readexactly(int(length.group(1)) if length else 0)
    if _CLOSE.search(head):  # the local cloud's own API closes after each answer
        writer.close()
        return int(head[9:12]), None
    return int(head[9:12]), (reader, writer)


async def _client(address: tuple[str, int], requests: list[bytes], statuses: Counter[int]) -> None:
    """Send requests from the shared list until it is empty, one at a time (keep-alive)."""
    connection = None
    while requests:
        try:
            status, connection = await asyncio.wait_for(
                _exchange(address, connection, requests.pop()), ANSWER_SECONDS
            )
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            status, connection = 0, None  # counted as not accepted
        statuses[status] += 1
    if connection is not None:
        connection[1].close()


async def _blast(address: tuple[str, int], requests: list[bytes], clients: int) -> Load:
    statuses: Counter[int] = Counter()
    started = time.perf_counter()
    await asyncio.gather(*(_client(address, requests, statuses) for _ in range(clients)))
    return Load(statuses, time.perf_counter() - started)


def blast(url: str, requests: list[bytes], clients: int) -> Load:
    """Send every request in `requests` over `clients` keep-alive connections to `url`'s host."""
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    try:
        import uvloop

        return uvloop.run(_blast(address, list(requests), clients))
    except ImportError:
        return asyncio.run(_blast(address, list(requests), clients))


def http_request(method: str, url: str, body: bytes = b"", headers: str = "") -> bytes:
    parts = urlsplit(url)
    return (
        f"{method} {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{headers}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


# -- the run ------------------------------------------------------------------------------------


def click_bodies(mysfit_ids: list[str], count: int, seed: int = 11) -> list[bytes]:
    """`count` click bodies as site version 4 sends them; UNKNOWN_SHARE name no mysfit."""
    chooser = random.Random(seed)
    bodies = []
    for n in range(count):
        unknown = chooser.random() < UNKNOWN_SHARE
        mysfit_id = str(uuid.UUID(int=chooser.getrandbits(128))) if unknown else None
        click: dict[str, Any] = {"mysfitId": mysfit_id or chooser.choice(mysfit_ids)}
        if n % 2:
            click["userId"] = f"user-{n % 97}"
        bodies.append(json.dumps(click).encode())
    return bodies


def put_record_request(endpoint: str, ws: Workshop, stream: ClickStream, mysfit_id: str) -> bytes:
    """One signed Firehose PutRecord request, the click the API's template would have made."""
    click = {
        "clickId": str(uuid.uuid4()),
        "mysfitId": mysfit_id,
        "userId": None,
        "requestTime": int(time.time() * 1000),
    }
    body = json.dumps(
        {
            "DeliveryStreamName": stream.stream_name,
            "Record": {"Data": base64.b64encode(json.dumps(click).encode()).decode()},
        }
    ).encode()
    return signed_request(endpoint, Target(ws.region, "firehose", "PutRecord"), body)


def wait_for_delivery(
    ws: Workshop, stream: ClickStream, expected: int, timeout: float
) -> tuple[int, int, set[str]]:
    """(delivered, failed, distinct delivered click ids) once they add up to `expected`."""
    deadline = time.monotonic() + timeout
    while True:
        records = [r for d in clicks.delivered(ws, stream) for r in d.records]
        failed = sum(len(d.records) for d in clicks.failed(ws, stream))
        if len(records) + failed >= expected or time.monotonic() > deadline:
            return len(records), failed, {r["clickId"] for r in records}
        time.sleep(1)


def _say(what: str) -> None:
    print(f"... {what}", file=sys.stderr, flush=True)


def measure(endpoint: str, args: argparse.Namespace) -> int:
    ws = mysfits.connect("local", prefix=f"b{uuid.uuid4().hex[:8]}", endpoint_url=endpoint)
    database.seed_table(ws, database.ensure_table(ws))
    with contextlib.redirect_stdout(io.StringIO()):  # the stack's events, as notebook 05 shows
        deployed = streaming.ensure_click_stream(ws, buffer_interval=1, processor_buffer_interval=1)
    stream = deployed.stream
    url = ws.url(stream.clicks_url)
    ids = [item["MysfitId"]["S"] for item in database.load_items()]
    json_type = "Content-Type: application/json\r\n"
    posts = [http_request("POST", url, body, json_type) for body in click_bodies(ids, args.clicks)]
    preflight = http_request(
        "OPTIONS",
        url,
        headers="Origin: http://localhost\r\nAccess-Control-Request-Method: POST\r\n",
    )
    direct = [
        put_record_request(endpoint, ws, stream, ids[n % len(ids)])
        for n in range(args.baseline_requests)
    ]
    warm = min(200, len(posts))
    _say(f"warming up with {warm} clicks to {url}")
    warmed = blast(url, posts[:warm], args.clients)  # connections, the processor's workers
    load_before = os.getloadavg()
    _say("baselines")
    mock = blast(url, [preflight] * args.baseline_requests, args.clients)
    firehose = blast(endpoint, direct, args.clients)
    _say(f"{len(posts) - warm} clicks")
    api = blast(url, posts[warm:], args.clients)
    sent_in = api.ok + firehose.ok + warmed.ok
    _say(f"waiting for {sent_in} records in S3")
    delivered, failed, distinct = wait_for_delivery(ws, stream, sent_in, args.timeout)
    print(f"load average before {_load(load_before)}, after {_load(os.getloadavg())}")
    print(f"{'route':<36} {'requests':>9} {'ok':>7} {'other':>7} {'seconds':>8} {'per s':>8}")
    for name, load in (
        ("OPTIONS /clicks (MOCK, baseline)", mock),
        ("Firehose PutRecord direct (baseline)", firehose),
        ("POST /clicks (API -> Firehose)", api),
    ):
        other = sum(load.statuses.values()) - load.ok
        print(
            f"{name:<36} {sum(load.statuses.values()):9d} {load.ok:7d} {other:7d} "
            f"{load.seconds:8.2f} {load.rate:8.0f}"
        )
    print(
        f"POST /clicks: {api.rate / mock.rate:.2f}x the MOCK route, "
        f"{api.rate / firehose.rate:.2f}x direct PutRecord; target >= 1000 clicks/s"
    )
    lost = sent_in - delivered - failed
    print(
        f"in {sent_in} (incl. {warmed.ok} warm-up, {firehose.ok} direct), delivered {delivered} "
        f"(duplicates {delivered - len(distinct)}), failed {failed}, lost {lost}"
    )
    return 0 if lost == 0 and not api.statuses.keys() - {200} else 1


def _load(averages: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.2f}" for x in averages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clicks", type=int, default=20_000, help="clicks through the API")
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections")
    parser.add_argument(
        "--baseline-requests", type=int, default=5_000, help="requests per baseline"
    )
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for S3")
    args = parser.parse_args()
    with own_local_cloud("bench-stream-") as endpoint:
        return measure(endpoint, args)


if __name__ == "__main__":
    sys.exit(main())
