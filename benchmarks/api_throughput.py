"""Requests per second and latency of `GET /mysfits` through the local NLB vs one task directly.

Baseline, measured in the same run: the same request straight to one task's loopback port
(the process the local cloud runs for the task). For 1, 8 and 32 concurrent clients, each
with one keep-alive connection sending requests back to back for `--duration` seconds,
prints rps, p50 and p99 latency for both, the ratio NLB/direct, and each task process's RSS.
Uses `wrk` when it is installed (never installs it), else a small asyncio HTTP/1.1 client.

The NLB spreads connections over both tasks while "direct" loads one, so from 8 clients on
the NLB can pass 1x; at 1 client the ratio is the relay's added latency.

Targets (reported, not asserted): NLB >= 0.8x direct rps; p99 < 50 ms at 32 clients;
task RSS < 150 MiB.

Run: .venv/bin/python benchmarks/api_throughput.py [--duration 5] [--clients 1,8,32]
     [--client auto|wrk|python] [--table]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil

LOOPBACK = "127.0.0.1"
PATH = "/mysfits"
DATABASE_MODULE = Path(__file__).resolve().parents[1] / "lib" / "mysfits" / "database.py"


@dataclass(frozen=True)
class Result:
    """One measured cell: a target at a concurrency."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    suspect: bool = False  # the load generator's latencies contradict its own request count

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# -- the local cloud and the deployment ------------------------------------------------------


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mysfits.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )


def start_cloud() -> tuple[dict[str, str], dict[str, Any]]:
    """A local cloud of our own, in a temporary MYSFITS_HOME."""
    env = {**os.environ, "MYSFITS_HOME": tempfile.mkdtemp(prefix="bench-api-")}
    env.pop("MYSFITS_ENDPOINT_URL", None)
    _cli(env, "local", "start", "--detach", "--port", "0")
    return env, json.loads(_cli(env, "local", "status").stdout)


def deploy(ws: Any, table: bool) -> Any:
    """Notebook 02's sequence (with `table`, the DynamoDB-backed variant); the load balancer."""
    from mysfits import fargate, images, loadbalancer, network

    environment: dict[str, str] = {}
    if table:
        from mysfits import database  # type: ignore[attr-defined]

        created = database.ensure_table(ws)
        database.seed_table(ws, created)
        environment["MYSFITS_TABLE"] = ws.names.table
    core = network.ensure_core_stack(ws)
    image = images.publish_image(ws, images.ensure_repository(ws))
    fargate.ensure_cluster(ws)
    fargate.ensure_log_group(ws)
    balancer = loadbalancer.ensure_load_balancer(ws, core)
    definition = fargate.ensure_task_definition(ws, core, image, environment=environment)
    service = fargate.ensure_service(ws, core, balancer, definition, desired_count=2)
    fargate.wait_for_steady_state(ws, service, timeout=120)
    loadbalancer.wait_for_healthy_targets(ws, balancer, 2, timeout=120)
    return balancer


def task_processes(cloud_pid: int) -> list[psutil.Process]:
    """The service's task processes: children of the local cloud running `mysfits_service`."""
    found = []
    for child in psutil.Process(cloud_pid).children():
        try:
            if "mysfits_service" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return sorted(found, key=lambda p: p.pid)


def task_port(process: psutil.Process) -> int:
    """The loopback port a task listens on (the PORT the local cloud gave it)."""
    return int(process.environ()["PORT"])


# -- load generators ---------------------------------------------------------------------------


async def _one_client(
    host: str,
    port: int,
    deadline: float,
    latencies: list[float],
    errors: list[int],
    path: str = PATH,
    extra: str = "",
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: api-throughput\r\n{extra}\r\n"
    ).encode()
    loop = asyncio.get_running_loop()
    try:
        while loop.time() < deadline:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            if length is None:
                raise RuntimeError(f"no Content-Length in {head[:200]!r}")
            await reader.readexactly(int(length.group(1)))
            latencies.append(time.perf_counter() - started)
            if head[9:12] != b"200":
                errors[0] += 1
    except (OSError, asyncio.IncompleteReadError):
        errors[0] += 1
    finally:
        writer.close()


async def _python_run(
    url: str, clients: int, duration: float, headers: dict[str, str] | None = None
) -> Result:
    parts = urlsplit(url)
    path = parts.path.rstrip("/") + PATH  # an API stage's URL carries the stage
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    latencies: list[float] = []
    errors = [0]
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    deadline = loop.time() + duration
    await asyncio.gather(
        *(
            _one_client(
                parts.hostname or LOOPBACK,
                parts.port or 80,
                deadline,
                latencies,
                errors,
                path,
                extra,
            )
            for _ in range(clients)
        )
    )
    elapsed = time.perf_counter() - started
    return _summarise(latencies, elapsed, errors[0])


def _summarise(latencies: list[float], seconds: float, errors: int) -> Result:
    if len(latencies) < 2:
        return Result(len(latencies), seconds, float("nan"), float("nan"), errors)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return Result(len(latencies), seconds, cuts[49] * 1000, cuts[98] * 1000, errors)


def python_client(
    url: str, clients: int, duration: float, headers: dict[str, str] | None = None
) -> Result:
    """`clients` keep-alive connections sending GET {url's path}/mysfits (with `headers`)."""
    try:
        import uvloop  # the client must not be the bottleneck; uvloop keeps its own overhead small

        return uvloop.run(_python_run(url, clients, duration, headers))
    except ImportError:
        return asyncio.run(_python_run(url, clients, duration, headers))


_WRK_LATENCY = re.compile(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
_WRK_MEAN = re.compile(r"^\s*Latency\s+([\d.]+)(us|ms|s)\s", re.M)


def wrk_client(url: str, clients: int, duration: float, attempts: int = 3) -> Result:
    threads = max(1, min(2, clients))
    seconds = max(1, round(duration))  # wrk takes whole seconds
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--latency", f"{url}{PATH}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    latency = {int(p): float(v) * _WRK_UNITS[u] for p, v, u in _WRK_LATENCY.findall(out)}
    done = re.search(r"(\d+) requests in ([\d.]+)(ms|s)", out)
    if done is None or set(latency) != {50, 99}:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    seconds = float(done.group(2)) / (1000 if done.group(3) == "ms" else 1)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    errors += int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    mean = _WRK_MEAN.search(out)
    busy_ms = float(mean.group(1)) * _WRK_UNITS[mean.group(2)] * int(done.group(1)) if mean else 0.0
    # Sequential requests on `clients` connections cannot add up to more than clients x seconds;
    # wrk 4.1 now and then reports latencies that do (on this VM): measure again, or flag the row.
    if busy_ms > 1.2 * clients * seconds * 1000:
        if attempts > 1:
            print(
                f"  (wrk's latencies for {url} at {clients} clients add up to "
                f"{busy_ms / 1000:.0f} s in "
                f"{seconds:.0f} s: inconsistent, measuring again)"
            )
            return wrk_client(url, clients, duration, attempts - 1)
        return Result(int(done.group(1)), seconds, latency[50], latency[99], errors, suspect=True)
    return Result(int(done.group(1)), seconds, latency[50], latency[99], errors)


# -- main ------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=float, default=5.0, help="seconds per cell (default %(default)s)"
    )
    parser.add_argument(
        "--clients", default="1,8,32", help="concurrency levels (default %(default)s)"
    )
    parser.add_argument(
        "--client",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator: wrk when installed (auto), or the built-in asyncio client",
    )
    parser.add_argument(
        "--table", action="store_true", help="deploy the DynamoDB-backed service variant"
    )
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    if args.table and not (
        DATABASE_MODULE.exists() and importlib.util.find_spec("mysfits.database")
    ):
        print(
            "--table is unavailable: "
            f"{DATABASE_MODULE.relative_to(DATABASE_MODULE.parents[2])} does not exist yet "
            "(it provides database.ensure_table and database.seed_table)"
        )
        return 2
    tool = args.client if args.client != "auto" else ("wrk" if shutil.which("wrk") else "python")
    if tool == "wrk" and not shutil.which("wrk"):
        print("wrk is not installed: use --client python")
        return 2
    measure = wrk_client if tool == "wrk" else python_client

    import mysfits
    from mysfits import cleanup

    env, status = start_cloud()
    ws = None
    try:
        ws = mysfits.connect("local", prefix="bench-api", endpoint_url=status["endpoint_url"])
        balancer = deploy(ws, args.table)
        tasks = task_processes(int(status["pid"]))
        direct = f"http://{LOOPBACK}:{task_port(tasks[0])}"
        targets = {"nlb": balancer.url, "direct": direct}
        for url in targets.values():  # warm up both paths (list cache, imports, connection set-up)
            measure(url, 8, 1.0)
        print(
            f"GET {PATH}, {args.duration:g} s per cell, load generator: {tool}; "
            f"{'DynamoDB' if args.table else 'file'} backend; {os.cpu_count()} CPUs"
        )
        print(f"  NLB    {balancer.url}  ->  {len(tasks)} tasks")
        print(f"  direct {direct}  (task pid {tasks[0].pid})")
        print(
            f"{'clients':>7}  {'target':<6}  {'requests':>8}  {'rps':>8}  "
            f"{'p50 ms':>7}  {'p99 ms':>7}  {'errors':>6}"
            + (
                "   (* latencies unreliable: wrk contradicted itself three times)"
                if tool == "wrk"
                else ""
            )
        )
        ratios: dict[int, float] = {}
        results: dict[tuple[int, str], Result] = {}
        for clients in levels:
            for name, url in targets.items():
                result = results[(clients, name)] = measure(url, clients, args.duration)
                print(
                    f"{clients:>7}  {name:<6}  {result.requests:>8}  {result.rps:>8.0f}  "
                    f"{result.p50_ms:>7.2f}  "
                    f"{result.p99_ms:>7.2f}{'*' if result.suspect else ' '} {result.errors:>6}",
                    flush=True,
                )
            ratios[clients] = results[(clients, "nlb")].rps / max(
                results[(clients, "direct")].rps, 1e-9
            )
        print(
            "ratio NLB/direct rps: "
            + ", ".join(f"{c} clients {r:.2f}x" for c, r in ratios.items())
            + "   (target >= 0.80x)"
        )
        top = max(levels)
        print(
            f"p99 at {top} clients: NLB {results[(top, 'nlb')].p99_ms:.1f} ms, "
            f"direct {results[(top, 'direct')].p99_ms:.1f} ms   (target < 50 ms)"
        )
        rss = [(p.pid, p.memory_info().rss / 2**20) for p in task_processes(int(status["pid"]))]
        print(
            "task RSS: "
            + ", ".join(f"pid {pid} {mib:.1f} MiB" for pid, mib in rss)
            + "   (target < 150 MiB)"
        )
        print(
            "local cloud RSS: "
            f"{psutil.Process(int(status['pid'])).memory_info().rss / 2**20:.1f} MiB"
        )
    finally:
        if ws is not None:
            cleanup.delete_everything(ws)
        _cli(env, "local", "stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
