"""A local cloud of a benchmark's own: started in a temporary MYSFITS_HOME, stopped afterwards.

The benchmarks run as scripts (`python benchmarks/x.py`), so they import this module as a sibling.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


def local(home: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`mysfits local ARGS` for the cloud kept in `home` (never one named by the environment)."""
    env = {**os.environ, "MYSFITS_HOME": home}
    env.pop("MYSFITS_ENDPOINT_URL", None)
    command = [sys.executable, "-m", "mysfits.cli", "local", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=True)


@contextmanager
def own_local_cloud(prefix: str) -> Iterator[str]:
    """A fresh local cloud on a free port for the block; its endpoint URL."""
    with tempfile.TemporaryDirectory(prefix=prefix) as home:
        local(home, "start", "--detach", "--port", "0")
        try:
            yield str(json.loads(local(home, "status").stdout)["endpoint_url"])
        finally:
            local(home, "stop")
