"""A JupyterLab server for browser tests: its own root, settings and Jupyter dirs, on loopback.

The root holds copies of the workshop's notebooks with `interactive = True`, so the widget
panels the headless runs skip are shown. Nothing here reads or writes the user's Jupyter config.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import requests

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
WORKSHOP_FILES = ("web", "data", "service")  # what the notebooks read through mysfits.paths
HEADLESS_SWITCH = "interactive = False"

# Every cell fully rendered (not windowed), so locators see every cell and output at once;
# no news or update checks (there is no network, and their toasts would cover the page).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}
JUPYTER_DIRS = {
    "JUPYTER_CONFIG_DIR": "config",
    "JUPYTER_DATA_DIR": "data",
    "JUPYTER_RUNTIME_DIR": "runtime",
    "IPYTHONDIR": "ipython",
    "JUPYTERLAB_SETTINGS_DIR": "settings",
    "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
}


@dataclass
class LabServer:
    """A running JupyterLab: where it answers, its process and its log."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def interactive_copy(notebook: str, root: Path) -> Path:
    """Copy `notebook` into `root` with its parameters cell's `interactive = False` set to True."""
    document = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))
    parameters = next(c for c in document["cells"] if "parameters" in c["metadata"].get("tags", []))
    source = "".join(parameters["source"])
    assert HEADLESS_SWITCH in source, f"{notebook}: no `{HEADLESS_SWITCH}` in its parameters cell"
    parameters["source"] = source.replace(HEADLESS_SWITCH, "interactive = True", 1)
    target = root / notebook
    target.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return target


def workshop_copy(target: Path) -> Path:
    """A copy of the workshop files that a test may edit (a learner's change) without the repo."""
    for name in WORKSHOP_FILES:
        shutil.copytree(REPO / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def lab_environment(base: dict[str, str], state: Path) -> dict[str, str]:
    """`base` plus Jupyter, IPython and JupyterLab dirs of its own under `state`."""
    env = {**base, **{name: str(state / sub) for name, sub in JUPYTER_DIRS.items()}}
    for relative, values in LAB_SETTINGS.items():
        path = state / "settings" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    return env


def start_lab(root: Path, env: dict[str, str], state: Path, timeout: float = 120) -> LabServer:
    """Start JupyterLab on a free loopback port serving `root`; return once its API answers."""
    log = state / "jupyterlab.log"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port=0",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        "--ServerApp.disable_check_xsrf=True",
        "--allow-root",
        f"--ServerApp.root_dir={root}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = LabServer("", process, log)
    try:
        server.url = _wait_until_serving(server, Path(env["JUPYTER_RUNTIME_DIR"]), timeout)
    except BaseException:
        stop_lab(server)
        raise
    return server


def _wait_until_serving(server: LabServer, runtime: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(
                f"JupyterLab exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        url = _answering_url(runtime / f"jpserver-{server.process.pid}.json")
        if url:
            return url
        time.sleep(0.5)
    raise AssertionError(f"JupyterLab did not answer within {timeout:.0f} s:\n{server.log_tail()}")


def _answering_url(info_file: Path) -> str | None:
    """The server's URL once it wrote its info file and its API answers, else None."""
    try:
        url = json.loads(info_file.read_text(encoding="utf-8"))["url"].rstrip("/")
        return url if requests.get(f"{url}/api/status", timeout=5).ok else None
    except (OSError, ValueError, KeyError, requests.RequestException):
        return None


def stop_lab(server: LabServer, timeout: float = 20) -> None:
    """Stop JupyterLab (it shuts its kernels down), then kill by PID whatever of it lingers."""
    # Kernels run in sessions of their own, so they are found as children, not as a group.
    family = _process_tree(server.process.pid)
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout)
    for process in family:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(family, timeout=timeout)


def _process_tree(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []
