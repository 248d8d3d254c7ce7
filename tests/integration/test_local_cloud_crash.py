"""A local cloud killed with SIGKILL in the middle of the series, through the real CLI.

Notebooks 01 and 02 leave a site, a load balancer and two task processes running. Everything
the cloud's process tree listens on is loopback. After `kill -9` of the cloud nothing it started
lives on, the same port starts again at once, what the dead cloud left is cleaned up, a workshop
that used it says how to start it again, and 01 and 02 pass again.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

import mysfits
from mysfits.errors import LocalCloudStopped

from .conftest import mysfits_cli

NOTEBOOKS = "01,02"


def run_notebooks(home: Path) -> None:
    result = mysfits_cli(
        home, "run", "--only", NOTEBOOKS, "--keep", "--output-dir", str(home / "runs"), timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def status(home: Path) -> dict[str, object]:
    return dict(json.loads(mysfits_cli(home, "local", "status").stdout))


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("crash-home")
    assert mysfits_cli(home, "local", "start", "--detach", "--port", "0").returncode == 0
    try:
        run_notebooks(home)
        yield home
    finally:
        mysfits_cli(home, "local", "stop")


def test_everything_the_cloud_runs_listens_on_loopback_only(home: Path) -> None:
    cloud = psutil.Process(int(str(status(home)["pid"])))
    tree = [cloud, *cloud.children(recursive=True)]
    listening = {
        (p.pid, c.laddr.ip, c.laddr.port)
        for p in tree
        for c in p.net_connections("inet")
        if c.status == psutil.CONN_LISTEN
    }
    tasks = [p for p in tree if "mysfits_service" in " ".join(p.cmdline())]
    assert len(tasks) == 2 and {pid for pid, _, _ in listening} >= {
        cloud.pid,
        *(t.pid for t in tasks),
    }
    assert {ip for _, ip, _ in listening} == {"127.0.0.1"}, listening


def test_kill_9_leaves_nothing_running_and_the_same_port_starts_again(home: Path) -> None:
    before = status(home)
    pid, port = int(str(before["pid"])), int(str(before["port"]))
    ws = mysfits.connect("local", endpoint_url=str(before["endpoint_url"]))
    record = home / "started" / f"{pid}.jsonl"
    work_dir = Path(
        next(
            json.loads(line)["folder"]
            for line in record.read_text().splitlines()
            if "folder" in line
        )
    )
    started = psutil.Process(pid).children(recursive=True)
    assert started and work_dir.is_dir()

    os.kill(pid, signal.SIGKILL)
    psutil.wait_procs([psutil.Process(pid)], timeout=5)
    _, alive = psutil.wait_procs(started, timeout=5)
    assert alive == [], f"still running after kill -9: {[p.cmdline() for p in alive]}"
    with pytest.raises(LocalCloudStopped, match="mysfits local start --detach"):
        ws.client("s3").list_buckets()

    restarted = mysfits_cli(home, "local", "start", "--detach", "--port", str(port))
    assert restarted.returncode == 0, restarted.stderr
    assert f"pid {pid}" in restarted.stdout and "left behind" in restarted.stdout
    assert status(home)["port"] == port and status(home)["pid"] != pid
    assert not record.exists() and not work_dir.exists()
    run_notebooks(home)
