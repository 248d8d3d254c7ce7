"""Seconds and peak memory to load 1,000,000 delivered clicks from the local cloud's S3 into pandas.

Baseline, measured in the same run on the same objects: a naive loader (one GetObject after
another, `json.loads` per line, a DataFrame built from a list of dicts, no dtypes at all).
The library's loader (`mysfits.clickloader.load`): listing by pages, a thread pool that
downloads, unzips and parses each object with Arrow's JSON reader, one conversion to pandas with
categoricals and UTC timestamps, duplicates and error records set aside.

The objects are written straight to S3 (the stream is not involved) in Firehose's layout:
`clicks/yyyy/MM/dd/HH/<stream>-1-yyyy-MM-dd-HH-mm-ss-<uuid>`, about `--object-mb` MB each (as
the destination's buffering hint makes them), one JSON record per line as the processor writes
it; 0.1% of the records are delivered twice and a few sit under `processing-failed/`, so the
loader's bookkeeping is measured too. Each loader runs in a fresh process (peak RSS is that
process's high-water mark), `--runs` times, in rounds that run every variant once; the best
run counts, since other programs share the cores: the load average before and after is
printed, and so are the CPU seconds each loader used, which that load disturbs far less.

Targets (reported, not asserted): loader <= 5 s; loader >= 3x faster than the naive one.
With `--read-json`, also the road not taken: the same parallel reads, then pandas' own
`read_json(lines=True)` on the concatenated bytes and the same dtypes.

Run: .venv/bin/python benchmarks/click_loading.py [--records 1000000] [--runs 3]
     [--workers 1,2,4,8,16] [--object-mb 5] [--gzip] [--read-json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from mysfits import clicksynth

BUCKET, PREFIX, ERRORS = "bench-clicks", "clicks/", "processing-failed/"
DUPLICATE_SHARE, FAILED_RECORDS = 0.001, 250


def s3_client(endpoint_url: str, pool: int = 32) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(max_pool_connections=pool),
    )


# -- the synthetic delivery ------------------------------------------------------------------


def unknown_mysfit_clicks(count: int) -> list[bytes]:
    """Clicks the processor refused (an unknown mysfit), as their rawData holds them."""
    return [
        json.dumps({"mysfitId": f"00000000-0000-0000-0000-{n:012d}"}).encode() for n in range(count)
    ]


def deliver(s3: Any, bodies: list[bytes], zipped: bool) -> int:
    """PUT every object (in parallel: this is set-up, not measured); the bytes stored."""
    start = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    keys = [
        clicksynth.firehose_key(PREFIX, start + timedelta(seconds=5 * i))
        for i in range(len(bodies))
    ]
    if zipped:
        bodies = [gzip.compress(b, compresslevel=6) for b in bodies]
        keys = [k + ".gz" for k in keys]
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda kb: s3.put_object(Bucket=BUCKET, Key=kb[0], Body=kb[1]),
                zip(keys, bodies, strict=True),
            )
        )
    error_key = clicksynth.firehose_key(ERRORS, start)
    body = clicksynth.error_object(unknown_mysfit_clicks(FAILED_RECORDS))
    s3.put_object(Bucket=BUCKET, Key=error_key, Body=body)
    return sum(len(b) for b in bodies)


# -- the two loaders, each measured in a process of its own ------------------------------------


def naive_load(s3: Any) -> dict[str, Any]:
    import pandas as pd

    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=PREFIX):
        keys += [item["Key"] for item in page.get("Contents", [])]
    rows = []
    for key in keys:
        data = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        if key.endswith(".gz"):
            data = gzip.decompress(data)
        rows += [json.loads(line) for line in data.splitlines() if line.strip()]
    frame = pd.DataFrame(rows)
    return {"rows": len(frame), "unique": int(frame["clickId"].nunique())}


def read_json_load(s3: Any, workers: int) -> dict[str, Any]:
    """The alternative the loader did not take: the same parallel reads, then pandas' own
    `read_json(lines=True)` on the concatenated bytes, then the same dtypes."""
    import io

    import pandas as pd

    from mysfits import clickobjects

    listed = clickobjects.list_objects(s3, BUCKET, PREFIX)
    chunks = clickobjects.fetch_each(s3, BUCKET, listed, lambda _key, data: data, workers)
    frame = pd.read_json(io.BytesIO(b"".join(chunks)), lines=True, dtype=False)
    for column in ("requestTime", "processedAt"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    for column in ("name", "species", "goodEvil", "lawChaos"):
        frame[column] = frame[column].astype("category")
    unique = frame.drop_duplicates("clickId")
    return {"rows": len(frame), "unique": len(unique)}


def library_load(s3: Any, workers: int) -> dict[str, Any]:
    from mysfits import clickloader

    loaded = clickloader.load(s3, BUCKET, PREFIX, ERRORS, workers=workers, cache_dir=None)
    return {
        "rows": loaded.delivered,
        "unique": len(loaded.clicks),
        "duplicates": len(loaded.duplicates),
        "failed": len(loaded.failed),
        "dtypes": {k: str(v) for k, v in loaded.clicks.dtypes.items()},
    }


def peak_rss_mib() -> float:
    """This process's peak resident memory. Linux's VmHWM starts afresh at exec; ru_maxrss
    would also count the parent's memory that the fork copied before exec."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def measure(endpoint_url: str, loader: str, workers: int) -> None:
    """Child process: load once, print seconds, peak RSS and what was loaded as JSON."""
    s3 = s3_client(endpoint_url, pool=max(workers, 10))
    s3.list_buckets()  # connection and model loading are not the loader's work
    import pandas  # noqa: F401  (imports are not the loader's work either)

    from mysfits import clickloader  # noqa: F401

    before, base = resource.getrusage(resource.RUSAGE_SELF), peak_rss_mib()
    started = time.perf_counter()
    loaders = {"naive": lambda: naive_load(s3), "read_json": lambda: read_json_load(s3, workers)}
    result = loaders.get(loader, lambda: library_load(s3, workers))()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(
        json.dumps(
            {
                **result,
                "seconds": seconds,
                "cpu": cpu,
                "peak_mib": peak_rss_mib(),
                "base_mib": base,
            }
        )
    )


def run_child(endpoint_url: str, loader: str, workers: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", endpoint_url, loader, str(workers)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def best(results: list[dict[str, Any]]) -> dict[str, Any]:
    chosen = min(results, key=lambda r: r["seconds"])
    return {**chosen, "all": [round(r["seconds"], 2) for r in results]}


def interleaved(endpoint_url: str, variants: list[tuple[str, int]], runs: int) -> list[dict]:
    """Each variant's best of `runs`, run in rounds (one of each per round), so that a burst of
    load from other programs falls on all variants alike rather than on one."""
    results: list[list[dict[str, Any]]] = [[] for _ in variants]
    for _ in range(runs):
        for index, (loader, workers) in enumerate(variants):
            results[index].append(run_child(endpoint_url, loader, workers))
    return [best(r) for r in results]


# -- main --------------------------------------------------------------------------------------


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def report(name: str, r: dict[str, Any]) -> None:
    print(
        f"{name:<22} best {r['seconds']:6.2f} s, CPU {r['cpu']:5.2f} s  "
        f"(runs: {', '.join(map(str, r['all']))})  "
        f"peak RSS {r['peak_mib']:6.0f} MiB (after imports {r['base_mib']:.0f} MiB)  "
        f"rows {r['rows']:,}",
        flush=True,
    )


def prepare(endpoint_url: str, args: argparse.Namespace) -> None:
    s3 = s3_client(endpoint_url)
    s3.create_bucket(Bucket=BUCKET)
    lines = clicksynth.redelivered(clicksynth.click_lines(args.records, 6), DUPLICATE_SHARE, 7)
    bodies = clicksynth.objects(lines, int(args.object_mb * 1_000_000))
    stored = deliver(s3, bodies, args.gzip)
    raw = sum(len(b) for b in bodies)
    print(
        f"delivered {len(lines):,} records ({args.records:,} clicks + "
        f"{len(lines) - args.records:,} redelivered) in {len(bodies)} objects of ~{args.object_mb} "
        f"MB: {raw / 1e6:.0f} MB of JSON lines, {stored / 1e6:.0f} MB stored"
        f"{' (GZIP)' if args.gzip else ''}; {FAILED_RECORDS} error records under {ERRORS}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", default="1,2,4,8,16", help="pool sizes to measure")
    parser.add_argument("--object-mb", type=float, default=5.0, help="object size (MB)")
    parser.add_argument("--gzip", action="store_true", help="objects GZIP-compressed (.gz)")
    parser.add_argument(
        "--read-json", action="store_true", help="also time pandas' read_json (one run)"
    )
    args = parser.parse_args()
    pools = [int(w) for w in args.workers.split(",")]

    from mysfits.clickobjects import DEFAULT_WORKERS
    from mysfits.local import control

    os.environ["MYSFITS_HOME"] = tempfile.mkdtemp(prefix="bench-clicks-")
    os.environ.pop("MYSFITS_ENDPOINT_URL", None)
    info, _ = control.start_detached(port=0)
    try:
        prepare(info.endpoint_url, args)
        print(f"before: {load_average()}")
        if args.read_json:
            alternative = interleaved(info.endpoint_url, [("read_json", DEFAULT_WORKERS)], 1)
            report("pandas read_json", alternative[0])
        pools = sorted(set(pools) | {DEFAULT_WORKERS})
        measured = interleaved(
            info.endpoint_url, [("naive", 1)] + [("library", w) for w in pools], args.runs
        )
        naive, ours = measured[0], dict(zip(pools, measured[1:], strict=True))
        report("naive (sequential)", naive)
        for workers, result in ours.items():
            report(f"library, {workers:>2} threads", result)
        print(f"after:  {load_average()}")
    finally:
        control.stop()
    chosen = ours[DEFAULT_WORKERS]
    assert chosen["rows"] == naive["rows"] and chosen["unique"] == naive["unique"], (chosen, naive)
    print(
        f"library ({DEFAULT_WORKERS} threads, the default): {chosen['seconds']:.2f} s  "
        f"(target <= 5 s); {naive['seconds'] / chosen['seconds']:.1f}x faster than naive "
        f"(target >= 3x); in CPU seconds {naive['cpu'] / chosen['cpu']:.1f}x; "
        f"peak RSS {chosen['peak_mib']:.0f} MiB vs naive {naive['peak_mib']:.0f} MiB"
    )
    print(
        f"found {chosen['rows']:,} click records: {chosen['unique']:,} unique, "
        f"{chosen['duplicates']:,} duplicates; {chosen['failed']} error records; dtypes "
        + ", ".join(f"{k} {v}" for k, v in chosen["dtypes"].items())
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        measure(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        sys.exit(0)
    sys.exit(main())
