"""Processes the local cloud starts die with it, however it dies (even SIGKILL).

On Linux each child asks the kernel for SIGKILL when its parent dies (PR_SET_PDEATHSIG). The
kernel means the parent *thread*, so every child is forked from one spawner thread that lives as
long as the process. Elsewhere each child runs under `lifeline.py`, which kills it when a pipe
whose write end only the cloud holds reaches end-of-file: the kernel closes it when the cloud dies.
Either way each child is reported to `on_start` (the cloud's ledger, see `..leftovers`), so what
a child itself started can be ended by the next `mysfits local start` or `stop`.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>
LIFELINE = Path(__file__).with_name("lifeline.py")


def _prctl() -> Callable[..., int] | None:
    """libc's prctl on Linux, else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


class Children:
    """Starts the local cloud's child processes so that none outlives it."""

    def __init__(
        self, on_start: Callable[[int, bool], None] | None = None, use_pdeathsig: bool = True
    ):
        self._on_start = on_start or (lambda pid, leads_group: None)
        self._prctl = _prctl() if use_pdeathsig else None
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spawner")
        self._lifeline: int | None = None
        if self._prctl is None:
            # Only this process holds the write end (not inheritable); children get the read end.
            self._lifeline, self._lifeline_write = os.pipe()

    @property
    def mechanism(self) -> str:
        return "pdeathsig" if self._prctl is not None else "lifeline"

    def popen(self, args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        """`subprocess.Popen(args, **kwargs)`, tied to this process's life."""
        if self._prctl is not None:
            kwargs["preexec_fn"] = _die_with(os.getpid(), self._prctl)
        else:
            assert self._lifeline is not None
            kwargs["pass_fds"] = (*kwargs.get("pass_fds", ()), self._lifeline)
            args = [sys.executable, str(LIFELINE), str(self._lifeline), "--", *args]
        process = self._spawner.submit(_popen, args, kwargs).result()
        self._on_start(process.pid, bool(kwargs.get("start_new_session")))
        return process

    def close(self) -> None:
        """No more children (those still running die when this process ends)."""
        self._spawner.shutdown(wait=True)


def _popen(args: list[str], kwargs: dict[str, Any]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, **kwargs)


def _die_with(parent: int, prctl: Callable[..., int]) -> Callable[[], None]:
    """Run in the child before exec: SIGKILL on the parent's death (unless it is gone already)."""

    def in_child() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return in_child
