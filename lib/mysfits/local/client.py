"""Find a running local cloud and ask it about its data-plane endpoints (no moto here)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

STATE_FILE = "local-cloud.json"
CONTROL_PREFIX = "/_mysfits"
DEFAULT_PORT = 4747
LOOPBACK_HOST = "127.0.0.1"
# `python -m mysfits.local.server` exits with this when its port is taken; `mysfits` passes it on.
PORT_BUSY_EXIT = 3


def state_dir() -> Path:
    """Where the local cloud keeps its state file and log (`$MYSFITS_HOME`, else ~/.mysfits)."""
    return Path(os.environ.get("MYSFITS_HOME") or Path.home() / ".mysfits")


@dataclass(frozen=True)
class LocalCloudInfo:
    """How to reach one local cloud process."""

    endpoint_url: str
    pid: int
    port: int
    log_file: str

    def as_json(self) -> dict[str, Any]:
        return {
            "endpoint_url": self.endpoint_url,
            "pid": self.pid,
            "port": self.port,
            "log_file": self.log_file,
        }


def read_state() -> LocalCloudInfo | None:
    """The state file's record, or None when there is none (or it is unreadable)."""
    path = state_dir() / STATE_FILE
    try:
        data = json.loads(path.read_text())
        return LocalCloudInfo(
            data["endpoint_url"], int(data["pid"]), int(data["port"]), data.get("log_file", "")
        )
    except (OSError, ValueError, KeyError):
        return None


def write_state(info: LocalCloudInfo) -> None:
    """Record the running local cloud so later commands and notebooks find it."""
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(info.as_json(), indent=2))
    tmp.replace(directory / STATE_FILE)


def clear_state(pid: int) -> None:
    """Remove the state file if it still describes process `pid`."""
    current = read_state()
    if current is not None and current.pid == pid:
        (state_dir() / STATE_FILE).unlink(missing_ok=True)


def answers(endpoint_url: str, timeout: float = 3.0) -> dict[str, Any] | None:
    """The local cloud's health document, or None when nothing answers there."""
    try:
        response = requests.get(f"{endpoint_url}{CONTROL_PREFIX}/health", timeout=timeout)
    except requests.RequestException:
        return None
    if response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if body.get("service") == "mysfits-local-cloud" else None


def find_running(endpoint_url: str | None = None) -> LocalCloudInfo | None:
    """The cloud at `endpoint_url`, `$MYSFITS_ENDPOINT_URL` or the state file's, if it answers."""
    override = endpoint_url or os.environ.get("MYSFITS_ENDPOINT_URL")
    if override:
        health = answers(override)
        if health is None:
            return None
        return LocalCloudInfo(
            override.rstrip("/"),
            int(health["pid"]),
            int(health["port"]),
            health.get("log_file", ""),
        )
    info = read_state()
    if info is None or answers(info.endpoint_url) is None:
        return None
    return info


def endpoints(endpoint_url: str) -> list[dict[str, str]]:
    """Every data-plane endpoint: dicts with `kind`, `name`, `aws_url`, `local_url`."""
    response = requests.get(f"{endpoint_url}{CONTROL_PREFIX}/endpoints", timeout=10)
    response.raise_for_status()
    return list(response.json())


def mail(endpoint_url: str, to: str | None = None) -> list[dict[str, Any]]:
    """The messages the local cloud's user pools have sent (to `to` only, when given), oldest first.

    Each has `to`, `medium`, `kind`, `subject`, `body`, `code`, `pool_id` and `sent_at`.
    """
    params = {"to": to} if to else None
    response = requests.get(f"{endpoint_url}{CONTROL_PREFIX}/mail", params=params, timeout=10)
    response.raise_for_status()
    return list(response.json())
