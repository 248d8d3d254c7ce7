"""Start, stop and inspect the local cloud process from the shell or from tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ..errors import WorkshopError
from . import client
from .client import LocalCloudInfo
from .leftovers import Ended, end_leftovers


class LocalCloudError(WorkshopError):
    """The local cloud could not be started or stopped; the message says why and what to do."""

    exit_code = 2


class PortInUse(LocalCloudError):
    """Another program listens on the requested port (the local cloud's own check said so)."""

    exit_code = client.PORT_BUSY_EXIT


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_detached(
    port: int = client.DEFAULT_PORT, timeout: float = 20.0
) -> tuple[LocalCloudInfo, bool]:
    """Start a local cloud in the background; return it and whether it was already running."""
    running = client.find_running()
    if running is not None:
        return running, True
    directory = client.state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    log_file = directory / "local-cloud.log"
    (directory / client.STATE_FILE).unlink(missing_ok=True)
    with open(log_file, "ab") as log:
        # A session of its own, so `stop` can end the cloud and every task it started together.
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mysfits.local.server",
                "--port",
                str(port),
                "--log-file",
                str(log_file),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = client.read_state()
        if info is not None and info.pid == process.pid and client.answers(info.endpoint_url):
            return info, False
        if process.poll() == client.PORT_BUSY_EXIT:  # its own bind (SO_REUSEADDR) failed
            raise PortInUse(_last_error(log_file))
        if process.poll() is not None:
            raise LocalCloudError(f"the local cloud exited at start-up:\n{_tail(log_file)}")
        time.sleep(0.05)
    _terminate_group(process.pid)
    raise LocalCloudError(
        f"the local cloud did not answer within {timeout:.0f} s; its log:\n{_tail(log_file)}"
    )


def stop(timeout: float = 10.0) -> LocalCloudInfo | None:
    """Stop the recorded local cloud and everything it started; return what was stopped.

    Whatever a local cloud that did not stop cleanly left behind is ended too.
    """
    info = client.read_state()
    if info is None or not _pid_alive(info.pid):
        if info is not None:
            client.clear_state(info.pid)
        info = None
    else:
        _terminate_group(info.pid, timeout)
        client.clear_state(info.pid)
    end_leftovers(client.state_dir())
    return info


def clear_leftovers() -> Ended:
    """End what local clouds kept in `$MYSFITS_HOME` that did not stop cleanly left behind."""
    return end_leftovers(client.state_dir())


def _terminate_group(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM the process group led by `pid`, then SIGKILL whatever is left."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        _reap(pid)
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _reap(pid)


def _reap(pid: int) -> None:
    """Collect the exit status when the cloud is our own child (so it does not stay a zombie)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _last_error(log_file: Path) -> str:
    """The last `error: ...` line the local cloud wrote (its own words for why it stopped)."""
    errors = [line for line in _tail(log_file).splitlines() if line.startswith("error: ")]
    return errors[-1].removeprefix("error: ") if errors else _tail(log_file)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
