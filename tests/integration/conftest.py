"""A local cloud for the integration tests, started through the real CLI in its own home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import mysfits
from mysfits.workshop import Workshop


def cli_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a `mysfits` command that uses the local cloud kept in `home`."""
    env = {k: v for k, v in os.environ.items() if k != "MYSFITS_ENDPOINT_URL"}
    env["MYSFITS_HOME"] = str(home)
    return {**env, **(extra or {})}


def mysfits_cli(
    home: Path, *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mysfits.cli", *args],
        env=cli_env(home, env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextmanager
def running_cloud(home: Path, env: dict[str, str] | None = None) -> Iterator[dict[str, object]]:
    """A local cloud kept in `home` (its process gets `env` too), started through the CLI and
    stopped afterwards; its status."""
    started = mysfits_cli(home, "local", "start", "--detach", "--port", "0", env=env)
    assert started.returncode == 0, started.stderr
    try:
        yield {"home": home, **json.loads(mysfits_cli(home, "local", "status").stdout)}
    finally:
        mysfits_cli(home, "local", "stop")


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    with running_cloud(tmp_path_factory.mktemp("cloud-home")) as cloud:
        yield cloud


@pytest.fixture
def ws(local_cloud: dict[str, object]) -> Workshop:
    """A workshop with a prefix of its own, so tests never see each other's resources."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    return mysfits.connect("local", prefix=prefix, endpoint_url=str(local_cloud["endpoint_url"]))
