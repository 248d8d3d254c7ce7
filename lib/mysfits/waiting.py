"""One shared wait: poll a condition with a progress bar, a timeout and a clear message."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

from tqdm.auto import tqdm

from .errors import WorkshopError

T = TypeVar("T")


class WaitTimedOut(WorkshopError):
    """A wait ran out of time; the message says what was awaited and what to try."""


def wait_until(
    condition: Callable[[], T | None],
    *,
    what: str,
    timeout: float = 300.0,
    interval: float = 1.0,
    hint: str = "",
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call `condition` until it returns something truthy, then return that value.

    Shows a tqdm bar counting elapsed seconds; raises `WaitTimedOut` naming `what`
    and `hint` when `timeout` seconds pass first.
    """
    start = clock()
    with tqdm(total=round(timeout), desc=what, unit="s", leave=False, disable=None) as bar:
        while True:
            result = condition()
            if result:
                return result
            elapsed = clock() - start
            if elapsed >= timeout:
                raise WaitTimedOut(f"Timed out after {timeout:.0f} s waiting for {what}. {hint}".strip())
            sleep(min(interval, max(timeout - elapsed, 0.0)))
            bar.n = min(round(clock() - start), bar.total)
            bar.refresh()
