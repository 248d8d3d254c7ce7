"""The container entrypoint, run for real from a directory laid out like the image's /app."""

from __future__ import annotations

import ast
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = REPO_ROOT / "service" / "mysfits_service"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_python_dash_m_serves_from_workdir(tmp_path: Path) -> None:
    app_dir = tmp_path / "app"
    shutil.copytree(
        PACKAGE_DIR, app_dir / "mysfits_service", ignore=shutil.ignore_patterns("__pycache__")
    )
    (app_dir / "data").mkdir()
    shutil.copy(REPO_ROOT / "data" / "mysfits.json", app_dir / "data" / "mysfits.json")

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MYSFITS_", "PYTHONPATH"))}
    env.update(PORT=str(port), BIND_ADDRESS="127.0.0.1")
    server = subprocess.Popen(
        [sys.executable, "-m", "mysfits_service"],
        cwd=app_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            try:
                status, body = fetch(f"http://127.0.0.1:{port}/")
                break
            except (ConnectionError, urllib.error.URLError):
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert (status, body) == (200, {"status": "ok"})
        status, body = fetch(f"http://127.0.0.1:{port}/mysfits")
        assert status == 200 and len(body["mysfits"]) == 12
        status, body = fetch(f"http://127.0.0.1:{port}/mysfits?filter=Bad&value=x")
        assert status == 400 and body["error"]["code"] == "bad_request"
        listening = {
            c.laddr
            for c in psutil.Process(server.pid).net_connections("inet")
            if c.status == psutil.CONN_LISTEN
        }
        assert listening == {("127.0.0.1", port)}
        healthcheck = [sys.executable, "-m", "mysfits_service.healthcheck"]
        assert subprocess.run(healthcheck, cwd=app_dir, env=env, timeout=30).returncode == 0
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=20)
    # uvicorn re-raises SIGTERM after its graceful shutdown.
    assert server.returncode in (0, -signal.SIGTERM), output
    assert "Finished server process" in output
    assert "GET /mysfits 200" in output
    assert "GET /mysfits 400" in output
    assert f"serving on 127.0.0.1:{port}" in output
    # Nothing answers any more: the image's health check says so.
    healthcheck = subprocess.run(
        [sys.executable, "-m", "mysfits_service.healthcheck"],
        cwd=app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert healthcheck.returncode == 1 and "unhealthy" in healthcheck.stderr


def test_missing_data_file_fails_fast(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYSFITS_")}
    env["PYTHONPATH"] = str(PACKAGE_DIR.parent)
    result = subprocess.run(
        [sys.executable, "-m", "mysfits_service"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "data/mysfits.json" in result.stdout


def test_service_never_imports_the_notebook_library() -> None:
    for path in PACKAGE_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            assert not any(n == "mysfits" or n.startswith("mysfits.") for n in names), path
