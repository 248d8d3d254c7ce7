"""One shared wait: poll a condition with a progress bar, a timeout and a clear message.

The bar counts what the wait is about (stages, targets, resources, tasks) when the caller can
say so, and otherwise the checks made; never the seconds of the timeout, which say nothing
about how far the work has got.

Polls back off: the first check comes soon after the start (local changes, and many AWS ones,
settle in well under a second), and the pause doubles up to the caller's `interval`, the pace
that suits the real service (for example 10 s for a VPC link that takes minutes). A short
change is seen quickly; a long one costs at most a few extra calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tqdm.auto import tqdm

from .errors import WorkshopError

T = TypeVar("T")

FIRST_PAUSE = 0.1
"""Seconds before the second check; each later pause doubles, up to the wait's `interval`."""


class WaitTimedOut(WorkshopError):
    """A wait ran out of time; the message says what was awaited and what to try."""


@dataclass(frozen=True)
class Progress:
    """How far the awaited work has got: `done` of `total` `unit`s, and a short note."""

    done: int
    total: int
    unit: str
    note: str = ""


def _show(bar: tqdm, progress: Progress | None) -> None:
    if progress is None:
        bar.update(1)  # a check made: the bar's own clock shows the time spent
        return
    bar.total, bar.unit = progress.total, progress.unit
    bar.n = min(progress.done, progress.total)
    bar.set_postfix_str(progress.note, refresh=False)
    bar.refresh()


def wait_until(
    condition: Callable[[], T | None],
    *,
    what: str,
    timeout: float = 300.0,
    interval: float = 1.0,
    hint: str = "",
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    progress: Callable[[], Progress] | None = None,
) -> T:
    """Call `condition` until it returns something truthy, then return that value.

    Pauses start at `FIRST_PAUSE` and double up to `interval` (see the module's note). After
    each call the bar shows `progress()` (or counts checks without it); raises
    `WaitTimedOut` naming `what` and `hint` when `timeout` seconds pass first.
    """
    start, pause = clock(), min(FIRST_PAUSE, interval)
    with tqdm(total=None, desc=what, unit="check", leave=False, disable=None) as bar:
        while True:
            result = condition()
            _show(bar, progress() if progress is not None else None)
            if result:
                return result
            elapsed = clock() - start
            if elapsed >= timeout:
                raise WaitTimedOut(
                    f"Timed out after {timeout:.0f} s waiting for {what}. {hint}".strip()
                )
            sleep(min(pause, max(timeout - elapsed, 0.0)))
            pause = min(pause * 2, interval)
