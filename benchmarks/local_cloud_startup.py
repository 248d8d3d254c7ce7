"""How long `mysfits local start --detach` takes until the first answered request.

Baseline, measured in the same run: bare moto (`ThreadedMotoServer`) started in a fresh
interpreter until its first answered request. Prints both and their ratio.
Run: .venv/bin/python benchmarks/local_cloud_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import requests

BARE_MOTO = """
import time, requests
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
requests.get(f"http://{host}:{port}/moto-api/data.json", timeout=5)
server.stop()
"""


def bare_moto_seconds() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", BARE_MOTO], check=True)
    return time.perf_counter() - started


def local_cloud_seconds() -> float:
    env = {**os.environ, "MYSFITS_HOME": tempfile.mkdtemp(prefix="bench-start-")}
    env.pop("MYSFITS_ENDPOINT_URL", None)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mysfits.cli", "local", "start", "--detach", "--port", "0"],
        env=env,
        check=True,
        capture_output=True,
    )
    status = subprocess.run(
        [sys.executable, "-m", "mysfits.cli", "local", "status"],
        env=env,
        capture_output=True,
        text=True,
    )
    url = __import__("json").loads(status.stdout)["endpoint_url"]
    requests.get(f"{url}/_mysfits/health", timeout=5).raise_for_status()
    elapsed = time.perf_counter() - started
    subprocess.run(
        [sys.executable, "-m", "mysfits.cli", "local", "stop"],
        env=env,
        check=True,
        capture_output=True,
    )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    moto = [bare_moto_seconds() for _ in range(runs)]
    ours = [local_cloud_seconds() for _ in range(runs)]
    m, o = statistics.median(moto), statistics.median(ours)
    print(
        f"bare moto start to first answer:      median {m:.2f} s  "
        f"(runs: {', '.join(f'{x:.2f}' for x in moto)})"
    )
    print(
        f"mysfits local start to first answer:  median {o:.2f} s  "
        f"(runs: {', '.join(f'{x:.2f}' for x in ours)})"
    )
    print(f"ratio local cloud / bare moto: {o / m:.2f}x   (target: first answer within 3 s)")


if __name__ == "__main__":
    main()
