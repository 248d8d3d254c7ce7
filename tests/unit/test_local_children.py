"""Processes the local cloud starts die with it, and what they started is ended by its successor.

Each test runs a stand-in "cloud" (a Python process using the real `Children` and `Ledger`),
kills it with SIGKILL, and looks at what is left with psutil.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from mysfits.local.core.children import LIFELINE
from mysfits.local.leftovers import RECORDS, Ledger, end_leftovers

CLOUD = textwrap.dedent("""
    import json, sys, threading, time, tempfile
    from pathlib import Path
    from mysfits.local.core.children import Children
    from mysfits.local.leftovers import Ledger

    mechanism, home, command = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
    ledger = Ledger(home)
    children = Children(ledger.process, use_pdeathsig=mechanism == "pdeathsig")
    folder = Path(tempfile.mkdtemp(prefix="mysfits-local-test-"))
    ledger.folder(folder)
    started = []
    # Asked for by a thread that ends at once: the child must outlive the thread, not the process.
    ask = lambda: started.append(children.popen(command, start_new_session=True))
    asker = threading.Thread(target=ask)
    asker.start()
    asker.join()
    print(json.dumps({"mechanism": children.mechanism, "folder": str(folder)}), flush=True)
    time.sleep(120)
""")


def start_cloud(
    tmp_path: Path, mechanism: str, command: list[str]
) -> tuple[subprocess.Popen[str], dict]:
    cloud = subprocess.Popen(
        [sys.executable, "-c", CLOUD, mechanism, str(tmp_path), json.dumps(command)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert cloud.stdout is not None
    report = json.loads(cloud.stdout.readline())
    return cloud, report


def descendants(pid: int, expected: int) -> list[psutil.Process]:
    """The process tree under `pid` once it has `expected` members (it is still forming)."""
    for _ in range(200):
        found = psutil.Process(pid).children(recursive=True)
        if len(found) >= expected:
            return found
        psutil.wait_procs(found, timeout=0.05)
    raise AssertionError(f"process {pid} never had {expected} descendants")


@pytest.mark.parametrize("mechanism", ["pdeathsig", "lifeline"])
def test_a_child_dies_with_the_cloud_that_started_it(tmp_path: Path, mechanism: str) -> None:
    cloud, report = start_cloud(tmp_path, mechanism, ["sleep", "120"])
    expected = (
        "pdeathsig" if mechanism == "pdeathsig" and sys.platform.startswith("linux") else "lifeline"
    )
    assert report["mechanism"] == expected
    tree = descendants(cloud.pid, 1 if expected == "pdeathsig" else 2)  # lifeline adds its watcher
    assert all(p.is_running() for p in tree)  # the asking thread has ended; the child lives on
    cloud.send_signal(signal.SIGKILL)
    cloud.wait()
    _, alive = psutil.wait_procs(tree, timeout=5)
    assert alive == [], f"still running after the cloud died: {[p.cmdline() for p in alive]}"


def test_what_a_child_started_is_ended_by_the_next_start(tmp_path: Path) -> None:
    # A build's shell (its own session) starts a command: the shell dies with the cloud, the command
    # does not.
    cloud, report = start_cloud(tmp_path, "pdeathsig", ["bash", "-c", "sleep 120 & wait"])
    shell, command = sorted(descendants(cloud.pid, 2), key=lambda p: p.create_time())
    cloud.send_signal(signal.SIGKILL)
    cloud.wait()
    psutil.wait_procs([shell], timeout=5)
    assert command.is_running() and Path(report["folder"]).is_dir()

    ended = end_leftovers(tmp_path)
    assert ended.clouds == [cloud.pid] and ended.processes >= 1 and ended.folders == 1
    assert f"pid {cloud.pid}" in str(ended)
    _, alive = psutil.wait_procs([command], timeout=5)
    assert alive == []
    assert not Path(report["folder"]).exists()
    assert list((tmp_path / RECORDS).iterdir()) == []
    assert not end_leftovers(tmp_path)  # nothing twice


def test_a_running_clouds_record_and_a_reused_pid_are_left_alone(tmp_path: Path) -> None:
    live = Ledger(tmp_path)  # this test process stands for a running cloud
    stranger = subprocess.Popen(["sleep", "120"])
    try:
        dead = tmp_path / RECORDS / "999999999.jsonl"
        dead.write_text(
            json.dumps({"cloud": 999999999, "created": 1.0, "group": True})
            + "\n"
            + json.dumps({"pid": stranger.pid, "created": 1.0, "group": True})
            + "\n"
        )
        ended = end_leftovers(tmp_path)
        assert ended.clouds == [999999999] and ended.processes == 0
        assert (
            stranger.poll() is None
        )  # its pid was recorded, but it is another process (other start time)
        assert live.path.exists() and not dead.exists()
    finally:
        stranger.kill()
        stranger.wait()
        live.close()
    assert not live.path.exists()


def test_lifeline_passes_exit_codes_and_signals_through() -> None:
    read, write = os.pipe()
    try:

        def run(*command: str) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [sys.executable, str(LIFELINE), str(read), "--", *command], pass_fds=(read,)
            )

        assert run(sys.executable, "-c", "raise SystemExit(7)").wait(timeout=30) == 7
        killed = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
        assert run(sys.executable, "-c", killed).wait(timeout=30) == -signal.SIGKILL
        sleeper = run("sleep", "120")
        command = descendants(sleeper.pid, 1)[0]
        sleeper.send_signal(signal.SIGTERM)
        assert sleeper.wait(timeout=30) == -signal.SIGTERM
        assert not command.is_running() or command.status() == psutil.STATUS_ZOMBIE
    finally:
        os.close(read)
        os.close(write)
