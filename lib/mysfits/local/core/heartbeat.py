"""The data plane's heartbeat: one thread that runs every registered reconciler in turn.

A service package that makes something run (tasks, listeners, builds, pipelines) registers a
`Reconciler`; the heartbeat knows nothing of any service.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from .endpoints import EndpointRegistry

TICK_SECONDS = 0.25
log = logging.getLogger("mysfits.local.heartbeat")


class Reconciler(Protocol):
    """What the heartbeat calls on each registered part of the data plane."""

    name: str

    def tick(self) -> None:
        """Periodic work: move running things one step toward the control plane's state."""

    def refresh(self) -> None:
        """Open or close this part's endpoints to match the control plane now."""

    def reset(self) -> None:
        """Stop everything this part runs (the control plane is about to forget it all)."""

    def close(self) -> None:
        """Stop for good (the local cloud is shutting down)."""


class BaseReconciler:
    """A reconciler that does nothing unless a subclass says otherwise."""

    name = "unnamed"

    def tick(self) -> None:
        return

    def refresh(self) -> None:
        return

    def reset(self) -> None:
        self.close()

    def close(self) -> None:
        return


def _nothing() -> None:
    return


class Delegate(BaseReconciler):
    """A service's runner as the heartbeat sees it: `on_tick` every tick, `on_close` on reset
    and stop (for a runner whose whole life is those two calls)."""

    def __init__(
        self, name: str, on_close: Callable[[], None], on_tick: Callable[[], None] = _nothing
    ):
        self.name = name
        self._on_close = on_close
        self._on_tick = on_tick

    def tick(self) -> None:
        self._on_tick()

    def close(self) -> None:
        self._on_close()


class Heartbeat:
    """Ticks each registered reconciler every TICK_SECONDS; resets and closes them in reverse."""

    def __init__(self, registry: EndpointRegistry, interval: float = TICK_SECONDS):
        self.registry = registry
        self._interval = interval
        self._reconcilers: list[Reconciler] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="data-plane", daemon=True)

    def register(self, reconciler: Reconciler) -> None:
        """Add `reconciler`; those registered later depend on those registered earlier."""
        with self._lock:
            self._reconcilers.append(reconciler)

    @property
    def names(self) -> list[str]:
        return [r.name for r in self._reconcilers]

    def start(self) -> None:
        self._thread.start()

    def refresh(self) -> None:
        """Bring every part's endpoints in line with the control plane now."""
        with self._lock:
            for reconciler in self._reconcilers:
                self._guarded(reconciler, "refresh")

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            for reconciler in list(self._reconcilers):
                self._guarded(reconciler, "tick")
            self.refresh()

    @staticmethod
    def _guarded(reconciler: Reconciler, step: str) -> None:
        try:
            getattr(reconciler, step)()
        except Exception:  # one failing part must not stop the heartbeat for all others
            log.exception("%s %s failed", reconciler.name, step)

    def reset(self) -> None:
        """Stop every task and endpoint (before the control plane forgets everything)."""
        with self._lock:
            for reconciler in reversed(self._reconcilers):
                self._guarded(reconciler, "reset")
            self.registry.close_all()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        for reconciler in reversed(self._reconcilers):
            self._guarded(reconciler, "close")
        self.registry.close_all()
